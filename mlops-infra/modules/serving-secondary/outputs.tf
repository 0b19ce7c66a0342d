output "alarm_names" {
  description = "Per endpoint name, its two alarm names in the region [invocation 5xx errors, model latency]."
  value       = module.alarms.alarm_names
}

output "execution_policy" {
  description = "The endpoint role's policy for the region: replica read, replica-key decrypt by alias, images and logs of the region."
  value       = data.aws_iam_policy_document.execution.json
}
