variable "secret_name" {
  description = "Name of the secret holding the warehouse connection (workload.pipeline.training_data.warehouse.secret_name)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.secret_name))
    error_message = "secret_name must be a Secrets Manager name: 1-512 of A-Z a-z 0-9 / _ + = . @ -."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed key encrypting the secret (the workload key, which the pipeline role may use)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "reader_role_arn" {
  description = "ARN of the only role that may read the secret's value: the SageMaker execution role of the pipelines."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@/_-]+$", var.reader_role_arn))
    error_message = "reader_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (7-30), as Secrets Manager allows."
  type        = number
  default     = 7

  validation {
    condition     = var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30 && floor(var.recovery_window_in_days) == var.recovery_window_in_days
    error_message = "recovery_window_in_days must be a whole number from 7 to 30."
  }
}

variable "tags" {
  description = "Tags of the secret, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}
