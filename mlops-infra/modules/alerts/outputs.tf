output "function_arn" {
  description = "ARN of the alert function (the target of the pipeline failure rules)."
  value       = aws_lambda_function.this.arn
}

output "function_name" {
  description = "Name of the alert function."
  value       = aws_lambda_function.this.function_name
}

output "role_arn" {
  description = "ARN of the alert function's execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the alert function's log group."
  value       = aws_cloudwatch_log_group.this.name
}
