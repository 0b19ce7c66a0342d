variable "function_name" {
  description = "Name of the alert function."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be a Lambda function name: 1-64 letters, digits, '_' or '-'."
  }
}

variable "role_name" {
  description = "Name of the alert function's execution role."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "zip_path" {
  description = "Path of pipeline_alert.zip, the function's deployment zip (built deterministically by pipelines.lambdas.package.build_lambda_zips)."
  type        = string

  validation {
    condition     = endswith(var.zip_path, ".zip")
    error_message = "zip_path must be the path of a .zip file."
  }
}

variable "environment" {
  description = "The account's environment, named in every alert subject ([<environment>])."
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

variable "region" {
  description = "The region of the pipelines and the function."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be a region code such as us-east-1."
  }
}

variable "pipeline_arns" {
  description = "ARNs of the pipelines whose failures are alerted: the function may read their executions and steps only."
  type        = list(string)

  validation {
    condition     = length(var.pipeline_arns) > 0 && alltrue([for arn in var.pipeline_arns : can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:pipeline/[a-z0-9-]+$", arn))])
    error_message = "pipeline_arns must be SageMaker pipeline ARNs with lowercase names, as events report them."
  }
}

variable "alert_topic_arn" {
  description = "ARN of the SNS topic the alert is published to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]+$", var.alert_topic_arn))
    error_message = "alert_topic_arn must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the workload key: it encrypts the reports, the topic, the environment variables and the log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "data_bucket_name" {
  description = "The data bucket holding the data-quality reports."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be an S3 bucket name."
  }
}

variable "monitoring_prefix" {
  description = "Key prefix of the reports in the data bucket (<prefix>/<pipeline>/<execution id>/constraint_violations.json); the function reads nothing else."
  type        = string
  default     = "monitoring"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", trim(var.monitoring_prefix, "/")))
    error_message = "monitoring_prefix must be a non-empty S3 key prefix such as monitoring."
  }
}

variable "feature_names" {
  description = "Names of the header-less batch columns _c0, _c1, ... in order, so alerts say Age rather than _c0."
  type        = list(string)
  default     = []
}

variable "retrain_on_failure_of" {
  description = "Name of the pipeline whose failure starts retraining (the inference pipeline)."
  type        = string
}

variable "retrain_pipeline_name" {
  description = "Name of the pipeline the failure rule starts (the train pipeline), named in the alert."
  type        = string
}

variable "retrain_input_data_uri" {
  description = "InputDataUri the failure rule passes to the retraining, named in the alert."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the function's logs in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts, e.g. 30, 90, 365."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; one per failed execution is plenty."
  type        = number
  default     = 2

  validation {
    condition     = var.reserved_concurrency >= 1 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be a whole number, at least 1."
  }
}

variable "timeout_seconds" {
  description = "Function timeout in seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 1 and 900."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of the workload permissions boundary the function's role carries."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN (arn:<partition>:iam::<account>:policy/<name>)."
  }
}

variable "tags" {
  description = "Tags added to the function, its role and its log group (the provider's default tags apply as well)."
  type        = map(string)
  default     = {}
}
