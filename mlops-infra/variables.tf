# Every variable here is a key of environments/<env>.tfvars.json (plus lambda_zip_dir, built by the runner).
# The validations mirror pipelines/config/ so a bad value is caught by whichever tool reads the file first;
# each message names the field and says how to fix it. tests/config/bad_inputs.py has a bad input for every
# block, which both tools must refuse naming the same field: a new block needs a case there.

variable "environment" {
  description = "Which account this run manages: registry (central model registry) or a workload environment (any other file of environments/ with a workload section); it names the file, the state key and the account in accounts."
  type        = string

  validation {
    condition     = length(var.environment) <= 20 && can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.environment)) && var.environment != "tooling"
    error_message = "environment must be 1-20 lower-case letters, digits and single hyphens, starting with a letter (the name of its file environments/<name>.tfvars.json), and not tooling."
  }
}

variable "aws_region" {
  description = "AWS region of every resource of the platform, for example us-east-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region code such as us-east-1."
  }
}

variable "project_name" {
  description = "Short project name, used as the Project tag and as the prefix of the EventBridge rule names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project_name))
    error_message = "project_name must be 2-21 lowercase letters, digits or hyphens, starting with a letter (e.g. mammo)."
  }
}

variable "accounts" {
  description = "AWS account ids by role: tooling (Jenkins host), registry (central model registry) and workload environments by name: the file's own, and in the registry file every one the registry grants (listed in promotion too)."
  type        = map(string)

  validation {
    condition     = alltrue([for name in keys(var.accounts) : contains(["tooling", "registry"], name) || (length(name) <= 20 && can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", name)))])
    error_message = "accounts keys must be tooling, registry or workload environment names: 1-20 lower-case letters, digits and single hyphens, starting with a letter."
  }

  validation {
    condition     = alltrue([for name in ["tooling", "registry", var.environment] : contains(keys(var.accounts), name)])
    error_message = "accounts.tooling, accounts.registry and the account of the file's own environment (accounts.<environment>) are required."
  }

  validation {
    condition     = alltrue([for id in values(var.accounts) : can(regex("^[0-9]{12}$", id))])
    error_message = "accounts.tooling, accounts.registry and each workload account (accounts.<environment>) must each be an AWS account id of exactly 12 digits, written as a string (\"111111111111\")."
  }

  validation {
    condition     = length(distinct(values(var.accounts))) == length(var.accounts)
    error_message = "accounts.tooling, accounts.registry and each workload account (accounts.<environment>) must be different accounts: the cross-account policies rely on the separation."
  }
}

variable "promotion" {
  description = "Registry file only: the workload environments in the order models and changes are promoted through them. Each has its file environments/<name>.tfvars.json and its account in accounts; the registry grants exactly these accounts. null in the workload files."
  type        = list(string)
  default     = null

  validation {
    condition     = (var.promotion == null) == (var.environment != "registry")
    error_message = "promotion must be set in the registry file (the workload environments, in promotion order) and null in a workload environment's file."
  }

  validation {
    condition = var.promotion == null ? true : (length(var.promotion) > 0 && length(distinct(var.promotion)) == length(var.promotion) && alltrue([
      for name in var.promotion : !contains(["tooling", "registry"], name) && contains(keys(var.accounts), name)
    ]))
    error_message = "promotion must list workload environments, each once, each with its account in accounts (accounts.<environment>) and its file environments/<environment>.tfvars.json."
  }

  validation {
    condition = var.promotion == null ? true : alltrue([
      for name in keys(var.accounts) : contains(["tooling", "registry"], name) || contains(var.promotion, name)
    ])
    error_message = "promotion must list every workload account of accounts: an account the registry grants is promoted to; add it where it belongs in the order (or remove it from accounts to revoke its access)."
  }
}

variable "terraform_state_bucket" {
  description = "Name of this account's Terraform state bucket (created by mlops-infra/bootstrap); Jenkins' role may read and write it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.terraform_state_bucket))
    error_message = "terraform_state_bucket must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "model_registry" {
  description = "The central model registry in the registry account: model package group, artifacts bucket, its access-log bucket, KMS key alias, the approver role (the only principal that may approve or reject a version), the IAM roles or users trusted to assume it, and auto_approving_environments (registry file only; default none): the environments whose accounts may register versions Approved, at most the promotion's first, each with workload.pipeline.allow_auto_approval true in its file."
  type = object({
    model_package_group_name           = string
    artifacts_bucket_name              = string
    access_log_bucket_name             = string
    kms_alias                          = string
    noncurrent_version_expiration_days = number
    approver_role_name                 = string
    approver_trusted_principal_arns    = list(string)
    auto_approving_environments        = optional(list(string), [])
  })

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.model_registry.model_package_group_name))
    error_message = "model_registry.model_package_group_name must be 1-63 letters, digits and single hyphens (e.g. mammo-severity)."
  }

  validation {
    condition = alltrue([
      for name in [var.model_registry.artifacts_bucket_name, var.model_registry.access_log_bucket_name] :
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", name))
    ])
    error_message = "model_registry.artifacts_bucket_name and model_registry.access_log_bucket_name must be S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens."
  }

  validation {
    condition     = var.model_registry.artifacts_bucket_name != var.model_registry.access_log_bucket_name
    error_message = "model_registry.access_log_bucket_name must differ from model_registry.artifacts_bucket_name: a bucket cannot log to itself."
  }

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.model_registry.kms_alias)) && !startswith(var.model_registry.kms_alias, "alias/aws/")
    error_message = "model_registry.kms_alias must start with 'alias/' followed by letters, digits, '/', '_' or '-', and must not use the AWS-reserved prefix alias/aws/."
  }

  validation {
    condition     = var.model_registry.noncurrent_version_expiration_days >= 1 && floor(var.model_registry.noncurrent_version_expiration_days) == var.model_registry.noncurrent_version_expiration_days
    error_message = "model_registry.noncurrent_version_expiration_days must be a whole number of days, at least 1."
  }

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.model_registry.approver_role_name))
    error_message = "model_registry.approver_role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }

  validation {
    condition = length(var.model_registry.approver_trusted_principal_arns) > 0 && alltrue([
      for arn in var.model_registry.approver_trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[a-zA-Z0-9+=,.@/_-]+$", arn))
    ])
    error_message = "model_registry.approver_trusted_principal_arns must list at least one IAM role or user ARN (arn:<partition>:iam::<account>:role/<name>); account roots and wildcards are refused (each listed principal may approve models)."
  }

  validation {
    condition = length(distinct(var.model_registry.auto_approving_environments)) == length(var.model_registry.auto_approving_environments) && alltrue([
      for name in var.model_registry.auto_approving_environments : contains(coalesce(var.promotion, []), name)
    ])
    error_message = "model_registry.auto_approving_environments must list environments of promotion, each once, in the registry file (leave it empty in a workload file): the model package group lets their accounts register versions Approved."
  }

  validation {
    condition = alltrue([
      for name in var.model_registry.auto_approving_environments : name == try(var.promotion[0], null)
    ])
    error_message = "model_registry.auto_approving_environments may list only the first environment of promotion (where models are trained): a later stage registering versions Approved would let them reach production inference with nobody having reviewed them."
  }
}

