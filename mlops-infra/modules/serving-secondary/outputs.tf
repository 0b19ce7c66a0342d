output "alarm_names" {
  description = "Per endpoint name, its two alarm names in the region [invocation 5xx errors, model latency]."
  value       = module.alarms.alarm_names
}

output "execution_policy" {
  description = "The endpoint role's policy for the region: replica read, replica-key decrypt by alias, images and logs of the region."
  value       = data.aws_iam_policy_document.execution.json
}

output "alert_topic_arn" {
  description = "ARN of the region's alert topic, which the region's alarms and failed endpoints notify."
  value       = module.notifications.topic_arn
}

output "kms_key_arn" {
  description = "ARN of the region's key encrypting the alert topic."
  value       = module.kms.key_arn
}
