# One root for every account. Which modules an account gets follows from its tfvars:
#   registry -> registry KMS key + model registry (artifacts bucket, model package group), and the rule that
#               forwards the group's state changes to the workload accounts; every grant covers exactly the
#               accounts of `promotion` (removing one from the file revokes its access on the next apply)
#   workload -> workload KMS key, data bucket, roles, alert topic, pipeline triggers, latest-model Lambda, and
#               with workload.serving: endpoint role, alarms, scaling, multi-model refresh function
#   jenkins  -> (workload) the cross-account deployment role and the jenkins-log log group
#   secondary_region -> (registry) the artifacts' replica bucket and its key in that region, and the
#                       replication rule; (workload) the endpoint role's read of the replicas and the alarms of
#                       secondary_region.endpoints there

data "aws_partition" "current" {}

locals {
  account_id  = var.accounts[var.environment]
  is_registry = var.environment == "registry"
  # The registry file's promotion: the workload accounts the registry grants, by environment name.
  workload_accounts = { for name in coalesce(var.promotion, []) : name => var.accounts[name] }
  # Those of them whose registrations may be Approved (the promotion's first at most).
  auto_approving_accounts = { for name in var.model_registry.auto_approving_environments : name => var.accounts[name] }
  # for_each/count keys: a module exists exactly when its section of the tfvars does.
  workload_enabled = var.workload != null
  jenkins_enabled  = var.jenkins != null

  # Derived names and ARNs: the same ones pipelines/config/ computes (EnvConfig).
  model_package_group_arn = "arn:${data.aws_partition.current.partition}:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package-group/${var.model_registry.model_package_group_name}"
  pipeline_arns = local.workload_enabled ? {
    train     = "arn:${data.aws_partition.current.partition}:sagemaker:${var.aws_region}:${local.account_id}:pipeline/${lower(var.workload.train_pipeline_name)}"
    inference = "arn:${data.aws_partition.current.partition}:sagemaker:${var.aws_region}:${local.account_id}:pipeline/${lower(var.workload.inference_pipeline_name)}"
  } : null
  lambda_log_group_name = local.workload_enabled ? "/aws/lambda/${var.workload.latest_model_function_name}" : null
  alert_log_group_name  = local.workload_enabled ? "/aws/lambda/${var.workload.alert_function_name}" : null
  retrain_input_uri     = local.workload_enabled ? "s3://${var.workload.data_bucket_name}/data/train/" : null
  warehouse             = local.workload_enabled ? var.workload.pipeline.training_data.warehouse : null

  # workload.serving: null when the account serves no endpoints.
  serving         = try(var.workload.serving, null)
  serving_enabled = local.serving != null
  # The refresh function (and its log group) exists only for an account with a multi-model endpoint.
  refresh_log_group_name = local.serving_enabled ? (
    anytrue([for endpoint in local.serving.endpoints : endpoint.mode == "multi-model"]) ? "/aws/lambda/${local.serving.refresh_function_name}" : null
  ) : null
  capture_lifecycle_rules = local.serving_enabled ? [{
    id                                     = "expire-endpoint-capture"
    prefix                                 = "${local.serving.data_capture.prefix}/"
    expiration_days                        = local.serving.data_capture.retention_days
    noncurrent_version_expiration_days     = 1
    abort_incomplete_multipart_upload_days = 1
  }] : []

  secondary_region = var.secondary_region == null ? var.aws_region : var.secondary_region.region
  # The endpoints this account serves in the second region (as pipelines/config/regions.py reads secondary_region.endpoints).
  secondary_endpoint_names = var.secondary_region == null || !local.serving_enabled ? [] : (
    try(var.secondary_region.endpoints, null) != null ? var.secondary_region.endpoints : [
      for endpoint in local.serving.endpoints : endpoint.name if endpoint.mode == "single-model"
    ]
  )
  artifacts_replica_enabled = local.is_registry && var.secondary_region != null
}

# ---------------------------------------------------------------- registry account

module "registry_kms" {
  source = "./modules/kms"
  count  = local.is_registry ? 1 : 0

  alias_name  = var.model_registry.kms_alias
  description = "Encrypts the central model artifacts of ${var.project_name}; the workload accounts may use it."
  # By account principal: the workload roles do not exist yet when the registry is applied first.
  account_id                     = local.account_id
  region                         = var.aws_region
  cross_account_user_account_ids = values(local.workload_accounts)
}

