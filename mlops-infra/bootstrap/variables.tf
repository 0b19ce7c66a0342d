variable "state_bucket_name" {
  description = "Name of the account's Terraform state bucket (terraform_state_bucket in environments/<env>.tfvars.json)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "account_id" {
  description = "The account the bucket belongs to (accounts.<environment> in the tfvars); a run with other credentials is refused."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be an AWS account id of exactly 12 digits."
  }
}

variable "aws_region" {
  description = "Region of the state bucket."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region code such as us-east-1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days old state versions are kept, to roll back a bad apply."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with its state versions. Keep false except for throw-away accounts (tests)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags of the state bucket, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}
