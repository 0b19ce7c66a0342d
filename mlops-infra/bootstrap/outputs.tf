output "state_bucket_name" {
  description = "Name of the state bucket, for `terraform init -backend-config=bucket=...` of the main root."
  value       = module.state_bucket.bucket_name
}

output "state_bucket_arn" {
  description = "ARN of the state bucket."
  value       = module.state_bucket.bucket_arn
}
