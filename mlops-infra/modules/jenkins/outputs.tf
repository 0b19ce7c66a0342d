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
