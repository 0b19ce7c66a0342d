variable "region" {
  description = "The second region (secondary_region.region): the provider this module is given must act there."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be a region code such as us-west-2."
  }
}

variable "account_id" {
  description = "The workload account the endpoints run in."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be an AWS account id of exactly 12 digits."
  }
}

variable "registry_account_id" {
  description = "The central registry account, owner of the replica bucket and of its key."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.registry_account_id))
    error_message = "registry_account_id must be an AWS account id of exactly 12 digits."
  }
}

variable "execution_role_name" {
  description = "Name of the endpoint execution role (made by the serving module: IAM is global, the same role serves both regions)."
  type        = string
}

variable "replica_artifacts_bucket_name" {
  description = "The registry's replica bucket in the region (secondary_region.replica_artifacts_bucket_name)."
  type        = string
}

variable "replica_kms_alias" {
  description = "Alias of the replica key in the registry account (secondary_region.replica_kms_alias): decrypt is granted on keys carrying it."
  type        = string

  validation {
    condition     = startswith(var.replica_kms_alias, "alias/") && !startswith(var.replica_kms_alias, "alias/aws/")
    error_message = "replica_kms_alias must be a customer managed key's alias (alias/..., not alias/aws/...)."
  }
}

variable "endpoints" {
  description = "The endpoints served in the region (secondary_region.endpoints of workload.serving.endpoints): name and alarm thresholds (5xx errors per minute, average model latency in ms)."
  type = list(object({
    name = string
    alarms = object({
      invocation_5xx_errors = number
      model_latency_ms      = number
    })
  }))

  validation {
    condition     = length(distinct([for endpoint in var.endpoints : endpoint.name])) == length(var.endpoints)
    error_message = "endpoints must name each endpoint once."
  }
}

variable "alert_topic_name" {
  description = "Name of the region's alert topic: the workload's alert topic name (workload.alert_topic_name); topic names are regional."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,256}$", var.alert_topic_name))
    error_message = "alert_topic_name must be an SNS topic name: 1-256 letters, digits, '_' or '-'."
  }
}

variable "alert_email" {
  description = "Address subscribed to the region's alerts, the primary topic's (workload.alert_email)."
  type        = string

  validation {
    condition     = can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", var.alert_email))
    error_message = "alert_email must be an email address such as team@example.com."
  }
}

variable "kms_alias" {
  description = "Alias of the region's key encrypting the alert topic: the workload key's alias (workload.kms_alias); aliases are regional."
  type        = string

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.kms_alias)) && !startswith(var.kms_alias, "alias/aws/")
    error_message = "kms_alias must start with 'alias/' followed by letters, digits, '/', '_' or '-', and must not use the AWS-reserved prefix alias/aws/."
  }
}

variable "rule_name_prefix" {
  description = "Prefix of the EventBridge rule alerting failed endpoints (the project name)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,40}$", var.rule_name_prefix))
    error_message = "rule_name_prefix must be 1-40 letters, digits, '.', '_' or '-' (the rule name adds the suffix)."
  }
}

variable "tags" {
  description = "Tags of the alarms, the key, the topic and the rule (the provider adds Project, Environment and ManagedBy)."
  type        = map(string)
  default     = {}
}
