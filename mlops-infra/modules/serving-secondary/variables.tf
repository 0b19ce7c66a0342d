variable "region" {
  description = "The second region (secondary_region.region): the provider this module is given must act there."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be a region code such as us-west-2."
  }
}

variable "account_id" {
  description = "The workload account (prod) the endpoints run in."
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

variable "tags" {
  description = "Tags of the alarms (the provider adds Project, Environment and ManagedBy)."
  type        = map(string)
  default     = {}
}
