# Every output exists in every account; it is null where the resource does not belong to that account.

output "model_package_group_arn" {
  description = "ARN of the central model package group (registry account only)."
  value       = one(module.model_registry[*].model_package_group_arn)
}

output "model_artifacts_bucket_name" {
  description = "Name of the central model-artifacts bucket (registry account only)."
  value       = one(module.model_registry[*].artifacts_bucket_name)
}

output "registry_kms_key_arn" {
  description = "ARN of the registry key that encrypts model artifacts (registry account only)."
  value       = one(module.registry_kms[*].key_arn)
}

output "artifacts_replica_bucket_name" {
  description = "Name of the model artifacts' replica bucket in the second region (registry account with secondary_region only)."
  value       = one(module.artifacts_replica[*].bucket_name)
}

output "artifacts_replica_kms_key_arn" {
  description = "ARN of the key in the second region the artifact replicas are encrypted with (registry account with secondary_region only)."
  value       = one(module.artifacts_replica[*].kms_key_arn)
}

output "artifacts_replication_role_arn" {
  description = "ARN of the role S3 replicates the model artifacts with (registry account with secondary_region only)."
  value       = one(module.model_registry[*].replication_role_arn)
}

output "workload_kms_key_arn" {
  description = "ARN of the workload account's key (workload accounts)."
  value       = one(module.workload_kms[*].key_arn)
}

output "data_bucket_name" {
  description = "Name of the workload data bucket (workload accounts)."
  value       = one(module.data_bucket[*].bucket_name)
}

output "sagemaker_execution_role_arn" {
  description = "ARN of the SageMaker execution role the pipelines run with (workload accounts)."
  value       = one(module.iam[*].sagemaker_execution_role_arn)
}

output "lambda_role_arn" {
  description = "ARN of the latest-approved-model Lambda's role (workload accounts)."
  value       = one(module.iam[*].lambda_role_arn)
}

output "events_role_arn" {
  description = "ARN of the role EventBridge uses to start the pipelines (workload accounts)."
  value       = one(module.iam[*].events_role_arn)
}

output "alert_topic_arn" {
  description = "ARN of the pipeline alert SNS topic (workload accounts)."
  value       = one(module.notifications[*].topic_arn)
}

output "latest_model_function_arn" {
  description = "ARN of the latest-approved-model Lambda function (workload accounts)."
  value       = one(module.lambda[*].function_arn)
}

output "alert_function_arn" {
  description = "ARN of the alert function the pipeline failure rules invoke (workload accounts)."
  value       = one(module.alerts[*].function_arn)
}

output "jenkins_role_arn" {
  description = "ARN of the cross-account role Jenkins assumes from the tooling account (workload accounts)."
  value       = one(module.jenkins[*].role_arn)
}

output "jenkins_log_group_name" {
  description = "Name of the KMS-encrypted jenkins-log CloudWatch log group (workload accounts)."
  value       = one(module.jenkins[*].log_group_name)
}

output "model_package_events_rule_arn" {
  description = "ARN of the rule forwarding the central group's state changes to the workload accounts' default buses (registry account only)."
  value       = one(module.model_package_events[*].rule_arn)
}

output "endpoint_execution_role_arn" {
  description = "ARN of the role the SageMaker endpoints run with (workload accounts with workload.serving)."
  value       = one(module.serving[*].execution_role_arn)
}

output "endpoint_alarm_names" {
  description = "Per endpoint, its auto-rollback alarm names [invocation 5xx errors, model latency] (workload accounts with workload.serving)."
  value       = one(module.serving[*].alarm_names)
}

output "secondary_alert_topic_arn" {
  description = "ARN of the alert topic in the second region, notified by the alarms and failed endpoints there (a workload account with secondary_region)."
  value       = one(module.serving_secondary[*].alert_topic_arn)
}

output "secondary_endpoint_alarm_names" {
  description = "Per endpoint served in the second region, its alarm names there [invocation 5xx errors, model latency] (a workload account with secondary_region)."
  value       = one(module.serving_secondary[*].alarm_names)
}

output "endpoint_refresh_function_arn" {
  description = "ARN of the multi-model endpoint refresh function (workload accounts with a multi-model endpoint)."
  value       = one(module.serving[*].refresh_function_arn)
}
