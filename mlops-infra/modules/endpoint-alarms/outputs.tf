output "alarm_names" {
  description = "Per endpoint name, its two alarm names [invocation 5xx errors, model latency]: the deployments' auto-rollback alarms."
  value       = { for name in keys(local.endpoints) : name => [aws_cloudwatch_metric_alarm.errors[name].alarm_name, aws_cloudwatch_metric_alarm.latency[name].alarm_name] }
}

output "errors_alarms" {
  description = "Per endpoint name, its invocation 5xx errors alarm (the aws_cloudwatch_metric_alarm's attributes)."
  value       = aws_cloudwatch_metric_alarm.errors
}

output "latency_alarms" {
  description = "Per endpoint name, its model latency alarm (the aws_cloudwatch_metric_alarm's attributes)."
  value       = aws_cloudwatch_metric_alarm.latency
}
