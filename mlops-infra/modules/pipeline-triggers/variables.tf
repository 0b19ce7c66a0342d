variable "rule_name_prefix" {
  description = "Prefix of the rule names (<prefix>-inference-schedule, <prefix>-inference-failed, <prefix>-train-failed)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,40}$", var.rule_name_prefix))
    error_message = "rule_name_prefix must be 1-40 letters, digits, '.', '_' or '-' (rule names are at most 64 characters)."
  }
}

variable "train_pipeline_arn" {
  description = "ARN of the train pipeline (arn:<partition>:sagemaker:<region>:<account>:pipeline/<lowercase name>)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:pipeline/[a-z0-9-]+$", var.train_pipeline_arn))
    error_message = "train_pipeline_arn must be a SageMaker pipeline ARN with a lowercase name, as events report it."
  }
}

variable "inference_pipeline_arn" {
  description = "ARN of the batch inference pipeline (arn:<partition>:sagemaker:<region>:<account>:pipeline/<lowercase name>)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:pipeline/[a-z0-9-]+$", var.inference_pipeline_arn))
    error_message = "inference_pipeline_arn must be a SageMaker pipeline ARN with a lowercase name, as events report it."
  }
}

variable "retrain_input_data_uri" {
  description = "InputDataUri passed to the train pipeline when the inference pipeline fails (all training data: part1 and part2)."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.*$", var.retrain_input_data_uri))
    error_message = "retrain_input_data_uri must be an s3://<bucket>/<prefix> URI."
  }
}

variable "schedule_expression" {
  description = "When the inference pipeline runs: an EventBridge cron() or rate() expression."
  type        = string

  validation {
    condition     = can(regex("^(cron\\([^()]+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", var.schedule_expression))
    error_message = "schedule_expression must be an EventBridge schedule expression such as cron(0 6 * * ? *) or rate(1 day)."
  }
}

variable "schedule_enabled" {
  description = "Whether the inference schedule is ENABLED, or DISABLED (pipelines are started by hand)."
  type        = bool
}

variable "events_role_arn" {
  description = "ARN of the role EventBridge assumes to start the pipelines (allowed only sagemaker:StartPipelineExecution)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.events_role_arn))
    error_message = "events_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "alert_function_arn" {
  description = "ARN of the alert function the failure rules invoke (module alerts); it publishes to the alert topic."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[a-zA-Z0-9_-]{1,64}$", var.alert_function_arn))
    error_message = "alert_function_arn must be a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>)."
  }
}

variable "tags" {
  description = "Tags of the module's resources, merged with the provider's default tags."
  type        = map(string)
  default     = {}
}
