variable "role_name" {
  description = "Name of the cross-account role Jenkins assumes from the tooling account (withAWS role: ...)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "jenkins_principal_arn" {
  description = "The IAM role or user Jenkins runs as (tooling account); the only principal the deployment role trusts."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[a-zA-Z0-9+=,.@/_-]+$", var.jenkins_principal_arn))
    error_message = "jenkins_principal_arn must be an IAM role or user ARN (arn:<partition>:iam::<account>:role/<name>), not an account root."
  }
}

variable "jenkins_external_id" {
  description = "sts:ExternalId Jenkins must present when it assumes the role; null when Jenkins presents none."
  type        = string
  nullable    = true

  validation {
    condition     = var.jenkins_external_id == null ? true : (length(var.jenkins_external_id) >= 2 && length(var.jenkins_external_id) <= 1224 && can(regex("^[a-zA-Z0-9+=,.@:/_-]+$", var.jenkins_external_id)))
    error_message = "jenkins_external_id must be 2-1224 of A-Z a-z 0-9 + = , . @ : / _ -, or null."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the managed policy every workload role must carry as its permissions boundary; the role may create or change a workload role only with it, and never the boundary itself."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN (arn:<partition>:iam::<account>:policy/<name>)."
  }
}

variable "account_id" {
  description = "The account Jenkins deploys."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be an AWS account id of exactly 12 digits."
  }
}

variable "region" {
  description = "Region of the platform."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be a region code such as us-east-1."
  }
}

variable "environment" {
  description = "Name of the deployed account's environment; names the inline policy."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.environment))
    error_message = "environment must be a lowercase environment name such as staging."
  }
}

variable "state_key" {
  description = "Key of this account's Terraform state in the state bucket (mlops-infra/<environment>.tfstate)."
  type        = string

  validation {
    condition     = endswith(var.state_key, ".tfstate")
    error_message = "state_key must be the key of a .tfstate object."
  }
}

variable "terraform_state_bucket" {
  description = "Name of the account's Terraform state bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.terraform_state_bucket))
    error_message = "terraform_state_bucket must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "log_group_name" {
  description = "Name of the jenkins-log CloudWatch log group."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_/.#-]{1,512}$", var.log_group_name))
    error_message = "log_group_name must be a CloudWatch log group name: 1-512 of A-Z a-z 0-9 _ / . # -."
  }
}

variable "log_retention_days" {
  description = "Retention of the jenkins-log group in days (a value CloudWatch Logs accepts)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts, e.g. 30, 90, 365."
  }
}

variable "kms_key_arn" {
  description = "ARN of the workload key (created in the same state): it encrypts the jenkins-log group, and it is the only key the role manages."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "data_bucket_name" {
  description = "Name of the workload data bucket (managed by Terraform; pipeline code is uploaded to it)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "workload_kms_alias" {
  description = "Alias of the workload key (managed by Terraform)."
  type        = string

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.workload_kms_alias))
    error_message = "workload_kms_alias must start with 'alias/' followed by letters, digits, '/', '_' or '-'."
  }
}

variable "sagemaker_execution_role_name" {
  description = "Name of the SageMaker execution role the deployment manages (and passes to SageMaker when upserting pipelines)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.sagemaker_execution_role_name))
    error_message = "sagemaker_execution_role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "lambda_role_name" {
  description = "Name of the Lambda role the deployment manages (and passes to Lambda)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.lambda_role_name))
    error_message = "lambda_role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "events_role_name" {
  description = "Name of the EventBridge role the deployment manages (and passes to EventBridge)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.events_role_name))
    error_message = "events_role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "alert_topic_name" {
  description = "Name of the alert topic the deployment manages."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,256}$", var.alert_topic_name))
    error_message = "alert_topic_name must be an SNS topic name: 1-256 letters, digits, '_' or '-'."
  }
}

variable "rule_name_prefix" {
  description = "Prefix of the EventBridge rules the deployment manages."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,40}$", var.rule_name_prefix))
    error_message = "rule_name_prefix must be 1-40 letters, digits, '.', '_' or '-'."
  }
}

variable "latest_model_function_name" {
  description = "Name of the Lambda function the deployment manages."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.latest_model_function_name))
    error_message = "latest_model_function_name must be a Lambda function name: 1-64 letters, digits, '_' or '-'."
  }
}

variable "alert_function_name" {
  description = "Name of the alert function the deployment manages (module alerts)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.alert_function_name))
    error_message = "alert_function_name must be a Lambda function name: 1-64 letters, digits, '_' or '-'."
  }
}

