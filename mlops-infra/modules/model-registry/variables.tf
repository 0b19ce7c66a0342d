variable "account_id" {
  description = "The registry account id (owner of the buckets and the model package group)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be an AWS account id of exactly 12 digits."
  }
}

variable "region" {
  description = "Region of the registry."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be a region code such as us-east-1."
  }
}

variable "artifacts_bucket_name" {
  description = "Name of the central model-artifacts bucket (model.tar.gz, evaluation reports and drift baselines, under <environment>/)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_name))
    error_message = "artifacts_bucket_name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "access_log_bucket_name" {
  description = "Name of the bucket receiving the artifacts bucket's server access logs."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket_name))
    error_message = "access_log_bucket_name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "kms_key_arn" {
  description = "ARN of the registry KMS key that encrypts the artifacts (the workload accounts may use it)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "kms_alias_arn" {
  description = "ARN of the registry key's alias; uploads may name the key by it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:alias/.+$", var.kms_alias_arn))
    error_message = "kms_alias_arn must be a KMS alias ARN (arn:<partition>:kms:<region>:<account>:alias/<name>)."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten (noncurrent) artifact versions are deleted."
  type        = number

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1."
  }
}

variable "access_log_expiration_days" {
  description = "Days after which server access log objects are deleted."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_expiration_days >= 1 && floor(var.access_log_expiration_days) == var.access_log_expiration_days
    error_message = "access_log_expiration_days must be a whole number of days, at least 1."
  }
}

variable "model_package_group_name" {
  description = "Name of the central SageMaker model package group."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_package_group_name))
    error_message = "model_package_group_name must be 1-63 letters, digits and single hyphens."
  }
}

variable "workload_accounts" {
  description = "The workload accounts by environment name: each reads every artifact (a later environment serves models trained in an earlier one), writes under <environment>/, registers versions pending approval and describes and lists the group. Exactly these accounts are granted."
  type        = map(string)

  validation {
    condition     = length(var.workload_accounts) > 0 && alltrue([for name, id in var.workload_accounts : can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", name)) && can(regex("^[0-9]{12}$", id))])
    error_message = "workload_accounts must map at least one environment name (lower-case letters, digits, single hyphens) to an AWS account id of exactly 12 digits."
  }
}

variable "auto_approving_accounts" {
  description = "The workload accounts by environment name that may also register versions Approved (auto-approval, where no person reviews them: the promotion's first environment at most); each is one of workload_accounts. Empty: every registration waits for an approver."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name, id in var.auto_approving_accounts : lookup(var.workload_accounts, name, null) == id])
    error_message = "auto_approving_accounts must map environments of workload_accounts to the same account ids: only an account granted registration may register versions Approved."
  }
}

variable "approver_role_name" {
  description = "Name of the registry-account role that alone may approve or reject model versions (UpdateModelPackage)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.approver_role_name))
    error_message = "approver_role_name must be an IAM role name: 1-64 letters, digits and +=,.@_- characters."
  }
}

variable "approver_trusted_principal_arns" {
  description = "IAM principals (users or roles) that may assume the approver role; never a whole account or a wildcard."
  type        = list(string)

  validation {
    condition = length(var.approver_trusted_principal_arns) > 0 && alltrue([
      for arn in var.approver_trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[a-zA-Z0-9+=,.@/_-]+$", arn))
    ])
    error_message = "approver_trusted_principal_arns must list at least one IAM role or user ARN (arn:<partition>:iam::<account>:role/<name>); account roots and wildcards are refused."
  }
}

variable "tags" {
  description = "Tags of the buckets and the model package group, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}

variable "replication" {
  description = "Replication of the artifacts bucket to its replica in another region, or null for none: the replica bucket (versioned), the key in its region the replicas are encrypted with, the name of the role S3 replicates with, whether the rule is enabled (false keeps the replica, nothing new is copied) and whether delete markers are replicated."
  type = object({
    destination_bucket_name  = string
    destination_kms_key_arn  = string
    role_name                = string
    enabled                  = bool
    replicate_delete_markers = bool
  })
  default = null

  validation {
    condition     = var.replication == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.replication.destination_bucket_name)) && var.replication.destination_bucket_name != var.artifacts_bucket_name
    error_message = "replication.destination_bucket_name must be an S3 bucket name other than artifacts_bucket_name: 3-63 lowercase letters, digits, dots and hyphens."
  }

  validation {
    condition     = var.replication == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.replication.destination_kms_key_arn))
    error_message = "replication.destination_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>): S3 resolves an alias in the requester's account."
  }

  validation {
    condition     = var.replication == null ? true : can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.replication.role_name))
    error_message = "replication.role_name must be an IAM role name: 1-64 letters, digits and +=,.@_- characters."
  }
}