# Every workload account always receives the group's state changes; an account without a multi-model endpoint
# has no rule matching them, and EventBridge drops what no rule matches.
module "model_package_events" {
  source = "./modules/model-package-events"
  count  = local.is_registry ? 1 : 0

  account_id               = local.account_id
  region                   = var.aws_region
  model_package_group_name = var.model_registry.model_package_group_name
  target_account_ids       = values(local.workload_accounts)
  rule_name                = "${var.project_name}-model-package-state-to-workloads"
  role_name                = "${var.project_name}-model-package-events-forwarder"
}

module "model_registry" {
  source = "./modules/model-registry"
  count  = local.is_registry ? 1 : 0

  account_id                         = local.account_id
  region                             = var.aws_region
  artifacts_bucket_name              = var.model_registry.artifacts_bucket_name
  access_log_bucket_name             = var.model_registry.access_log_bucket_name
  kms_key_arn                        = module.registry_kms[0].key_arn
  kms_alias_arn                      = module.registry_kms[0].alias_arn
  noncurrent_version_expiration_days = var.model_registry.noncurrent_version_expiration_days
  model_package_group_name           = var.model_registry.model_package_group_name
  workload_accounts                  = local.workload_accounts
  auto_approving_accounts            = local.auto_approving_accounts
  approver_role_name                 = var.model_registry.approver_role_name
  approver_trusted_principal_arns    = var.model_registry.approver_trusted_principal_arns
  replication = local.artifacts_replica_enabled ? {
    destination_bucket_name  = module.artifacts_replica[0].bucket_name
    destination_kms_key_arn  = module.artifacts_replica[0].kms_key_arn
    role_name                = "${var.project_name}-artifacts-replication"
    enabled                  = var.secondary_region.replication_enabled
    replicate_delete_markers = var.secondary_region.replicate_delete_markers
  } : null
}

# The replica of the artifacts bucket in the second region, with its own key there (workload accounts with a
# secondary_region serve from it).
module "artifacts_replica" {
  source = "./modules/artifacts-replica"
  count  = local.artifacts_replica_enabled ? 1 : 0
  providers = {
    aws = aws.secondary
  }

  account_id                         = local.account_id
  region                             = var.secondary_region.region
  bucket_name                        = var.secondary_region.replica_artifacts_bucket_name
  kms_alias                          = var.secondary_region.replica_kms_alias
  reader_account_ids                 = values(local.workload_accounts)
  noncurrent_version_expiration_days = var.model_registry.noncurrent_version_expiration_days
}

# ---------------------------------------------------------------- workload accounts

module "workload_kms" {
  source = "./modules/kms"
  count  = local.workload_enabled ? 1 : 0

  alias_name  = var.workload.kms_alias
  description = "Encrypts the ${var.environment} workload of ${var.project_name}: data bucket, alert topic, Lambda and log groups."
  account_id  = local.account_id
  region      = var.aws_region
  # EventBridge, and the endpoints' alarms, publish to the alert topic encrypted with this key.
  allow_eventbridge       = true
  allow_cloudwatch_alarms = local.serving_enabled
  cloudwatch_log_group_names = compact([
    local.lambda_log_group_name,
    local.alert_log_group_name,
    local.refresh_log_group_name,
    local.jenkins_enabled ? var.jenkins.log_group_name : null,
  ])
}

module "data_bucket" {
  source = "./modules/secure-bucket"
  count  = local.workload_enabled ? 1 : 0
  #checkov:skip=CKV_AWS_18:data access is audited with CloudTrail data events at the organisation level; a log bucket per workload account adds cost without a reader

  bucket_name = var.workload.data_bucket_name
  kms_key_arn = module.workload_kms[0].key_arn
  lifecycle_rules = concat([{
    id                                     = "expire-noncurrent-versions"
    noncurrent_version_expiration_days     = 90
    abort_incomplete_multipart_upload_days = 7
  }], local.capture_lifecycle_rules)
}

module "iam" {
  source = "./modules/iam"
  count  = local.workload_enabled ? 1 : 0

