output "role_arn" {
  description = "ARN of the cross-account Jenkins role."
  value       = aws_iam_role.jenkins.arn
}

output "role_name" {
  description = "Name of the cross-account Jenkins role."
  value       = aws_iam_role.jenkins.name
}

output "log_group_name" {
  description = "Name of the jenkins-log log group."
  value       = aws_cloudwatch_log_group.jenkins.name
}

output "endpoint_policy_arns" {
  description = "ARNs of the managed policies for the endpoints, by name: apply-endpoints (Terraform) and serve-endpoints (the endpoint stages); empty when the account serves no endpoints."
  value       = local.serving_enabled ? { apply-endpoints = aws_iam_policy.apply_endpoints[0].arn, serve-endpoints = aws_iam_policy.serve_endpoints[0].arn } : {}
}
