output "bucket_name" {
  description = "Name of the replica bucket, once versioning is enabled (a replication destination must be versioned)."
  value       = module.bucket.versioned_bucket_name
}

output "bucket_arn" {
  description = "ARN of the replica bucket."
  value       = module.bucket.bucket_arn
}

output "kms_key_arn" {
  description = "ARN of the key the replicas are encrypted with (the replication rule's ReplicaKmsKeyID)."
  value       = module.kms.key_arn
}

output "kms_alias_arn" {
  description = "ARN of the replica key's alias."
  value       = module.kms.alias_arn
}

output "encryption" {
  description = "The replica bucket's default encryption as applied: sse_algorithm, kms_key_arn and bucket_key_enabled."
  value       = module.bucket.encryption
}

output "policy_json" {
  description = "The replica bucket's policy: read access for the reader accounts and the TLS-only statement."
  value       = module.bucket.policy_json
}

output "kms_alias_name" {
  description = "Name of the replica key's alias."
  value       = module.kms.alias_name
}

output "kms_key_policy_json" {
  description = "The replica key's policy: the owning account administers it, the reader accounts use it through S3 and SageMaker of the region."
  value       = module.kms.policy_json
}

output "kms_rotation_enabled" {
  description = "Whether the replica key rotates yearly."
  value       = module.kms.rotation_enabled
}