  environment                   = var.environment
  account_id                    = local.account_id
  registry_account_id           = var.accounts.registry
  region                        = var.aws_region
  sagemaker_execution_role_name = var.workload.sagemaker_execution_role_name
  lambda_role_name              = var.workload.lambda_role_name
  events_role_name              = var.workload.events_role_name
  data_bucket_name              = var.workload.data_bucket_name
  artifacts_bucket_name         = var.model_registry.artifacts_bucket_name
  workload_kms_key_arn          = module.workload_kms[0].key_arn
  registry_kms_alias            = var.model_registry.kms_alias
  model_package_group_name      = var.model_registry.model_package_group_name
  pipeline_arns                 = values(local.pipeline_arns)
  latest_model_function_name    = var.workload.latest_model_function_name
  lambda_log_group_name         = local.lambda_log_group_name
  permissions_boundary_name     = "${var.project_name}-${var.environment}-workload-boundary"
  warehouse_secret_name         = local.warehouse == null ? null : local.warehouse.secret_name
  artifacts_replica = length(local.secondary_endpoint_names) > 0 ? {
    bucket_name = var.secondary_region.replica_artifacts_bucket_name
    region      = var.secondary_region.region
  } : null
}

module "warehouse_secret" {
  source = "./modules/warehouse-secret"
  count  = local.warehouse == null ? 0 : 1

  secret_name     = local.warehouse.secret_name
  kms_key_arn     = module.workload_kms[0].key_arn
  reader_role_arn = module.iam[0].sagemaker_execution_role_arn
}

module "notifications" {
  source = "./modules/notifications"
  count  = local.workload_enabled ? 1 : 0

  topic_name  = var.workload.alert_topic_name
  account_id  = local.account_id
  kms_key_arn = module.workload_kms[0].key_arn
  alert_email = var.workload.alert_email
  # The endpoints' alarms notify the topic (serving module).
  allow_cloudwatch_alarms = local.serving_enabled
}

module "pipeline_triggers" {
  source = "./modules/pipeline-triggers"
  count  = local.workload_enabled ? 1 : 0

  rule_name_prefix       = var.project_name
  train_pipeline_arn     = local.pipeline_arns.train
  inference_pipeline_arn = local.pipeline_arns.inference
  retrain_input_data_uri = local.retrain_input_uri
  schedule_expression    = var.workload.inference_schedule.expression
  schedule_enabled       = var.workload.inference_schedule.enabled
  events_role_arn        = module.iam[0].events_role_arn
  alert_function_arn     = module.alerts[0].function_arn
}

module "alerts" {
  source = "./modules/alerts"
  count  = local.workload_enabled ? 1 : 0

  function_name            = var.workload.alert_function_name
  role_name                = var.workload.alert_lambda_role_name
  zip_path                 = "${var.lambda_zip_dir}/pipeline_alert.zip"
  environment              = var.environment
  account_id               = local.account_id
  region                   = var.aws_region
  pipeline_arns            = values(local.pipeline_arns)
  alert_topic_arn          = module.notifications[0].topic_arn
  kms_key_arn              = module.workload_kms[0].key_arn
  data_bucket_name         = var.workload.data_bucket_name
  monitoring_prefix        = "monitoring"                          # where both drift-check engines write constraint_violations.json
  feature_names            = ["Age", "Shape", "Margin", "Density"] # the batch columns, in order
  retrain_on_failure_of    = var.workload.inference_pipeline_name
  retrain_pipeline_name    = var.workload.train_pipeline_name
  retrain_input_data_uri   = local.retrain_input_uri
  permissions_boundary_arn = module.iam[0].permissions_boundary_arn
  tags                     = { Component = "pipeline-alerts" }
}

module "lambda" {
  source = "./modules/lambda"
  count  = local.workload_enabled ? 1 : 0

  function_name           = var.workload.latest_model_function_name
  zip_path                = "${var.lambda_zip_dir}/latest_approved_model.zip"
  role_arn                = module.iam[0].lambda_role_arn
  kms_key_arn             = module.workload_kms[0].key_arn
  model_package_group_arn = local.model_package_group_arn
  log_group_name          = local.lambda_log_group_name
}

module "serving" {
  source = "./modules/serving"
  count  = local.serving_enabled ? 1 : 0

  environment              = var.environment
  account_id               = local.account_id
  registry_account_id      = var.accounts.registry
  region                   = var.aws_region
  model_package_group_name = var.model_registry.model_package_group_name
  artifacts_bucket_name    = var.model_registry.artifacts_bucket_name
  registry_kms_alias       = var.model_registry.kms_alias
  data_bucket_name         = var.workload.data_bucket_name
  kms_key_arn              = module.workload_kms[0].key_arn
  execution_role_name      = local.serving.execution_role_name
  refresh_function_name    = local.serving.refresh_function_name
  refresh_role_name        = local.serving.refresh_role_name
  models_prefix            = local.serving.models_prefix
  capture_prefix           = local.serving.data_capture.prefix
  capture_sampling_percent = local.serving.data_capture.sampling_percent
  endpoints                = local.serving.endpoints
  alert_topic_arn          = module.notifications[0].topic_arn
  rule_name_prefix         = var.project_name
  zip_path                 = "${var.lambda_zip_dir}/endpoint_refresh.zip"
  permissions_boundary_arn = module.iam[0].permissions_boundary_arn
  tags                     = { Component = "serving" }
}

