output "artifacts_bucket_name" {
  description = "Name of the central model-artifacts bucket."
  value       = module.artifacts_bucket.bucket_name
}

output "artifacts_bucket_arn" {
  description = "ARN of the central model-artifacts bucket."
  value       = module.artifacts_bucket.bucket_arn
}

output "access_log_bucket_name" {
  description = "Name of the access-log bucket."
  value       = module.access_log_bucket.bucket_name
}

output "model_package_group_arn" {
  description = "ARN of the central model package group, built from its name so it equals what the Python configuration derives."
  value       = local.model_package_group_arn
}

output "model_package_group_name" {
  description = "Name of the central model package group."
  value       = aws_sagemaker_model_package_group.this.model_package_group_name
}

output "approver_role_arn" {
  description = "ARN of the role that alone may approve or reject model versions."
  value       = aws_iam_role.approver.arn
}
