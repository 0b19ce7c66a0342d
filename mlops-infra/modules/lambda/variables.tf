variable "function_name" {
  description = "Name of the latest-approved-model function."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be a Lambda function name: 1-64 letters, digits, '_' or '-'."
  }
}

variable "zip_path" {
  description = "Path of latest_approved_model.zip, the function's deployment zip (built deterministically by pipelines.lambdas.package.build_lambda_zips)."
  type        = string

  validation {
    condition     = endswith(var.zip_path, ".zip")
    error_message = "zip_path must be the path of a .zip file."
  }
}

variable "role_arn" {
  description = "ARN of the function's execution role."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.role_arn))
    error_message = "role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed key encrypting the environment variables and the log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "model_package_group_arn" {
  description = "ARN of the central model package group the function searches (its MODEL_PACKAGE_GROUP_ARN)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package-group/[a-zA-Z0-9-]+$", var.model_package_group_arn))
    error_message = "model_package_group_arn must be a model package group ARN (arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>)."
  }
}

variable "log_group_name" {
  description = "Name of the function's log group, created here so its retention and encryption are managed (/aws/lambda/<function>)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_/.#-]{1,512}$", var.log_group_name))
    error_message = "log_group_name must be a CloudWatch log group name: 1-512 of A-Z a-z 0-9 _ / . # -."
  }
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
  description = "Reserved concurrent executions; the inference pipeline calls the function once per run."
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

variable "tags" {
  description = "Tags of the module's resources, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}