variable "alert_lambda_role_name" {
  description = "Name of the alert function's role the deployment manages (and passes to Lambda)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.alert_lambda_role_name))
    error_message = "alert_lambda_role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "managed_log_group_names" {
  description = "The CloudWatch log groups the deployment manages."
  type        = list(string)

  validation {
    condition     = alltrue([for name in var.managed_log_group_names : can(regex("^[a-zA-Z0-9_/.#-]{1,512}$", name))])
    error_message = "managed_log_group_names must hold log group names of 1-512 of A-Z a-z 0-9 _ / . # -."
  }
}

variable "pipeline_arns" {
  description = "ARNs of the pipelines Jenkins upserts."
  type        = list(string)

  validation {
    condition     = alltrue([for arn in var.pipeline_arns : can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:pipeline/[a-z0-9-]+$", arn))])
    error_message = "pipeline_arns must be SageMaker pipeline ARNs with lowercase names."
  }
}

variable "serving" {
  description = "The account's endpoints (workload.serving) and the registry group they serve: Jenkins applies their execution role, alarms, scaling and, with a multi-model endpoint, the refresh function, its role, rule and the bus permission; its endpoint stages deploy and smoke-test them. null when the account serves no endpoints."
  type = object({
    endpoint_names             = list(string)
    multi_model_endpoint_names = list(string)
    alarm_names                = list(string)
    execution_role_name        = string
    refresh_role_name          = string
    refresh_function_name      = string
    models_prefix              = string
    registry_account_id        = string
    artifacts_bucket_name      = string
    registry_kms_alias         = string
    model_package_group_name   = string
  })
  default = null

  validation {
    condition = var.serving == null ? true : alltrue(concat(
      [for name in var.serving.endpoint_names : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", name))],
      [for name in var.serving.multi_model_endpoint_names : contains(var.serving.endpoint_names, name)],
      [for name in [var.serving.execution_role_name, var.serving.refresh_role_name] : can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", name))],
      [can(regex("^[a-zA-Z0-9_-]{1,64}$", var.serving.refresh_function_name)), can(regex("^[0-9]{12}$", var.serving.registry_account_id))],
      [can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.serving.registry_kms_alias)), can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", var.serving.models_prefix))],
    ))
    error_message = "serving: endpoint_names must be SageMaker endpoint names (multi_model_endpoint_names among them), the role names IAM role names, refresh_function_name a Lambda function name, registry_account_id 12 digits, registry_kms_alias 'alias/...', models_prefix a key prefix without a trailing '/'."
  }
}

variable "secondary_serving" {
  description = "The endpoints this account serves in the platform's second region (secondary_region.endpoints) from the artifacts' replica bucket there: the endpoint stages deploy and smoke-test them in that region, after checking the replica is current; Terraform manages the region's key (kms_key_arn, under workload_kms_alias), alert topic (alert_topic_name), rollback alarms (alarm_names) and failure rule there. null when no endpoint is served there; needs serving."
  type = object({
    region                        = string
    endpoint_names                = list(string)
    replica_artifacts_bucket_name = string
    kms_key_arn                   = string
    alarm_names                   = list(string)
  })
  default = null

  validation {
    condition = var.secondary_serving == null ? true : alltrue(concat(
      [can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.secondary_serving.region)), length(var.secondary_serving.endpoint_names) > 0],
      [for name in var.secondary_serving.endpoint_names : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", name))],
      [can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.secondary_serving.replica_artifacts_bucket_name))],
      [can(regex("^arn:[a-z-]+:kms:${var.secondary_serving.region}:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.secondary_serving.kms_key_arn))],
    ))
    error_message = "secondary_serving: region must be a region code such as us-west-2, endpoint_names one or more SageMaker endpoint names, replica_artifacts_bucket_name an S3 bucket name, kms_key_arn the ARN of a key of that region."
  }
}

variable "warehouse_secret_name" {
  description = "Name of the warehouse connection secret the deployment manages (its value is never Jenkins'); null when the train pipeline reads no warehouse."
  type        = string
  default     = null

  validation {
    condition     = var.warehouse_secret_name == null ? true : can(regex("^[a-zA-Z0-9/_+=.@-]{1,512}$", var.warehouse_secret_name))
    error_message = "warehouse_secret_name must be a Secrets Manager secret name: 1-512 of A-Z a-z 0-9 / _ + = . @ -."
  }
}

variable "tags" {
  description = "Tags of the role and the log group, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}
