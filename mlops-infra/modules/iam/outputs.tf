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