# The endpoint role's read of the replicas, the endpoints' alarms and the alert topic in the second region (a workload account with secondary_region).
module "serving_secondary" {
  source = "./modules/serving-secondary"
  count  = length(local.secondary_endpoint_names) > 0 ? 1 : 0
  providers = {
    aws = aws.secondary
  }

  region                        = var.secondary_region.region
  account_id                    = local.account_id
  registry_account_id           = var.accounts.registry
  execution_role_name           = module.serving[0].execution_role_name
  replica_artifacts_bucket_name = var.secondary_region.replica_artifacts_bucket_name
  replica_kms_alias             = var.secondary_region.replica_kms_alias
  endpoints                     = [for endpoint in local.serving.endpoints : endpoint if contains(local.secondary_endpoint_names, endpoint.name)]
  alert_topic_name              = var.workload.alert_topic_name
  alert_email                   = var.workload.alert_email
  kms_alias                     = var.workload.kms_alias
  rule_name_prefix              = var.project_name
  tags                          = { Component = "serving" }
}

# ---------------------------------------------------------------- Jenkins (workload accounts)

module "jenkins" {
  source = "./modules/jenkins"
  count  = local.jenkins_enabled ? 1 : 0

  role_name                     = var.jenkins.role_name
  jenkins_principal_arn         = var.jenkins.principal_arn
  jenkins_external_id           = var.jenkins.external_id
  permissions_boundary_arn      = module.iam[0].permissions_boundary_arn
  account_id                    = local.account_id
  region                        = var.aws_region
  environment                   = var.environment
  log_group_name                = var.jenkins.log_group_name
  log_retention_days            = var.jenkins.log_retention_days
  kms_key_arn                   = module.workload_kms[0].key_arn
  terraform_state_bucket        = var.terraform_state_bucket
  state_key                     = "mlops-infra/${var.environment}.tfstate"
  data_bucket_name              = var.workload.data_bucket_name
  workload_kms_alias            = var.workload.kms_alias
  sagemaker_execution_role_name = var.workload.sagemaker_execution_role_name
  lambda_role_name              = var.workload.lambda_role_name
  events_role_name              = var.workload.events_role_name
  alert_topic_name              = var.workload.alert_topic_name
  rule_name_prefix              = var.project_name
  latest_model_function_name    = var.workload.latest_model_function_name
  alert_function_name           = var.workload.alert_function_name
  alert_lambda_role_name        = var.workload.alert_lambda_role_name
  managed_log_group_names       = compact([local.lambda_log_group_name, local.alert_log_group_name, local.refresh_log_group_name, var.jenkins.log_group_name])
  pipeline_arns                 = values(local.pipeline_arns)
  warehouse_secret_name         = local.warehouse == null ? null : local.warehouse.secret_name
  serving = local.serving_enabled ? {
    endpoint_names             = [for endpoint in local.serving.endpoints : endpoint.name]
    multi_model_endpoint_names = [for endpoint in local.serving.endpoints : endpoint.name if endpoint.mode == "multi-model"]
    alarm_names                = flatten(values(module.serving[0].alarm_names))
    execution_role_name        = local.serving.execution_role_name
    refresh_role_name          = local.serving.refresh_role_name
    refresh_function_name      = local.serving.refresh_function_name
    models_prefix              = local.serving.models_prefix
    registry_account_id        = var.accounts.registry
    artifacts_bucket_name      = var.model_registry.artifacts_bucket_name
    registry_kms_alias         = var.model_registry.kms_alias
    model_package_group_name   = var.model_registry.model_package_group_name
  } : null
  secondary_serving = length(local.secondary_endpoint_names) > 0 ? {
    region                        = var.secondary_region.region
    endpoint_names                = local.secondary_endpoint_names
    replica_artifacts_bucket_name = var.secondary_region.replica_artifacts_bucket_name
    kms_key_arn                   = module.serving_secondary[0].kms_key_arn
    alarm_names                   = flatten(values(module.serving_secondary[0].alarm_names))
  } : null
}
