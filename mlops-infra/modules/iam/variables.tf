variable "environment" {
  description = "Name of the workload account's environment; its artifacts are written under <environment>/ in the central bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.environment))
    error_message = "environment must be a lowercase environment name such as staging."
  }
}

variable "account_id" {
  description = "The workload account id."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be an AWS account id of exactly 12 digits."
  }
}

variable "registry_account_id" {
  description = "The central registry account id (owner of the model package group, artifacts bucket and registry key)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.registry_account_id))
    error_message = "registry_account_id must be an AWS account id of exactly 12 digits."
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

variable "sagemaker_execution_role_name" {
  description = "Name of the role the SageMaker pipelines and their jobs run with."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.sagemaker_execution_role_name))
    error_message = "sagemaker_execution_role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "lambda_role_name" {
  description = "Name of the latest-approved-model Lambda function's role."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.lambda_role_name))
    error_message = "lambda_role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "events_role_name" {
  description = "Name of the role EventBridge uses to start the pipelines."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.events_role_name))
    error_message = "events_role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "data_bucket_name" {
  description = "Name of the workload data bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.data_bucket_name))
    error_message = "data_bucket_name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "artifacts_bucket_name" {
  description = "Name of the central model-artifacts bucket in the registry account."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_name))
    error_message = "artifacts_bucket_name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "workload_kms_key_arn" {
  description = "ARN of the workload account's KMS key."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.workload_kms_key_arn))
    error_message = "workload_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "registry_kms_alias" {
  description = "Alias of the registry account's key (its id is unknown here, so policies match the key by alias)."
  type        = string

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.registry_kms_alias))
    error_message = "registry_kms_alias must start with 'alias/' followed by letters, digits, '/', '_' or '-'."
  }
}

variable "model_package_group_name" {
  description = "Name of the central model package group in the registry account."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_package_group_name))
    error_message = "model_package_group_name must be 1-63 letters, digits and single hyphens."
  }
}

variable "pipeline_arns" {
  description = "ARNs of the train and inference pipelines (arn:<partition>:sagemaker:<region>:<account>:pipeline/<lowercase name>)."
  type        = list(string)

  validation {
    condition     = length(var.pipeline_arns) > 0 && alltrue([for arn in var.pipeline_arns : can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:pipeline/[a-z0-9-]+$", arn))])
    error_message = "pipeline_arns must be SageMaker pipeline ARNs with lowercase names (arn:<partition>:sagemaker:<region>:<account>:pipeline/<name>)."
  }
}

variable "latest_model_function_name" {
  description = "Name of the latest-approved-model Lambda function the inference pipeline invokes."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.latest_model_function_name))
    error_message = "latest_model_function_name must be a Lambda function name: 1-64 letters, digits, '_' or '-'."
  }
}

variable "lambda_log_group_name" {
  description = "Name of the Lambda function's log group (/aws/lambda/<function>)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_/.#-]{1,512}$", var.lambda_log_group_name))
    error_message = "lambda_log_group_name must be a CloudWatch log group name: 1-512 of A-Z a-z 0-9 _ / . # -."
  }
}

variable "permissions_boundary_name" {
  description = "Name of the managed policy that bounds every workload role (these and the alert function's)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,128}$", var.permissions_boundary_name))
    error_message = "permissions_boundary_name must be an IAM policy name: 1-128 letters, digits and +=,.@_- characters."
  }
}

variable "tags" {
  description = "Tags of the roles, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}

variable "warehouse_secret_name" {
  description = "Name of the SQL warehouse's connection secret the execution role may read (the only secret it may read); null: none."
  type        = string
  default     = null

  validation {
    condition     = var.warehouse_secret_name == null || can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.warehouse_secret_name))
    error_message = "warehouse_secret_name must be null or a Secrets Manager name: 1-512 of A-Z a-z 0-9 / _ + = . @ -."
  }
}

variable "artifacts_replica" {
  description = "The artifacts' replica in the platform's second region, which this account's endpoints read there: the bucket's name and its region (the replica key is the registry account's in that region); null when no endpoint is served there."
  type = object({
    bucket_name = string
    region      = string
  })
  default = null
}
