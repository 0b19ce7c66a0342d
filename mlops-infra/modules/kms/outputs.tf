output "key_arn" {
  description = "ARN of the key."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "Id of the key."
  value       = aws_kms_key.this.key_id
}

output "alias_arn" {
  description = "ARN of the key's alias."
  value       = aws_kms_alias.this.arn
}

output "alias_name" {
  description = "Name of the key's alias."
  value       = aws_kms_alias.this.name
}

output "policy_json" {
  description = "The key policy."
  value       = aws_kms_key.this.policy
}

output "rotation_enabled" {
  description = "Whether the key rotates yearly."
  value       = aws_kms_key.this.enable_key_rotation
}
