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

output "replication_role_arn" {
  description = "ARN of the role S3 replicates the artifacts with, or null without replication."
  value       = one(aws_iam_role.replication[*].arn)
}

output "replication_policy_json" {
  description = "The replication role's permissions, or null without replication."
  value       = one(data.aws_iam_policy_document.replication[*].json)
}

output "replication_rule" {
  description = "The replication rule as configured, or null without replication: status, delete marker replication, SSE-KMS source selection, destination bucket ARN and replica key."
  value = one([
    for configuration in aws_s3_bucket_replication_configuration.artifacts : {
      status                    = configuration.rule[0].status
      delete_marker_replication = configuration.rule[0].delete_marker_replication[0].status
      sse_kms_encrypted_objects = configuration.rule[0].source_selection_criteria[0].sse_kms_encrypted_objects[0].status
      destination_bucket_arn    = configuration.rule[0].destination[0].bucket
      replica_kms_key_id        = configuration.rule[0].destination[0].encryption_configuration[0].replica_kms_key_id
    }
  ])
}