variable "workload" {
  description = "A workload account's resources: data bucket, KMS key, pipelines, roles, alert topic, inference schedule and serving (endpoint execution role, data capture, per-endpoint scaling, deployment guardrails and alarms, the multi-model refresh function; null: no endpoints). null for the registry account."
  type = object({
    data_bucket_name              = string
    kms_alias                     = string
    train_pipeline_name           = string
    inference_pipeline_name       = string
    latest_model_function_name    = string
    alert_function_name           = string
    sagemaker_execution_role_name = string
    lambda_role_name              = string
    alert_lambda_role_name        = string
    events_role_name              = string
    alert_topic_name              = string
    alert_email                   = string
    inference_schedule = object({
      expression = string
      enabled    = bool
    })
    pipeline = object({
      processing_instance_type     = string
      processing_instance_count    = number
      training_instance_type       = string
      training_max_runtime_seconds = optional(number, 86400)
      transform_instance_type      = string
      transform_instance_count     = number
      auc_threshold                = number
      model_approval_status        = string
      drift_check_engine           = string
      allow_auto_approval          = optional(bool, false)
      training_data = optional(object({
        source = string
        warehouse = optional(object({
          secret_name        = string
          table              = string
          start_date         = string
          end_date           = string
          subnet_ids         = optional(list(string), [])
          security_group_ids = optional(list(string), [])
        }))
      }), { source = "s3" })
      tuning = optional(object({
        max_jobs          = number
        max_parallel_jobs = number
        random_seed       = number
        ranges = map(object({
          kind    = string
          min     = number
          max     = number
          scaling = optional(string, "Auto")
        }))
      }))
    })
    serving = optional(object({
      execution_role_name   = string
      refresh_function_name = string
      refresh_role_name     = string
      models_prefix         = string
      data_capture = object({
        prefix           = string
        sampling_percent = number
        retention_days   = number
      })
      endpoints = list(object({
        name                   = string
        mode                   = string
        instance_type          = string
        initial_instance_count = number
        autoscaling = object({
          enabled                         = optional(bool, false)
          min_capacity                    = number
          max_capacity                    = number
          target_invocations_per_instance = number
        })
        deployment = object({
          strategy              = string
          traffic_step_percent  = optional(number)
          wait_interval_seconds = number
        })
        alarms = object({
          invocation_5xx_errors = number
          model_latency_ms      = number
        })
      }))
    }))
  })
  default = null

  validation {
    condition     = (var.workload == null) == (var.environment == "registry")
    error_message = "workload must be set for a workload environment and null for the registry account (it runs no pipelines)."
  }

  validation {
    condition     = var.workload == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.workload.data_bucket_name))
    error_message = "workload.data_bucket_name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }

  validation {
    condition     = var.workload == null ? true : can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.workload.kms_alias)) && !startswith(var.workload.kms_alias, "alias/aws/")
    error_message = "workload.kms_alias must start with 'alias/' followed by letters, digits, '/', '_' or '-', and must not use the AWS-reserved prefix alias/aws/."
  }

  validation {
    condition = var.workload == null ? true : alltrue([
      for name in [var.workload.train_pipeline_name, var.workload.inference_pipeline_name] :
      can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$", name))
    ])
    error_message = "workload.train_pipeline_name and workload.inference_pipeline_name must be SageMaker pipeline names: letters, digits and single hyphens, starting with a letter or digit."
  }

  validation {
    condition     = var.workload == null ? true : lower(var.workload.train_pipeline_name) != lower(var.workload.inference_pipeline_name)
    error_message = "workload.train_pipeline_name and workload.inference_pipeline_name must differ (pipeline ARNs are case-insensitive)."
  }

  validation {
    condition = var.workload == null ? true : alltrue([
      for name in [var.workload.latest_model_function_name, var.workload.alert_function_name] :
      can(regex("^[a-zA-Z0-9_-]{1,64}$", name))
    ])
    error_message = "workload.latest_model_function_name and workload.alert_function_name must be Lambda function names: 1-64 letters, digits, '_' or '-'."
  }

  validation {
    condition = var.workload == null ? true : alltrue([
      for name in [var.workload.sagemaker_execution_role_name, var.workload.lambda_role_name, var.workload.alert_lambda_role_name, var.workload.events_role_name] :
      can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", name))
    ])
    error_message = "workload.sagemaker_execution_role_name, workload.lambda_role_name, workload.alert_lambda_role_name and workload.events_role_name must be IAM role names: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }

  validation {
    condition     = var.workload == null ? true : can(regex("^[a-zA-Z0-9_-]{1,256}$", var.workload.alert_topic_name))
    error_message = "workload.alert_topic_name must be an SNS topic name: 1-256 letters, digits, '_' or '-'."
  }

  validation {
    condition     = var.workload == null ? true : can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", var.workload.alert_email))
    error_message = "workload.alert_email must be an email address such as team@example.com (alerts are sent there)."
  }

  validation {
    condition     = var.workload == null ? true : can(regex("^(cron\\([^()]+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", var.workload.inference_schedule.expression))
    error_message = "workload.inference_schedule.expression must be an EventBridge schedule expression such as cron(0 6 * * ? *) or rate(1 day)."
  }

  validation {
    condition     = var.workload == null ? true : length(regexall("^cron\\(", var.workload.inference_schedule.expression)) == 0 || length(split(" ", trimspace(trimsuffix(trimprefix(var.workload.inference_schedule.expression, "cron("), ")")))) == 6
    error_message = "workload.inference_schedule.expression: an EventBridge cron() has exactly six fields (minutes hours day-of-month month day-of-week year), e.g. cron(0 6 * * ? *)."
  }

  validation {
    condition = var.workload == null ? true : alltrue([
      for type in [var.workload.pipeline.processing_instance_type, var.workload.pipeline.training_instance_type, var.workload.pipeline.transform_instance_type] :
      can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", type))
    ])
    error_message = "workload.pipeline.processing_instance_type, training_instance_type and transform_instance_type must be SageMaker instance types such as ml.m5.large."
  }

  validation {
    condition = var.workload == null ? true : alltrue([
      for count in [var.workload.pipeline.processing_instance_count, var.workload.pipeline.transform_instance_count] :
      count >= 1 && floor(count) == count
    ])
    error_message = "workload.pipeline.processing_instance_count and transform_instance_count must be whole numbers, at least 1."
  }

  validation {
    condition     = var.workload == null ? true : var.workload.pipeline.training_max_runtime_seconds >= 1 && var.workload.pipeline.training_max_runtime_seconds <= 2419200 && floor(var.workload.pipeline.training_max_runtime_seconds) == var.workload.pipeline.training_max_runtime_seconds
    error_message = "workload.pipeline.training_max_runtime_seconds must be whole seconds between 1 and 2419200 (28 days, SageMaker's limit for a training job)."
  }

  validation {
    condition     = var.workload == null ? true : var.workload.pipeline.auc_threshold >= 0 && var.workload.pipeline.auc_threshold <= 1
    error_message = "workload.pipeline.auc_threshold must be between 0 and 1 (a model registers only when its AUC is above it)."
  }

  validation {
    condition     = var.workload == null ? true : contains(["Approved", "PendingManualApproval", "Rejected"], var.workload.pipeline.model_approval_status)
    error_message = "workload.pipeline.model_approval_status must be one of Approved, PendingManualApproval, Rejected."
  }

  validation {
    condition     = var.workload == null ? true : !var.workload.pipeline.allow_auto_approval || try(var.jenkins.apply_submitter, null) == null
    error_message = "workload.pipeline.allow_auto_approval must be false where jenkins.apply_submitter is set: an environment whose changes a person approves must not register versions that no approver reviewed."
  }

  validation {
    condition     = var.workload == null ? true : var.workload.pipeline.model_approval_status == "PendingManualApproval" || var.workload.pipeline.allow_auto_approval
    error_message = "workload.pipeline.model_approval_status must be PendingManualApproval (versions are approved with approve-model), unless workload.pipeline.allow_auto_approval is true (only where jenkins.apply_submitter is null)."
  }

  validation {
    condition = try(var.workload.pipeline.tuning, null) == null ? true : (
      var.workload.pipeline.tuning.max_jobs >= 1 && var.workload.pipeline.tuning.max_jobs <= 750 &&
      var.workload.pipeline.tuning.max_parallel_jobs >= 1 &&
      var.workload.pipeline.tuning.max_parallel_jobs <= var.workload.pipeline.tuning.max_jobs &&
      var.workload.pipeline.tuning.random_seed >= 0 && length(var.workload.pipeline.tuning.ranges) > 0 &&
      alltrue([for range in values(var.workload.pipeline.tuning.ranges) :
        contains(["integer", "continuous"], range.kind) && range.min <= range.max &&
        contains(["Auto", "Linear", "Logarithmic"], range.scaling) && (range.scaling != "Logarithmic" || range.min > 0)
      ])
    )
    error_message = "workload.pipeline.tuning (null trains once with fixed hyperparameters) needs 1 <= max_parallel_jobs <= max_jobs <= 750, random_seed >= 0 and at least one range, each of kind integer or continuous with min <= max and scaling Auto, Linear or Logarithmic (Logarithmic: min > 0)."
  }

  validation {
    condition     = var.workload == null ? true : contains(["model-monitor", "processing"], var.workload.pipeline.drift_check_engine)
    error_message = "workload.pipeline.drift_check_engine must be model-monitor (accounts that already use SageMaker Model Monitor) or processing (no Model Monitor container; closed to new customers on 2026-07-30)."
  }

  validation {
    condition     = var.workload == null ? true : contains(["s3", "warehouse"], var.workload.pipeline.training_data.source)
    error_message = "workload.pipeline.training_data.source must be s3 (CSV files in the data bucket) or warehouse (a query on the SQL warehouse)."
  }

  validation {
    condition     = var.workload == null ? true : var.workload.pipeline.training_data.source != "warehouse" || var.workload.pipeline.training_data.warehouse != null
    error_message = "workload.pipeline.training_data.warehouse is missing: the warehouse source needs its secret_name, table, start_date and end_date."
  }

  validation {
    condition = try(var.workload.pipeline.training_data.warehouse, null) == null ? true : (
      can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.workload.pipeline.training_data.warehouse.secret_name)) &&
      can(regex("^[A-Za-z_][A-Za-z0-9_]{0,62}([.][A-Za-z_][A-Za-z0-9_]{0,62})?$", var.workload.pipeline.training_data.warehouse.table)) &&
      alltrue([for day in [var.workload.pipeline.training_data.warehouse.start_date, var.workload.pipeline.training_data.warehouse.end_date] : can(formatdate("YYYY-MM-DD", "${day}T00:00:00Z"))]) &&
      (length(var.workload.pipeline.training_data.warehouse.subnet_ids) > 0) == (length(var.workload.pipeline.training_data.warehouse.security_group_ids) > 0)
    )
    error_message = "workload.pipeline.training_data.warehouse needs a Secrets Manager secret_name (1-512 of A-Z a-z 0-9 / _ + = . @ -), a table name (optionally schema-qualified), start_date and end_date written YYYY-MM-DD, and subnet_ids and security_group_ids both set or both empty."
  }

  # workload.serving: the same checks as pipelines/config/serving.py.
  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue([
      for name in [var.workload.serving.execution_role_name, var.workload.serving.refresh_role_name] :
      can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", name))
    ])
    error_message = "workload.serving.execution_role_name and workload.serving.refresh_role_name must be IAM role names: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }

  validation {
    condition     = try(var.workload.serving, null) == null ? true : can(regex("^[a-zA-Z0-9_-]{1,64}$", var.workload.serving.refresh_function_name))
    error_message = "workload.serving.refresh_function_name must be a Lambda function name: 1-64 letters, digits, '_' or '-'."
  }

  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue([
      for prefix in [var.workload.serving.models_prefix, var.workload.serving.data_capture.prefix] :
      can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", prefix))
    ])
    error_message = "workload.serving.models_prefix and workload.serving.data_capture.prefix must be S3 key prefixes such as endpoint-capture (no leading or trailing '/')."
  }

  validation {
    condition     = try(var.workload.serving, null) == null ? true : var.workload.serving.data_capture.sampling_percent >= 0 && var.workload.serving.data_capture.sampling_percent <= 100 && floor(var.workload.serving.data_capture.sampling_percent) == var.workload.serving.data_capture.sampling_percent
    error_message = "workload.serving.data_capture.sampling_percent must be a whole number between 0 and 100."
  }

  validation {
    condition     = try(var.workload.serving, null) == null ? true : var.workload.serving.data_capture.retention_days >= 1 && floor(var.workload.serving.data_capture.retention_days) == var.workload.serving.data_capture.retention_days
    error_message = "workload.serving.data_capture.retention_days must be a whole number of days, at least 1 (captured requests are deleted after it)."
  }

  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue([
      for endpoint in var.workload.serving.endpoints : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", endpoint.name))
    ])
    error_message = "workload.serving.endpoints[].name must be a SageMaker endpoint name: 1-63 letters, digits and single hyphens, starting with a letter or digit."
  }

  validation {
    condition     = try(var.workload.serving, null) == null ? true : length(distinct([for endpoint in var.workload.serving.endpoints : endpoint.name])) == length(var.workload.serving.endpoints)
    error_message = "workload.serving.endpoints names an endpoint twice: endpoint names are unique in an account."
  }

  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue([
      for endpoint in var.workload.serving.endpoints : contains(["single-model", "multi-model"], endpoint.mode)
    ])
    error_message = "workload.serving.endpoints[].mode must be one of single-model, multi-model."
  }

  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue([
      for endpoint in var.workload.serving.endpoints : can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", endpoint.instance_type))
    ])
    error_message = "workload.serving.endpoints[].instance_type must be a SageMaker instance type such as ml.m5.large."
  }

  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue(flatten([
      for endpoint in var.workload.serving.endpoints : [
        for count in [endpoint.initial_instance_count, endpoint.autoscaling.min_capacity, endpoint.autoscaling.max_capacity, endpoint.autoscaling.target_invocations_per_instance] :
        count >= 1 && floor(count) == count
      ]
    ]))
    error_message = "workload.serving.endpoints[].initial_instance_count, autoscaling.min_capacity, autoscaling.max_capacity and autoscaling.target_invocations_per_instance must be whole numbers greater than 0."
  }

  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue([
      for endpoint in var.workload.serving.endpoints :
      endpoint.autoscaling.min_capacity <= endpoint.initial_instance_count && endpoint.initial_instance_count <= endpoint.autoscaling.max_capacity
    ])
    error_message = "workload.serving.endpoints[].initial_instance_count must lie between autoscaling.min_capacity and autoscaling.max_capacity."
  }

  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue([
      for endpoint in var.workload.serving.endpoints : contains(["all-at-once", "canary", "linear"], endpoint.deployment.strategy)
    ])
    error_message = "workload.serving.endpoints[].deployment.strategy must be one of all-at-once, canary, linear."
  }

  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue([
      for endpoint in var.workload.serving.endpoints : endpoint.deployment.strategy == "all-at-once" ? endpoint.deployment.traffic_step_percent == null : (
        endpoint.deployment.traffic_step_percent == null ? false : (
          endpoint.deployment.traffic_step_percent >= 1 && endpoint.deployment.traffic_step_percent <= 99 && floor(endpoint.deployment.traffic_step_percent) == endpoint.deployment.traffic_step_percent
        )
      )
    ])
    error_message = "workload.serving.endpoints[].deployment.traffic_step_percent must be null for the all-at-once strategy (it shifts all traffic in one step), and a whole number between 1 and 99 for canary and linear."
  }

  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue([
      for endpoint in var.workload.serving.endpoints :
      endpoint.deployment.wait_interval_seconds >= 0 && endpoint.deployment.wait_interval_seconds <= 3600 && floor(endpoint.deployment.wait_interval_seconds) == endpoint.deployment.wait_interval_seconds
    ])
    error_message = "workload.serving.endpoints[].deployment.wait_interval_seconds must be a whole number between 0 and 3600."
  }

  validation {
    condition = try(var.workload.serving, null) == null ? true : alltrue(flatten([
      for endpoint in var.workload.serving.endpoints : [
        for threshold in [endpoint.alarms.invocation_5xx_errors, endpoint.alarms.model_latency_ms] : threshold >= 1 && floor(threshold) == threshold
      ]
    ]))
    error_message = "workload.serving.endpoints[].alarms.invocation_5xx_errors and alarms.model_latency_ms must be whole numbers greater than 0."
  }
}

