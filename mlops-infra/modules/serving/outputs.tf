output "execution_role_arn" {
  description = "ARN of the role the endpoints run with."
  value       = aws_iam_role.execution.arn
}

output "execution_role_name" {
  description = "Name of the role the endpoints run with (IAM is global: the second region's endpoints use it too)."
  value       = aws_iam_role.execution.name
}

output "alarm_names" {
  description = "Per endpoint name, its two alarm names [invocation 5xx errors, model latency]: the deployments' auto-rollback alarms."
  value       = module.alarms.alarm_names
}

output "scaled_endpoint_names" {
  description = "Names of the endpoints registered with Application Auto Scaling (autoscaling.enabled)."
  value       = sort(keys(aws_appautoscaling_target.variant))
}

output "refresh_function_arn" {
  description = "ARN of the multi-model refresh function (null when the account has no multi-model endpoint)."
  value       = one(aws_lambda_function.refresh[*].arn)
}

output "refresh_role_arn" {
  description = "ARN of the refresh function's role (null when the account has no multi-model endpoint)."
  value       = one(aws_iam_role.refresh[*].arn)
}

output "refresh_settings" {
  description = "The refresh function's REFRESH_SETTINGS, decoded (null when the account has no multi-model endpoint)."
  value       = local.refresh_enabled ? local.refresh_settings : null
}

output "state_change_rule_arn" {
  description = "ARN of the rule that invokes the refresh function on the registry's forwarded state changes (null without multi-model endpoint)."
  value       = one(aws_cloudwatch_event_rule.model_package_state_change[*].arn)
}
