variable "account_id" {
  description = "The registry account id: owner of the replica bucket and its key."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be an AWS account id of exactly 12 digits."
  }
}

variable "region" {
  description = "The second region, where the replicas live (the provider passed to this module must be in it)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be a region code such as us-west-2."
  }
}

variable "bucket_name" {
  description = "Name of the replica bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "kms_alias" {
  description = "Alias of the replica bucket's customer managed key, for example alias/mammo-model-artifacts-replica."
  type        = string

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.kms_alias)) && !startswith(var.kms_alias, "alias/aws/")
    error_message = "kms_alias must start with 'alias/' followed by letters, digits, '/', '_' or '-', outside the AWS-reserved alias/aws/ prefix."
  }
}

variable "reader_account_ids" {
  description = "Accounts that may read the replicas and decrypt them with the key (the workload accounts); their own IAM policies must allow it too."
  type        = list(string)

  validation {
    condition     = alltrue([for id in var.reader_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "reader_account_ids must hold AWS account ids of exactly 12 digits."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent replica versions are deleted (the source bucket's setting)."
  type        = number

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1."
  }
}

variable "tags" {
  description = "Tags of the bucket and the key, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}