variable "jenkins" {
  description = "Jenkins deployment access (workload accounts: a build for an environment assumes the role in its account): the cross-account role, the one tooling-account principal it trusts (principal_arn, with external_id as sts:ExternalId when set), the jenkins-log CloudWatch log group, and the Jenkins users or groups one of whom must approve this environment's applies and served models (apply_submitter, read by the Jenkinsfile; null: no person approves). null elsewhere."
  type = object({
    role_name          = string
    log_group_name     = string
    log_retention_days = number
    principal_arn      = string
    external_id        = optional(string)
    apply_submitter    = string
  })
  default = null

  validation {
    condition     = var.jenkins == null ? true : var.environment != "registry"
    error_message = "jenkins may only be set for a workload account: its role deploys that account's workload."
  }

  validation {
    condition     = var.jenkins == null ? true : can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.jenkins.role_name))
    error_message = "jenkins.role_name must be an IAM role name: 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }

  validation {
    condition     = var.jenkins == null ? true : can(regex("^[a-zA-Z0-9_/.#-]{1,512}$", var.jenkins.log_group_name))
    error_message = "jenkins.log_group_name must be a CloudWatch log group name: 1-512 of A-Z a-z 0-9 _ / . # -."
  }

  validation {
    condition     = var.jenkins == null ? true : contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.jenkins.log_retention_days)
    error_message = "jenkins.log_retention_days must be a retention CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }

  validation {
    condition     = var.jenkins == null ? true : can(regex("^arn:aws[a-z-]*:iam::${var.accounts.tooling}:(role|user)/[a-zA-Z0-9+=,.@/_-]+$", var.jenkins.principal_arn))
    error_message = "jenkins.principal_arn must be the ARN of the IAM role or user Jenkins runs as in the tooling account (accounts.tooling), (arn:<partition>:iam::<tooling>:role/<name>); an account root or a wildcard is refused (the deployment role trusts this principal alone)."
  }

  validation {
    condition     = var.jenkins == null ? true : (var.jenkins.external_id == null ? true : (length(var.jenkins.external_id) >= 2 && length(var.jenkins.external_id) <= 1224 && can(regex("^[a-zA-Z0-9+=,.@:/_-]+$", var.jenkins.external_id))))
    error_message = "jenkins.external_id must be null or 2-1224 of A-Z a-z 0-9 + = , . @ : / _ - (the sts:ExternalId Jenkins presents)."
  }

  validation {
    condition     = try(var.jenkins.apply_submitter, null) == null ? true : can(regex("^[^,[:space:]]([^,]*[^,[:space:]])?([[:space:]]*,[[:space:]]*[^,[:space:]]([^,]*[^,[:space:]])?)*$", var.jenkins.apply_submitter))
    error_message = "jenkins.apply_submitter must be null (no approval) or name the Jenkins users or groups who may approve an apply, separated by commas (e.g. mlops-prod-approvers,alice), with no empty name."
  }
}

