output "alarm_names" {
  description = "Per endpoint name, its two alarm names in the region [invocation 5xx errors, model latency]."
  value       = { for name in keys(local.endpoints) : name => [aws_cloudwatch_metric_alarm.errors[name].alarm_name, aws_cloudwatch_metric_alarm.latency[name].alarm_name] }
}

output "execution_policy" {
  description = "The endpoint role's policy for the region: replica read, replica-key decrypt by alias, images and logs of the region."
  value       = data.aws_iam_policy_document.execution.json
}
