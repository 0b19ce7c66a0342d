variable "bucket_name" {
  description = "Name of the bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "sse_algorithm" {
  description = "Default encryption: aws:kms (SSE-KMS with a bucket key) or AES256 (SSE-S3, the only kind S3 server access logging delivers to)."
  type        = string
  default     = "aws:kms"

  validation {
    condition     = contains(["aws:kms", "AES256"], var.sse_algorithm)
    error_message = "sse_algorithm must be aws:kms or AES256."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key of the default encryption (sse_algorithm aws:kms); null for the account's AWS-managed S3 key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>) or null."
  }
}

variable "access_log_target" {
  description = "Where S3 delivers this bucket's server access logs: the target bucket (its policy must admit the logging service) and the key prefix. null: no access logging."
  type = object({
    bucket = string
    prefix = string
  })
  default = null
}

variable "lifecycle_rules" {
  description = "Lifecycle rules, all in the bucket's one lifecycle configuration (whole-bucket rules first): id, key prefix the rule applies to (null: the whole bucket), days to current-object expiry (null: never), days to noncurrent-version expiry, days to abort incomplete multipart uploads."
  type = list(object({
    id                                     = string
    prefix                                 = optional(string)
    expiration_days                        = optional(number)
    noncurrent_version_expiration_days     = number
    abort_incomplete_multipart_upload_days = number
  }))

  validation {
    condition = length(var.lifecycle_rules) > 0 && alltrue([
      for rule in var.lifecycle_rules : alltrue([
        for days in [rule.expiration_days, rule.noncurrent_version_expiration_days, rule.abort_incomplete_multipart_upload_days] :
        days == null ? true : days >= 1 && floor(days) == days
      ])
    ])
    error_message = "lifecycle_rules must hold at least one rule, and every number of days must be a whole number, at least 1."
  }
}

variable "policy_documents" {
  description = "Bucket policy documents (JSON of aws_iam_policy_document) merged into the bucket policy next to its TLS-only statement."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with its objects and versions. Keep false except for throw-away accounts (tests)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags of the bucket, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}