variable "secondary_region" {
  description = "The platform's second region, or null for one region. The registry account replicates the model artifacts there into replica_artifacts_bucket_name, encrypted with its own key (replica_kms_alias); replication_enabled is the replication rule's status (false keeps the replica), replicate_delete_markers whether deletes hide the replicas too. endpoints: the single-model endpoints of workload.serving that a workload account with secondary_region serves there (deploy-endpoint --region secondary; null: all of them), which get their alarms and the endpoint role's read of the replicas there."
  type = object({
    region                        = string
    replication_enabled           = bool
    replicate_delete_markers      = optional(bool, false)
    replica_artifacts_bucket_name = string
    replica_kms_alias             = string
    endpoints                     = optional(list(string))
  })
  default = null

  validation {
    condition     = var.secondary_region == null ? true : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.secondary_region.region))
    error_message = "secondary_region.region must be a region code such as us-west-2."
  }

  validation {
    condition     = var.secondary_region == null ? true : var.secondary_region.region != var.aws_region
    error_message = "secondary_region.region must differ from aws_region: name another region for the replicas, or set secondary_region to null for one region only."
  }

  validation {
    # The partition follows from the region's prefix (cn-: aws-cn, us-gov-: aws-us-gov, else aws).
    condition = var.secondary_region == null ? true : (
      startswith(var.secondary_region.region, "cn-") == startswith(var.aws_region, "cn-") &&
      strcontains(var.secondary_region.region, "-gov-") == strcontains(var.aws_region, "-gov-")
    )
    error_message = "secondary_region.region must be in the partition of aws_region: S3 replicates within one partition."
  }

  validation {
    condition     = var.secondary_region == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.secondary_region.replica_artifacts_bucket_name))
    error_message = "secondary_region.replica_artifacts_bucket_name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }

  validation {
    condition     = var.secondary_region == null ? true : !contains([var.model_registry.artifacts_bucket_name, var.model_registry.access_log_bucket_name], var.secondary_region.replica_artifacts_bucket_name)
    error_message = "secondary_region.replica_artifacts_bucket_name must differ from model_registry.artifacts_bucket_name and access_log_bucket_name: bucket names are global."
  }

  validation {
    condition     = var.secondary_region == null ? true : can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.secondary_region.replica_kms_alias)) && !startswith(var.secondary_region.replica_kms_alias, "alias/aws/")
    error_message = "secondary_region.replica_kms_alias must start with 'alias/' followed by letters, digits, '/', '_' or '-', and must not use the AWS-reserved prefix alias/aws/."
  }

  validation {
    condition     = try(var.secondary_region.endpoints, null) == null ? true : try(var.workload.serving, null) != null
    error_message = "secondary_region.endpoints is set but this account serves no endpoints (workload.serving is null or absent): leave it out, or null."
  }

  validation {
    condition = try(var.secondary_region.endpoints, null) == null ? true : alltrue([
      for name in var.secondary_region.endpoints : contains([for endpoint in try(var.workload.serving.endpoints, []) : endpoint.name if endpoint.mode == "single-model"], name)
    ])
    error_message = "secondary_region.endpoints must name single-model endpoints of workload.serving.endpoints (a multi-model endpoint is served from the data bucket's models prefix, which has no replica)."
  }

  validation {
    condition     = try(var.secondary_region.endpoints, null) == null ? true : length(var.secondary_region.endpoints) > 0 && length(distinct(var.secondary_region.endpoints)) == length(var.secondary_region.endpoints)
    error_message = "secondary_region.endpoints must list at least one endpoint and name each once (null: every single-model endpoint)."
  }

  validation {
    condition     = try(var.secondary_region.endpoints, null) == null ? true : var.secondary_region.replication_enabled
    error_message = "secondary_region.endpoints lists endpoints to deploy in the secondary region but secondary_region.replication_enabled is false: the replicas they would serve are no longer kept current; enable replication, or set endpoints to null."
  }
}

variable "lambda_zip_dir" {
  description = "Folder of the Lambda zips, one per function (endpoint_refresh.zip, latest_approved_model.zip, pipeline_alert.zip), built by pipelines.lambdas.package.build_lambda_zips (the runner passes it). Required for the workload accounts."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_zip_dir == null ? true : alltrue([for function in ["endpoint_refresh", "latest_approved_model", "pipeline_alert"] : fileexists("${var.lambda_zip_dir}/${function}.zip")])
    error_message = "lambda_zip_dir must be a folder holding endpoint_refresh.zip, latest_approved_model.zip and pipeline_alert.zip (build them with pipelines.lambdas.package.build_lambda_zips)."
  }

  validation {
    condition     = var.workload == null ? true : var.lambda_zip_dir != null
    error_message = "lambda_zip_dir is required for the workload accounts: pass -var lambda_zip_dir=<folder of the Lambda zips> (mlops-infra does it for you)."
  }
}
