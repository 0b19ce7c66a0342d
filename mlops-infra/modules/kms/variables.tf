variable "alias_name" {
  description = "Alias of the key, for example alias/mammo-workload. Other accounts find the key through it."
  type        = string

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.alias_name)) && !startswith(var.alias_name, "alias/aws/")
    error_message = "alias_name must start with 'alias/' followed by letters, digits, '/', '_' or '-', outside the AWS-reserved alias/aws/ prefix."
  }
}

variable "description" {
  description = "Description of the key: what it encrypts and who uses it."
  type        = string
}

variable "account_id" {
  description = "Account that owns the key; its IAM policies decide which of its principals may use the key."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be an AWS account id of exactly 12 digits."
  }
}

variable "region" {
  description = "Region of the key (names the CloudWatch Logs service principal)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be a region code such as us-east-1."
  }
}

variable "cross_account_user_account_ids" {
  description = "Other accounts whose principals may encrypt and decrypt with the key (their own IAM policies must allow it too)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.cross_account_user_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "cross_account_user_account_ids must hold AWS account ids of exactly 12 digits."
  }
}

variable "allow_eventbridge" {
  description = "Let events.amazonaws.com use the key, required for EventBridge to publish to an SNS topic encrypted with it."
  type        = bool
  default     = false
}

variable "allow_cloudwatch_alarms" {
  description = "Let cloudwatch.amazonaws.com use the key for the alarms of this account and region only, required for alarm actions to publish to an SNS topic encrypted with it."
  type        = bool
  default     = false
}

variable "cloudwatch_log_group_names" {
  description = "CloudWatch log groups (in this account and region) that CloudWatch Logs may encrypt with the key."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.cloudwatch_log_group_names : can(regex("^[a-zA-Z0-9_/.#-]{1,512}$", name))])
    error_message = "cloudwatch_log_group_names must hold log group names of 1-512 of A-Z a-z 0-9 _ / . # -."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a deleted key is destroyed (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags of the key, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}
