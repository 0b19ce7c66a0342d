output "rule_arn" {
  description = "ARN of the rule forwarding the group's state changes."
  value       = aws_cloudwatch_event_rule.this.arn
}

output "role_arn" {
  description = "ARN of the role EventBridge puts the events with."
  value       = aws_iam_role.this.arn
}

output "target_bus_arns" {
  description = "ARNs of the workload default buses the events are sent to."
  value       = values(local.target_buses)
}
