output "topic_arn" {
  description = "ARN of the alert topic."
  value       = aws_sns_topic.alerts.arn
}

output "topic_name" {
  description = "Name of the alert topic."
  value       = aws_sns_topic.alerts.name
}

output "policy_json" {
  description = "The topic policy: the owner account manages it, this account's EventBridge rules (and alarms when allowed) publish."
  value       = data.aws_iam_policy_document.alerts.json
}

output "subscription_endpoint" {
  description = "The address subscribed to the topic."
  value       = aws_sns_topic_subscription.email.endpoint
}
