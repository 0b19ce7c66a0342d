output "sagemaker_execution_role_arn" {
  description = "ARN of the SageMaker execution role."
  value       = aws_iam_role.sagemaker_execution.arn
}

output "sagemaker_execution_role_name" {
  description = "Name of the SageMaker execution role."
  value       = aws_iam_role.sagemaker_execution.name
}

output "lambda_role_arn" {
  description = "ARN of the latest-approved-model Lambda role."
  value       = aws_iam_role.lambda.arn
}

output "events_role_arn" {
  description = "ARN of the EventBridge role that starts the pipelines."
  value       = aws_iam_role.events.arn
}

output "permissions_boundary_arn" {
  description = "ARN of the permissions boundary of every workload role."
  # Built from the name so that the policies naming it are known at plan time (and visible to plan scans).
  value      = "arn:${local.partition}:iam::${var.account_id}:policy/${aws_iam_policy.boundary.name}"
  depends_on = [aws_iam_policy.boundary]
}
