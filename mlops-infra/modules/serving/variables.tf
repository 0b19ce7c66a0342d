variable "environment" {
  description = "The workload account's environment, named in the role descriptions."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.environment))
    error_message = "environment must be a workload environment's name: lower-case letters, digits and single hyphens."
  }
}

variable "account_id" {
  description = "The workload account id."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "registry_account_id" {
  description = "The registry account id: its model package group is served, and its rule forwards the group's state changes here."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.registry_account_id))
    error_message = "registry_account_id must be 12 digits."
  }
}

variable "region" {
  description = "The region of the endpoints, the registry and the function."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be a region code such as us-east-1."
  }
}

variable "model_package_group_name" {
  description = "Name of the central model package group whose approved versions the endpoints serve."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_package_group_name))
    error_message = "model_package_group_name must be 1-63 letters, digits and single hyphens."
  }
}

variable "artifacts_bucket_name" {
  description = "Name of the registry's model-artifacts bucket: single-model endpoints and the refresh function read versions from it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_name))
    error_message = "artifacts_bucket_name must be an S3 bucket name."
  }
}

variable "registry_kms_alias" {
  description = "Alias of the registry key that encrypts the artifacts (alias/...): decryption is allowed only with a key carrying it."
  type        = string

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.registry_kms_alias))
    error_message = "registry_kms_alias must start with 'alias/'."
  }
}

variable "data_bucket_name" {
  description = "Name of the workload data bucket: it holds the multi-model endpoints' versions (models_prefix) and the captured requests (capture_prefix)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be an S3 bucket name."
  }
}

variable "kms_key_arn" {
  description = "ARN of the workload key: it encrypts the served models, the captured requests, the function's environment and log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "execution_role_name" {
  description = "Name of the role the endpoints run with (passed to CreateModel by deploy-endpoint and the refresh function)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.execution_role_name))
    error_message = "execution_role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "refresh_function_name" {
  description = "Name of the function that refreshes the multi-model endpoints (created only when there is one)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.refresh_function_name))
    error_message = "refresh_function_name must be a Lambda function name: 1-64 letters, digits, '_' or '-'."
  }
}

variable "refresh_role_name" {
  description = "Name of the refresh function's execution role."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.refresh_role_name))
    error_message = "refresh_role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "models_prefix" {
  description = "Key prefix in the data bucket under which the multi-model endpoints' versions live (no leading or trailing '/')."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", var.models_prefix))
    error_message = "models_prefix must be an S3 key prefix without leading or trailing '/'."
  }
}

variable "capture_prefix" {
  description = "Key prefix in the data bucket the endpoints capture requests and responses under (no leading or trailing '/')."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", var.capture_prefix))
    error_message = "capture_prefix must be an S3 key prefix without leading or trailing '/'."
  }
}

variable "capture_sampling_percent" {
  description = "Percentage of requests the endpoints capture (passed to the refresh function for the endpoint configs it creates)."
  type        = number

  validation {
    condition     = var.capture_sampling_percent >= 0 && var.capture_sampling_percent <= 100
    error_message = "capture_sampling_percent must be between 0 and 100."
  }
}

variable "endpoints" {
  description = "The account's endpoints (workload.serving.endpoints of the tfvars): name, mode (single-model or multi-model), fleet, autoscaling (enabled: register the variant, which must exist), deployment guardrails and alarm thresholds (5xx errors per minute, average model latency in ms)."
  type = list(object({
    name                   = string
    mode                   = string
    instance_type          = string
    initial_instance_count = number
    autoscaling = object({
      enabled                         = bool
      min_capacity                    = number
      max_capacity                    = number
      target_invocations_per_instance = number
    })
    deployment = object({
      strategy              = string
      traffic_step_percent  = optional(number)
      wait_interval_seconds = number
    })
    alarms = object({
      invocation_5xx_errors = number
      model_latency_ms      = number
    })
  }))

  validation {
    condition     = alltrue([for endpoint in var.endpoints : contains(["single-model", "multi-model"], endpoint.mode)])
    error_message = "endpoints[].mode must be single-model or multi-model."
  }

  validation {
    condition     = length(distinct([for endpoint in var.endpoints : endpoint.name])) == length(var.endpoints)
    error_message = "endpoints must name each endpoint once."
  }
}

variable "alert_topic_arn" {
  description = "ARN of the workload's alert topic: the endpoint alarms notify it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]+$", var.alert_topic_arn))
    error_message = "alert_topic_arn must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)."
  }
}

variable "rule_name_prefix" {
  description = "Prefix of the EventBridge rule that receives the registry's state changes (the project name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.rule_name_prefix))
    error_message = "rule_name_prefix must be 2-21 lowercase letters, digits or hyphens."
  }
}

variable "zip_path" {
  description = "Path of endpoint_refresh.zip, the function's deployment zip (built deterministically by pipelines.lambdas.package.build_lambda_zips)."
  type        = string

  validation {
    condition     = endswith(var.zip_path, ".zip")
    error_message = "zip_path must be the path of a .zip file."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the workload permissions boundary both roles carry."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the refresh function's log group, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ... 365, ... 3653)."
  }
}

variable "timeout_seconds" {
  description = "Timeout of the refresh function: it copies a version's artifact and may create a model and an endpoint config."
  type        = number
  default     = 120

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 1 and 900."
  }
}

variable "tags" {
  description = "Tags added to the roles, alarms, scaling targets, function, log group and rule (the provider's default tags apply as well)."
  type        = map(string)
  default     = {}
}
