variable "topic_name" {
  description = "Name of the pipeline alert SNS topic."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,256}$", var.topic_name))
    error_message = "topic_name must be an SNS topic name: 1-256 letters, digits, '_' or '-'."
  }
}

variable "account_id" {
  description = "The account that owns the topic; only its EventBridge rules and principals may publish."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be an AWS account id of exactly 12 digits."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed key encrypting the topic; its policy must let events.amazonaws.com use it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not the AWS-managed alias/aws/sns key, which blocks EventBridge."
  }
}

variable "allow_cloudwatch_alarms" {
  description = "Let the CloudWatch alarms of the account in the topic's region publish (their alarm actions name the topic); the key must allow them too."
  type        = bool
  default     = false
}

variable "alert_email" {
  description = "Address subscribed to the alerts (the subscription must be confirmed from the email AWS sends)."
  type        = string

  validation {
    condition     = can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", var.alert_email))
    error_message = "alert_email must be an email address such as team@example.com."
  }
}

variable "tags" {
  description = "Tags of the topic, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}
