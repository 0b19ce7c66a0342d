variable "account_id" {
  description = "The registry account id (the account the rule and role are in)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "The region of the registry and of the workload buses."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be a region code such as us-east-1."
  }
}

variable "model_package_group_name" {
  description = "Name of the central model package group whose state changes are forwarded."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_package_group_name))
    error_message = "model_package_group_name must be 1-63 letters, digits and single hyphens."
  }
}

variable "target_account_ids" {
  description = "Workload accounts whose default event bus receives the state changes (the registry file's promotion)."
  type        = list(string)

  validation {
    condition     = length(var.target_account_ids) > 0 && alltrue([for id in var.target_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "target_account_ids must list at least one account id of 12 digits."
  }
}

variable "rule_name" {
  description = "Name of the EventBridge rule on the registry's default bus."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,64}$", var.rule_name))
    error_message = "rule_name must be 1-64 of A-Z a-z 0-9 . _ -."
  }
}

variable "role_name" {
  description = "Name of the role EventBridge uses to put the events on the workload buses."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "tags" {
  description = "Tags added to the rule and the role (the provider's default tags apply as well)."
  type        = map(string)
  default     = {}
}
