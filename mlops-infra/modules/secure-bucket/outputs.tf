output "bucket_name" {
  description = "Name of the bucket, once its policy is in place (S3 accepts a log target only after its policy admits the logging service)."
  value       = aws_s3_bucket_policy.this.bucket
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "policy_json" {
  description = "The bucket policy: the TLS-only statement and the statements of policy_documents."
  value       = data.aws_iam_policy_document.this.json
}

output "encryption" {
  description = "The default encryption as applied: sse_algorithm, kms_key_arn (null for the AWS-managed key or SSE-S3) and bucket_key_enabled."
  value = one([
    for rule in aws_s3_bucket_server_side_encryption_configuration.this.rule : {
      sse_algorithm      = rule.apply_server_side_encryption_by_default[0].sse_algorithm
      kms_key_arn        = one(compact([rule.apply_server_side_encryption_by_default[0].kms_master_key_id]))
      bucket_key_enabled = rule.bucket_key_enabled
    }
  ])
}

output "access_log_target" {
  description = "Where the server access logs go (bucket and prefix), or null without access logging."
  value       = one([for logging in aws_s3_bucket_logging.this : { bucket = logging.target_bucket, prefix = logging.target_prefix }])
}

output "lifecycle_rules" {
  description = "The lifecycle rules as applied, by id: days to expiry (null: never), to noncurrent-version expiry and to aborting multipart uploads."
  value = {
    for rule in aws_s3_bucket_lifecycle_configuration.this.rule : rule.id => {
      expiration_days                        = one([for expiration in rule.expiration : expiration.days])
      noncurrent_version_expiration_days     = one(rule.noncurrent_version_expiration[*].noncurrent_days)
      abort_incomplete_multipart_upload_days = one(rule.abort_incomplete_multipart_upload[*].days_after_initiation)
    }
  }
}

output "versioned_bucket_name" {
  description = "Name of the bucket, once versioning is enabled: S3 replication requires it on the source and the destination."
  value       = aws_s3_bucket_versioning.this.bucket
}
