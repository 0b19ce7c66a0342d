output "artifacts_bucket_name" {
  description = "Name of the central model-artifacts bucket."
  value       = aws_s3_bucket.artifacts.bucket
}

output "artifacts_bucket_arn" {
  description = "ARN of the central model-artifacts bucket."
  value       = aws_s3_bucket.artifacts.arn
}

output "access_log_bucket_name" {
  description = "Name of the access-log bucket."
  value       = aws_s3_bucket.access_logs.bucket
}

output "model_package_group_arn" {
  description = "ARN of the central model package group, built from its name so it equals what the Python configuration derives."
  value       = local.model_package_group_arn
}

output "model_package_group_name" {
  description = "Name of the central model package group."
  value       = aws_sagemaker_model_package_group.this.model_package_group_name
}
