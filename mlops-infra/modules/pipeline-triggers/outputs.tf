output "inference_schedule_rule_arn" {
  description = "ARN of the rule that runs the inference pipeline on schedule."
  value       = aws_cloudwatch_event_rule.inference_schedule.arn
}

output "inference_failed_rule_arn" {
  description = "ARN of the rule reacting to failed inference executions."
  value       = aws_cloudwatch_event_rule.inference_failed.arn
}

output "train_failed_rule_arn" {
  description = "ARN of the rule reacting to failed train executions."
  value       = aws_cloudwatch_event_rule.train_failed.arn
}

output "rule_names" {
  description = "Names of the three rules."
  value = [
    aws_cloudwatch_event_rule.inference_schedule.name,
    aws_cloudwatch_event_rule.inference_failed.name,
    aws_cloudwatch_event_rule.train_failed.name,
  ]
}
