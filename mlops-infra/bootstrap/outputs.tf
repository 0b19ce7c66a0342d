output "state_bucket_name" {
  description = "Name of the state bucket, for `terraform init -backend-config=bucket=...` of the main root."
  value       = aws_s3_bucket.state.bucket
}

output "state_bucket_arn" {
  description = "ARN of the state bucket."
  value       = aws_s3_bucket.state.arn
}
