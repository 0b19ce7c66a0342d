# The modules of a workload account, with that account's real tfvars, on a mock provider (no AWS):
#   terraform test -filter=tests/workload.tftest.hcl -var-file=../environments/dev.tfvars.json -var lambda_zip_dir=<folder of the zips>
# and the same with prod.tfvars.json. Run by tests/terraform_static/test_terraform_tests.py. Each run
# gives its module the values the root passes it (ARNs of not-yet-created resources are fixed stand-ins).

# Policies are rendered by the real provider: aws_iam_policy_document and aws_partition need no AWS, and a
# plan without state reads nothing remote, so runs that read policies plan with offline, fake credentials.
provider "aws" {
  region                      = var.aws_region
  access_key                  = "offline-plan"
  secret_key                  = "offline-plan"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

# Rules, targets and the function are planned and applied on the mock provider.
mock_provider "aws" {
  alias = "mock"

  # Generated values must be what the provider accepts: policies are JSON documents, ARNs name a partition.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:000000000000:rule/mock-rule" }
  }
}

run "workload_key_lets_eventbridge_and_logs_use_it" {
  command = plan

  module {
    source = "./modules/kms"
  }

  variables {
    alias_name        = var.workload.kms_alias
    description       = "workload key under test"
    account_id        = var.accounts[var.environment]
    region            = var.aws_region
    allow_eventbridge = true
    cloudwatch_log_group_names = compact([
      "/aws/lambda/${var.workload.latest_model_function_name}",
      var.jenkins == null ? null : var.jenkins.log_group_name,
    ])
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "the workload key must rotate"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid != "AllowEventBridgeToPublishToEncryptedTopics" ? true : (
        s.Principal.Service == "events.amazonaws.com" && try(s.Condition, null) == null &&
        toset(flatten([s.Action])) == toset(["kms:GenerateDataKey*", "kms:Decrypt"])
      )
    ]) && contains([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid], "AllowEventBridgeToPublishToEncryptedTopics")
    error_message = "events.amazonaws.com must get kms:GenerateDataKey* and kms:Decrypt without conditions (EventBridge to the encrypted topic)"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid != "AllowCloudWatchLogsForNamedLogGroups" ? false : toset(flatten([s.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"]])) == toset(concat(
        ["arn:aws:logs:${var.aws_region}:${var.accounts[var.environment]}:log-group:/aws/lambda/${var.workload.latest_model_function_name}"],
        var.jenkins == null ? [] : ["arn:aws:logs:${var.aws_region}:${var.accounts[var.environment]}:log-group:${var.jenkins.log_group_name}"],
      ))
    ])
    error_message = "CloudWatch Logs may use the key only for the Lambda log group (and jenkins-log in prod)"
  }

  assert {
    condition     = !contains([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid], "AllowCryptographyForOtherAccounts")
    error_message = "no other account may use the workload key"
  }
}

run "data_bucket_is_encrypted_with_the_workload_key_and_tls_only" {
  command = plan

  module {
    source = "./modules/secure-bucket"
  }

  # The values the root passes for the data bucket.
  variables {
    bucket_name = var.workload.data_bucket_name
    kms_key_arn = "arn:aws:kms:${var.aws_region}:${var.accounts[var.environment]}:key/11111111-2222-3333-4444-555555555555"
    lifecycle_rules = [{
      id                                     = "expire-noncurrent-versions"
      noncurrent_version_expiration_days     = 90
      abort_incomplete_multipart_upload_days = 7
    }]
  }

  assert {
    condition = alltrue(flatten([
      for rule in aws_s3_bucket_server_side_encryption_configuration.this.rule : [
        for default in rule.apply_server_side_encryption_by_default : default.sse_algorithm == "aws:kms" && default.kms_master_key_id == var.kms_key_arn
      ]
    ]))
    error_message = "the data bucket must default to SSE-KMS with the workload key"
  }

  # The hardening every bucket of the platform gets from this module (state, data, artifacts, access logs).
  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "every bucket must be versioned (roll back an overwrite or a bad apply)"
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls, aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls, aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ]) && aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "every bucket must block every public access and disable ACLs"
  }

  assert {
    condition     = length(aws_s3_bucket_logging.this) == 0 && !aws_s3_bucket.this.force_destroy
    error_message = "without an access_log_target there is no logging, and a bucket survives a destroy unless asked"
  }

  assert {
    condition = [for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : merge(s, { Resource = toset(s.Resource) })] == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = toset(["arn:aws:s3:::${var.workload.data_bucket_name}", "arn:aws:s3:::${var.workload.data_bucket_name}/*"])
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "the data bucket must deny requests without TLS, and grant nothing"
  }

  assert {
    condition     = aws_s3_bucket.this.bucket == var.workload.data_bucket_name && output.bucket_name == var.workload.data_bucket_name
    error_message = "the data bucket must be named as in the tfvars"
  }
}

run "roles_are_least_privilege" {
  command = plan

  module {
    source = "./modules/iam"
  }

  variables {
    environment                   = var.environment
    account_id                    = var.accounts[var.environment]
    registry_account_id           = var.accounts.registry
    region                        = var.aws_region
    sagemaker_execution_role_name = var.workload.sagemaker_execution_role_name
    lambda_role_name              = var.workload.lambda_role_name
    events_role_name              = var.workload.events_role_name
    data_bucket_name              = var.workload.data_bucket_name
    artifacts_bucket_name         = var.model_registry.artifacts_bucket_name
    workload_kms_key_arn          = "arn:aws:kms:${var.aws_region}:${var.accounts[var.environment]}:key/11111111-2222-3333-4444-555555555555"
    registry_kms_alias            = var.model_registry.kms_alias
    model_package_group_name      = var.model_registry.model_package_group_name
    pipeline_arns = [
      "arn:aws:sagemaker:${var.aws_region}:${var.accounts[var.environment]}:pipeline/${lower(var.workload.train_pipeline_name)}",
      "arn:aws:sagemaker:${var.aws_region}:${var.accounts[var.environment]}:pipeline/${lower(var.workload.inference_pipeline_name)}",
    ]
    latest_model_function_name = var.workload.latest_model_function_name
    lambda_log_group_name      = "/aws/lambda/${var.workload.latest_model_function_name}"
    permissions_boundary_name  = "${var.project_name}-${var.environment}-workload-boundary"
    warehouse_secret_name      = var.workload.pipeline.training_data.warehouse.secret_name
  }

  # The policy's ARN is known after apply only: a stand-in, which the roles must name.
  override_resource {
    target          = aws_iam_policy.boundary
    override_during = plan
    values          = { arn = "arn:aws:iam::000000000000:policy/boundary-under-test" }
  }

  assert {
    condition = alltrue([
      for role in [aws_iam_role.sagemaker_execution, aws_iam_role.lambda, aws_iam_role.events] :
      role.permissions_boundary == aws_iam_policy.boundary.arn
    ]) && output.permissions_boundary_arn == "arn:aws:iam::${var.accounts[var.environment]}:policy/${var.project_name}-${var.environment}-workload-boundary"
    error_message = "every workload role must carry the workload permissions boundary"
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_policy.boundary.policy).Statement : [
        for action in flatten([s.Action]) : s.Effect == "Allow" && action != "*" && !endswith(action, ":*") && (
          !startswith(action, "iam:") || action == "iam:PassRole"
        ) && action != "sagemaker:UpdateModelPackage"
      ]
    ]))
    error_message = "the boundary may name no wildcard action, nothing of IAM but PassRole, and never UpdateModelPackage (approval)"
  }

  assert {
    condition = alltrue(flatten([
      for policy in [aws_iam_role_policy.sagemaker_execution.policy, aws_iam_role_policy.lambda.policy, aws_iam_role_policy.events.policy] : [
        for s in jsondecode(policy).Statement : [
          for action in flatten([s.Action]) : anytrue([for b in jsondecode(aws_iam_policy.boundary.policy).Statement : contains(flatten([b.Action]), action)])
        ]
      ]
    ]))
    error_message = "the boundary must allow every action the workload roles' policies use (or the roles would silently lose it)"
  }

  assert {
    condition = alltrue([
      for action in [
        "sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig",
        "sagemaker:DescribeEndpoint", "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:AddTags", "s3:DeleteObject", "events:PutEvents",
      ] : anytrue([for b in jsondecode(aws_iam_policy.boundary.policy).Statement : contains(flatten([b.Action]), action)]) != (action == "events:PutEvents")
    ])
    error_message = "the boundary must allow what the serving roles do (models, endpoint configs, endpoint updates, removing served models), and no events:PutEvents"
  }

  assert {
    condition = [
      for role in [aws_iam_role.sagemaker_execution, aws_iam_role.lambda, aws_iam_role.events] :
      jsondecode(role.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"]
    ] == [for i in range(3) : var.accounts[var.environment]]
    error_message = "every service-role trust must be limited to this account (aws:SourceAccount)"
  }

  assert {
    condition     = jsondecode(aws_iam_role.sagemaker_execution.assume_role_policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == "arn:aws:sagemaker:${var.aws_region}:${var.accounts[var.environment]}:*"
    error_message = "SageMaker may assume the execution role only for this account's resources (aws:SourceArn)"
  }

  assert {
    condition = alltrue(flatten([
      for policy in [aws_iam_role_policy.sagemaker_execution.policy, aws_iam_role_policy.lambda.policy, aws_iam_role_policy.events.policy] : [
        for s in jsondecode(policy).Statement : [for action in flatten([s.Action]) : action != "*" && !endswith(action, ":*")]
      ]
    ]))
    error_message = "no role policy may allow every action or every action of a service"
  }

  assert {
    condition = alltrue(flatten([
      for policy in [aws_iam_role_policy.sagemaker_execution.policy, aws_iam_role_policy.lambda.policy] : [
        for s in jsondecode(policy).Statement : s.Resource != "*" ? true : alltrue([
          for action in flatten([s.Action]) : contains(["ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "sagemaker:ListModelPackages", "xray:PutTraceSegments", "xray:PutTelemetryRecords"], action)
        ])
      ]
    ]))
    error_message = "Resource \"*\" is allowed only for actions without resource types"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.events.policy).Statement :
      s.Effect == "Allow" && s.Action == "sagemaker:StartPipelineExecution" && toset(s.Resource) == toset(var.pipeline_arns)
    ]) && length(jsondecode(aws_iam_role_policy.events.policy).Statement) == 1
    error_message = "the events role may only start the two pipelines"
  }

  assert {
    condition     = jsondecode(aws_iam_role.events.assume_role_policy).Statement[0].Principal.Service == "events.amazonaws.com" && jsondecode(aws_iam_role.sagemaker_execution.assume_role_policy).Statement[0].Principal.Service == "sagemaker.amazonaws.com" && jsondecode(aws_iam_role.lambda.assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"
    error_message = "each role must trust its own service only"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.sagemaker_execution.policy).Statement :
      s.Action != "iam:PassRole" ? false : s.Resource == "arn:aws:iam::${var.accounts[var.environment]}:role/${var.workload.sagemaker_execution_role_name}" && s.Condition.StringEquals["iam:PassedToService"] == "sagemaker.amazonaws.com"
    ]) && length([for s in jsondecode(aws_iam_role_policy.sagemaker_execution.policy).Statement : s if contains(flatten([s.Action]), "iam:PassRole")]) == 1
    error_message = "the execution role may pass only itself, only to SageMaker"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.sagemaker_execution.policy).Statement :
      s.Resource != "arn:aws:kms:${var.aws_region}:${var.accounts.registry}:key/*" ? false : s.Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == var.model_registry.kms_alias
    ])
    error_message = "the registry key must be matched by its alias"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.sagemaker_execution.policy).Statement :
      contains(flatten([s.Action]), "s3:PutObject") && s.Resource == "arn:aws:s3:::${var.model_registry.artifacts_bucket_name}/${var.environment}/*"
    ])
    error_message = "the execution role must write central artifacts under its own environment prefix"
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.sagemaker_execution.policy).Statement : [s.Effect, s.Action, s.Resource]
      if length([for action in flatten([s.Action]) : action if startswith(action, "secretsmanager:")]) > 0
      ] == [["Allow", "secretsmanager:GetSecretValue",
    "arn:aws:secretsmanager:${var.aws_region}:${var.accounts[var.environment]}:secret:${var.workload.pipeline.training_data.warehouse.secret_name}-??????"]]
    error_message = "the execution role may read the warehouse secret and no other secret"
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_policy.boundary.policy).Statement : s.Resource
      if contains(flatten([s.Action]), "secretsmanager:GetSecretValue")
    ] == ["arn:aws:secretsmanager:${var.aws_region}:${var.accounts[var.environment]}:secret:${var.workload.pipeline.training_data.warehouse.secret_name}-??????"]
    error_message = "the permissions boundary must allow reading the warehouse secret alone"
  }
}

run "warehouse_secret_is_readable_by_the_pipeline_role_alone" {
  command = plan

  module {
    source = "./modules/warehouse-secret"
  }

  variables {
    secret_name     = var.workload.pipeline.training_data.warehouse.secret_name
    kms_key_arn     = "arn:aws:kms:${var.aws_region}:${var.accounts[var.environment]}:key/11111111-2222-3333-4444-555555555555"
    reader_role_arn = "arn:aws:iam::${var.accounts[var.environment]}:role/${var.workload.sagemaker_execution_role_name}"
  }

  assert {
    condition     = aws_secretsmanager_secret.this.name == var.workload.pipeline.training_data.warehouse.secret_name && aws_secretsmanager_secret.this.kms_key_id == "arn:aws:kms:${var.aws_region}:${var.accounts[var.environment]}:key/11111111-2222-3333-4444-555555555555"
    error_message = "the secret must carry the tfvars name and be encrypted with the workload key"
  }

  assert {
    condition = jsondecode(data.aws_iam_policy_document.this.json).Statement == [{
      Sid       = "OnlyThePipelineRoleReadsTheValue"
      Effect    = "Deny"
      Action    = "secretsmanager:GetSecretValue"
      Resource  = "*"
      Principal = { AWS = "*" }
      Condition = { StringNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::${var.accounts[var.environment]}:role/${var.workload.sagemaker_execution_role_name}" } }
    }] && aws_secretsmanager_secret_policy.this.block_public_policy
    error_message = "every principal but the SageMaker execution role must be denied the secret's value"
  }
}

run "alert_topic_is_encrypted_and_eventbridge_may_publish" {
  command = plan

  module {
    source = "./modules/notifications"
  }

  variables {
    topic_name  = var.workload.alert_topic_name
    account_id  = var.accounts[var.environment]
    kms_key_arn = "arn:aws:kms:${var.aws_region}:${var.accounts[var.environment]}:key/11111111-2222-3333-4444-555555555555"
    alert_email = var.workload.alert_email
  }

  assert {
    condition     = aws_sns_topic.alerts.kms_master_key_id == var.kms_key_arn && aws_sns_topic.alerts.name == var.workload.alert_topic_name
    error_message = "the alert topic must be encrypted with the workload key (not alias/aws/sns)"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_sns_topic_policy.alerts.policy).Statement :
      try(s.Principal.Service, "") != "events.amazonaws.com" ? false : s.Action == "sns:Publish" && s.Condition.StringEquals["aws:SourceAccount"] == var.accounts[var.environment]
    ])
    error_message = "EventBridge rules of this account must be allowed to publish"
  }

  assert {
    condition     = aws_sns_topic_subscription.email.protocol == "email" && aws_sns_topic_subscription.email.endpoint == var.workload.alert_email
    error_message = "the alert email must be subscribed"
  }
}

run "triggers_follow_the_tfvars" {
  command = apply
  providers = {
    aws = aws.mock
  }

  module {
    source = "./modules/pipeline-triggers"
  }

  variables {
    rule_name_prefix       = var.project_name
    train_pipeline_arn     = "arn:aws:sagemaker:${var.aws_region}:${var.accounts[var.environment]}:pipeline/${lower(var.workload.train_pipeline_name)}"
    inference_pipeline_arn = "arn:aws:sagemaker:${var.aws_region}:${var.accounts[var.environment]}:pipeline/${lower(var.workload.inference_pipeline_name)}"
    retrain_input_data_uri = "s3://${var.workload.data_bucket_name}/data/train/"
    schedule_expression    = var.workload.inference_schedule.expression
    schedule_enabled       = var.workload.inference_schedule.enabled
    events_role_arn        = "arn:aws:iam::${var.accounts[var.environment]}:role/${var.workload.events_role_name}"
    alert_function_arn     = "arn:aws:lambda:${var.aws_region}:${var.accounts[var.environment]}:function:${var.workload.alert_function_name}"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.inference_schedule.state == (var.workload.inference_schedule.enabled ? "ENABLED" : "DISABLED") && aws_cloudwatch_event_rule.inference_schedule.schedule_expression == var.workload.inference_schedule.expression
    error_message = "the inference schedule must use the tfvars expression and be enabled exactly when the tfvars say so"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.inference_failed.event_pattern) == {
      source      = ["aws.sagemaker"]
      detail-type = ["SageMaker Model Building Pipeline Execution Status Change"]
      detail = {
        currentPipelineExecutionStatus = ["Failed"]
        pipelineArn                    = [var.inference_pipeline_arn]
      }
    }
    error_message = "the inference-failed rule must match failed executions of the inference pipeline"
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.train_failed.event_pattern).detail.pipelineArn == [var.train_pipeline_arn]
    error_message = "the train-failed rule must match the train pipeline"
  }

  assert {
    condition = aws_cloudwatch_event_target.retrain.arn == var.train_pipeline_arn && aws_cloudwatch_event_target.retrain.role_arn == var.events_role_arn && [
      for parameter in aws_cloudwatch_event_target.retrain.sagemaker_pipeline_target[0].pipeline_parameter_list : { (parameter.name) = parameter.value }
    ] == [{ InputDataUri = "s3://${var.workload.data_bucket_name}/data/train/" }]
    error_message = "a failed inference must start the train pipeline on all training data, with the events role"
  }

  assert {
    condition     = aws_cloudwatch_event_target.inference_schedule.arn == var.inference_pipeline_arn && aws_cloudwatch_event_target.inference_schedule.role_arn == var.events_role_arn
    error_message = "the schedule must start the inference pipeline with the events role"
  }

  assert {
    condition = alltrue([
      for target in [aws_cloudwatch_event_target.inference_failed_alert, aws_cloudwatch_event_target.train_failed_alert] :
      target.arn == var.alert_function_arn && length(target.input_transformer) == 0 && target.input == null
    ])
    error_message = "both failure rules must hand the whole event to the alert function"
  }

  assert {
    condition = {
      for key, permission in aws_lambda_permission.alert : key => [
        permission.action, permission.principal, permission.function_name, permission.source_arn
      ]
      } == {
      inference = ["lambda:InvokeFunction", "events.amazonaws.com", var.alert_function_arn, aws_cloudwatch_event_rule.inference_failed.arn]
      train     = ["lambda:InvokeFunction", "events.amazonaws.com", var.alert_function_arn, aws_cloudwatch_event_rule.train_failed.arn]
    }
    error_message = "each failure rule, and only it, may invoke the alert function"
  }
}

run "alert_function" {
  command = plan

  module {
    source = "./modules/alerts"
  }

  variables {
    function_name    = var.workload.alert_function_name
    role_name        = var.workload.alert_lambda_role_name
    zip_path         = "${var.lambda_zip_dir}/pipeline_alert.zip"
    environment      = var.environment
    account_id       = var.accounts[var.environment]
    region           = var.aws_region
    alert_topic_arn  = "arn:aws:sns:${var.aws_region}:${var.accounts[var.environment]}:${var.workload.alert_topic_name}"
    kms_key_arn      = "arn:aws:kms:${var.aws_region}:${var.accounts[var.environment]}:key/11111111-2222-3333-4444-555555555555"
    data_bucket_name = var.workload.data_bucket_name
    feature_names    = ["Age", "Shape", "Margin", "Density"]
    pipeline_arns = [
      "arn:aws:sagemaker:${var.aws_region}:${var.accounts[var.environment]}:pipeline/${lower(var.workload.train_pipeline_name)}",
      "arn:aws:sagemaker:${var.aws_region}:${var.accounts[var.environment]}:pipeline/${lower(var.workload.inference_pipeline_name)}",
    ]
    retrain_on_failure_of    = var.workload.inference_pipeline_name
    retrain_pipeline_name    = var.workload.train_pipeline_name
    retrain_input_data_uri   = "s3://${var.workload.data_bucket_name}/data/train/"
    permissions_boundary_arn = "arn:aws:iam::${var.accounts[var.environment]}:policy/${var.project_name}-${var.environment}-workload-boundary"
    tags                     = { Component = "pipeline-alerts" }
  }

  assert {
    condition     = aws_iam_role.this.permissions_boundary == var.permissions_boundary_arn
    error_message = "the alert function's role must carry the workload permissions boundary"
  }

  assert {
    condition = (
      aws_lambda_function.this.function_name == var.workload.alert_function_name &&
      aws_lambda_function.this.handler == "pipeline_alert.handler" && aws_lambda_function.this.runtime == "python3.11" &&
      aws_lambda_function.this.source_code_hash == filebase64sha256("${var.lambda_zip_dir}/pipeline_alert.zip") &&
      aws_lambda_function.this.kms_key_arn == var.kms_key_arn && aws_lambda_function.this.tags == var.tags
    )
    error_message = "the alert function must run pipeline_alert.handler from pipeline_alert.zip, encrypted with the workload key"
  }

  assert {
    condition = jsonencode(aws_lambda_function.this.environment[0].variables) == jsonencode({
      ALERT_TOPIC_ARN        = var.alert_topic_arn
      ENVIRONMENT            = var.environment
      MONITORING_BUCKET      = var.workload.data_bucket_name
      MONITORING_PREFIX      = "monitoring"
      FEATURE_NAMES          = "Age,Shape,Margin,Density"
      RETRAIN_ON_FAILURE_OF  = var.workload.inference_pipeline_name
      RETRAIN_PIPELINE_NAME  = var.workload.train_pipeline_name
      RETRAIN_INPUT_DATA_URI = var.retrain_input_data_uri
    })
    error_message = "the alert function must know the topic, the environment, where the reports are and what retraining a failure starts"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/${var.workload.alert_function_name}" && aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn && aws_lambda_function.this.logging_config[0].log_group == aws_cloudwatch_log_group.this.name
    error_message = "the alert function must log to its own encrypted log group"
  }

  assert {
    condition = aws_iam_role.this.name == var.workload.alert_lambda_role_name && jsondecode(aws_iam_role.this.assume_role_policy).Statement == [{
      Sid       = "LambdaAssumesTheRole"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    }]
    error_message = "the alert function must run as its own role, assumable by Lambda of this account only"
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [
        for action in flatten([s.Action]) : s.Effect == "Allow" && action != "*" && !endswith(action, ":*")
      ]
    ]))
    error_message = "the alert role may not allow every action, nor every action of a service"
  }

  assert {
    condition = jsonencode({
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid => [sort(flatten([s.Action])), sort(flatten([s.Resource]))]
      }) == jsonencode({
      ReadFailedExecutions = [
        ["sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps"],
        sort([for arn in var.pipeline_arns : "${arn}/execution/*"]),
      ]
      ReadDataQualityReports = [["s3:GetObject"], ["arn:aws:s3:::${var.workload.data_bucket_name}/monitoring/*"]]
      PublishTheAlert        = [["sns:Publish"], [var.alert_topic_arn]]
      UseTheWorkloadKey      = [["kms:Decrypt", "kms:GenerateDataKey"], [var.kms_key_arn]]
      WriteFunctionLogs = [
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        ["arn:aws:logs:${var.aws_region}:${var.accounts[var.environment]}:log-group:/aws/lambda/${var.workload.alert_function_name}:*"],
      ]
      UploadTraces = [["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"]]
    })
    error_message = "the alert role may read only the pipelines' executions and steps and the data bucket's monitoring prefix, publish to the alert topic, use the workload key and write its logs"
  }
}

run "latest_model_function" {
  command = apply
  providers = {
    aws = aws.mock
  }

  module {
    source = "./modules/lambda"
  }

  variables {
    function_name           = var.workload.latest_model_function_name
    zip_path                = "${var.lambda_zip_dir}/latest_approved_model.zip"
    role_arn                = "arn:aws:iam::${var.accounts[var.environment]}:role/${var.workload.lambda_role_name}"
    kms_key_arn             = "arn:aws:kms:${var.aws_region}:${var.accounts[var.environment]}:key/11111111-2222-3333-4444-555555555555"
    model_package_group_arn = "arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package-group/${var.model_registry.model_package_group_name}"
    log_group_name          = "/aws/lambda/${var.workload.latest_model_function_name}"
  }

  assert {
    condition     = aws_lambda_function.this.handler == "latest_approved_model.handler" && aws_lambda_function.this.runtime == "python3.11"
    error_message = "the handler must be latest_approved_model.handler on python3.11"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables.MODEL_PACKAGE_GROUP_ARN == var.model_package_group_arn && aws_lambda_function.this.kms_key_arn == var.kms_key_arn
    error_message = "MODEL_PACKAGE_GROUP_ARN must name the central group, encrypted with the workload key"
  }

  assert {
    condition     = aws_lambda_function.this.source_code_hash == filebase64sha256("${var.lambda_zip_dir}/latest_approved_model.zip")
    error_message = "a new zip must redeploy the function"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.this.retention_in_days == 365 && aws_lambda_function.this.logging_config[0].log_group == var.log_group_name
    error_message = "the function must log to its own encrypted log group with retention"
  }
}

# The serving module with the values the root passes; the first endpoint's autoscaling is switched on to plan
# its target and policy (the tfvars keep it off until deploy-endpoint created the endpoint).
run "serving_alarms_scaling_and_least_privilege" {
  command = plan

  module {
    source = "./modules/serving"
  }

  variables {
    environment              = var.environment
    account_id               = var.accounts[var.environment]
    registry_account_id      = var.accounts.registry
    region                   = var.aws_region
    model_package_group_name = var.model_registry.model_package_group_name
    artifacts_bucket_name    = var.model_registry.artifacts_bucket_name
    registry_kms_alias       = var.model_registry.kms_alias
    data_bucket_name         = var.workload.data_bucket_name
    kms_key_arn              = "arn:aws:kms:${var.aws_region}:${var.accounts[var.environment]}:key/11111111-2222-3333-4444-555555555555"
    execution_role_name      = var.workload.serving.execution_role_name
    refresh_function_name    = var.workload.serving.refresh_function_name
    refresh_role_name        = var.workload.serving.refresh_role_name
    models_prefix            = var.workload.serving.models_prefix
    capture_prefix           = var.workload.serving.data_capture.prefix
    capture_sampling_percent = var.workload.serving.data_capture.sampling_percent
    endpoints = [
      for index, endpoint in var.workload.serving.endpoints :
      merge(endpoint, { autoscaling = merge(endpoint.autoscaling, { enabled = index == 0 }) })
    ]
    alert_topic_arn          = "arn:aws:sns:${var.aws_region}:${var.accounts[var.environment]}:${var.workload.alert_topic_name}"
    rule_name_prefix         = var.project_name
    zip_path                 = "${var.lambda_zip_dir}/endpoint_refresh.zip"
    permissions_boundary_arn = "arn:aws:iam::${var.accounts[var.environment]}:policy/${var.project_name}-${var.environment}-workload-boundary"
  }

  assert {
    condition = alltrue([
      for endpoint in var.endpoints :
      module.alarms.errors_alarms[endpoint.name].alarm_name == "${endpoint.name}-invocation-5xx-errors" &&
      module.alarms.errors_alarms[endpoint.name].namespace == "AWS/SageMaker" &&
      module.alarms.errors_alarms[endpoint.name].metric_name == "Invocation5XXErrors" &&
      module.alarms.errors_alarms[endpoint.name].statistic == "Sum" &&
      module.alarms.errors_alarms[endpoint.name].threshold == endpoint.alarms.invocation_5xx_errors &&
      module.alarms.errors_alarms[endpoint.name].comparison_operator == "GreaterThanOrEqualToThreshold"
    ])
    error_message = "each endpoint's errors alarm is <name>-invocation-5xx-errors: Sum of AWS/SageMaker Invocation5XXErrors at the tfvars threshold"
  }

  assert {
    condition = alltrue([
      for endpoint in var.endpoints :
      module.alarms.latency_alarms[endpoint.name].alarm_name == "${endpoint.name}-model-latency" &&
      module.alarms.latency_alarms[endpoint.name].metric_name == "ModelLatency" &&
      module.alarms.latency_alarms[endpoint.name].statistic == "Average" &&
      module.alarms.latency_alarms[endpoint.name].unit == "Microseconds" &&
      module.alarms.latency_alarms[endpoint.name].threshold == endpoint.alarms.model_latency_ms * 1000
    ])
    error_message = "each endpoint's latency alarm is <name>-model-latency on Average ModelLatency, in microseconds (the tfvars' ms x 1000)"
  }

  assert {
    condition = alltrue(flatten([
      for alarms in [module.alarms.errors_alarms, module.alarms.latency_alarms] : [
        for name, alarm in alarms :
        alarm.period == 60 && alarm.evaluation_periods == 1 && alarm.treat_missing_data == "notBreaching" &&
        alarm.dimensions == tomap({ EndpointName = name, VariantName = "AllTraffic" }) && alarm.alarm_actions == toset([var.alert_topic_arn])
      ]
    ]))
    error_message = "the alarms watch the AllTraffic variant per minute, treat missing data as not breaching and notify the alert topic"
  }

  assert {
    condition = length(aws_appautoscaling_target.variant) == 1 && alltrue([
      for name, target in aws_appautoscaling_target.variant :
      name == var.endpoints[0].name && target.service_namespace == "sagemaker" &&
      target.scalable_dimension == "sagemaker:variant:DesiredInstanceCount" && target.resource_id == "endpoint/${name}/variant/AllTraffic" &&
      target.min_capacity == var.endpoints[0].autoscaling.min_capacity && target.max_capacity == var.endpoints[0].autoscaling.max_capacity
    ]) && output.scaled_endpoint_names[0] == var.endpoints[0].name && length(output.scaled_endpoint_names) == 1
    error_message = "only endpoints with autoscaling.enabled get a scalable target: endpoint/<name>/variant/AllTraffic, DesiredInstanceCount, the tfvars' min and max"
  }

  assert {
    condition = alltrue([
      for name, policy in aws_appautoscaling_policy.invocations :
      policy.policy_type == "TargetTrackingScaling" &&
      policy.target_tracking_scaling_policy_configuration[0].target_value == var.endpoints[0].autoscaling.target_invocations_per_instance &&
      policy.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "SageMakerVariantInvocationsPerInstance"
    ]) && length(aws_appautoscaling_policy.invocations) == 1
    error_message = "the scaling policy tracks SageMakerVariantInvocationsPerInstance at the tfvars' target"
  }

  assert {
    condition = (
      jsondecode(aws_iam_role.execution.assume_role_policy).Statement[0].Principal.Service == "sagemaker.amazonaws.com" &&
      jsondecode(aws_iam_role.execution.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == var.account_id &&
      aws_iam_role.execution.permissions_boundary == var.permissions_boundary_arn
    )
    error_message = "only SageMaker acting for this account may assume the endpoint role, which carries the workload boundary"
  }

  assert {
    condition = alltrue(flatten([
      for policy in [aws_iam_role_policy.execution.policy, aws_iam_role_policy.refresh[0].policy] : [
        for s in jsondecode(policy).Statement : [
          for action in flatten([s.Action]) : action != "*" && !endswith(action, ":*") && !endswith(action, "FullAccess") && (s.Resource != "*" || contains([
            "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "sagemaker:ListModelPackages", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
          ], action))
        ]
      ]
    ]))
    error_message = "no wildcard action, and Resource \"*\" only for actions without resource types"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : !contains(flatten([s.Action]), "kms:Decrypt") ? true : (
        s.Resource == "arn:aws:kms:${var.region}:${var.registry_account_id}:key/*" ? try(s.Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"], "") == var.registry_kms_alias : s.Resource == var.kms_key_arn
      ) && try(s.Condition.StringEquals["kms:ViaService"], "") == "s3.${var.region}.amazonaws.com"
    ])
    error_message = "the endpoint role decrypts with the registry key only by its alias, and with either key only through S3"
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : contains(flatten([s.Action]), "s3:PutObject") ? flatten([s.Resource]) : []
    ])) == toset(["arn:aws:s3:::${var.data_bucket_name}/${var.capture_prefix}/*"])
    error_message = "the endpoint role may write the capture prefix and nothing else"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.refresh[0].policy).Statement : !contains(flatten([s.Action]), "iam:PassRole") ? true : (
        s.Sid == "PassTheEndpointRoleToSageMakerOnly" && s.Resource == "arn:aws:iam::${var.account_id}:role/${var.execution_role_name}" &&
        try(s.Condition.StringEquals["iam:PassedToService"], "") == "sagemaker.amazonaws.com"
      )
    ]) && contains([for s in jsondecode(aws_iam_role_policy.refresh[0].policy).Statement : s.Sid], "PassTheEndpointRoleToSageMakerOnly")
    error_message = "the refresh role may pass the endpoint role, and only it, to SageMaker only"
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.refresh[0].policy).Statement : contains(flatten([s.Action]), "sagemaker:UpdateEndpoint") ? flatten([s.Resource]) : []
      ])) == setunion([
      for endpoint in var.endpoints : "arn:aws:sagemaker:${var.region}:${var.account_id}:endpoint/${lower(endpoint.name)}" if endpoint.mode == "multi-model"
    ], ["arn:aws:sagemaker:${var.region}:${var.account_id}:endpoint-config/*"])
    error_message = "the refresh role may update the multi-model endpoints only (UpdateEndpoint also authorizes the endpoint config it puts on them)"
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.refresh[0].policy).Statement : contains(flatten([s.Action]), "s3:PutObject") ? flatten([s.Resource]) : []
    ])) == toset(["arn:aws:s3:::${var.data_bucket_name}/${var.models_prefix}/*"])
    error_message = "the refresh role may write the models prefix and nothing else"
  }

  assert {
    condition = (
      aws_lambda_function.refresh[0].function_name == var.refresh_function_name &&
      aws_lambda_function.refresh[0].handler == "endpoint_refresh.handler" &&
      aws_lambda_function.refresh[0].source_code_hash == filebase64sha256(var.zip_path) &&
      aws_lambda_function.refresh[0].kms_key_arn == var.kms_key_arn &&
      toset(keys(aws_lambda_function.refresh[0].environment[0].variables)) == toset(["REFRESH_SETTINGS"])
    )
    error_message = "the refresh function runs endpoint_refresh.handler from endpoint_refresh.zip, with one variable REFRESH_SETTINGS, encrypted with the workload key"
  }

  assert {
    # Compared as JSON: the decoded settings and the expected object differ only in their Terraform types.
    condition = jsondecode(aws_lambda_function.refresh[0].environment[0].variables.REFRESH_SETTINGS) == jsondecode(jsonencode({
      model_package_group_arn  = "arn:aws:sagemaker:${var.region}:${var.registry_account_id}:model-package-group/${var.model_package_group_name}"
      models_s3_uri            = "s3://${var.data_bucket_name}/${var.models_prefix}"
      kms_key_arn              = var.kms_key_arn
      execution_role_arn       = "arn:aws:iam::${var.account_id}:role/${var.execution_role_name}"
      capture_s3_uri           = "s3://${var.data_bucket_name}/${var.capture_prefix}"
      capture_sampling_percent = var.capture_sampling_percent
      endpoints = [for endpoint in var.endpoints : {
        name                   = endpoint.name
        instance_type          = endpoint.instance_type
        initial_instance_count = endpoint.initial_instance_count
        deployment_strategy    = endpoint.deployment.strategy
        traffic_step_percent   = endpoint.deployment.traffic_step_percent
        wait_interval_seconds  = endpoint.deployment.wait_interval_seconds
        alarm_names            = ["${endpoint.name}-invocation-5xx-errors", "${endpoint.name}-model-latency"]
      } if endpoint.mode == "multi-model"]
    }))
    error_message = "REFRESH_SETTINGS must hold exactly the agreed keys, the multi-model endpoints only"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.model_package_state_change[0].event_pattern) == {
      source      = ["aws.sagemaker"]
      account     = [var.registry_account_id]
      detail-type = ["SageMaker Model Package State Change"]
      detail      = { ModelPackageGroupName = [var.model_package_group_name] }
    } && aws_cloudwatch_event_permission.registry[0].principal == var.registry_account_id
    error_message = "the refresh rule matches the group's state changes forwarded by the registry account, whose events the default bus admits"
  }
}

run "serving_without_a_multi_model_endpoint_has_no_refresh_function" {
  command = plan

  module {
    source = "./modules/serving"
  }

  variables {
    environment              = var.environment
    account_id               = var.accounts[var.environment]
    registry_account_id      = var.accounts.registry
    region                   = var.aws_region
    model_package_group_name = var.model_registry.model_package_group_name
    artifacts_bucket_name    = var.model_registry.artifacts_bucket_name
    registry_kms_alias       = var.model_registry.kms_alias
    data_bucket_name         = var.workload.data_bucket_name
    kms_key_arn              = "arn:aws:kms:${var.aws_region}:${var.accounts[var.environment]}:key/11111111-2222-3333-4444-555555555555"
    execution_role_name      = var.workload.serving.execution_role_name
    refresh_function_name    = var.workload.serving.refresh_function_name
    refresh_role_name        = var.workload.serving.refresh_role_name
    models_prefix            = var.workload.serving.models_prefix
    capture_prefix           = var.workload.serving.data_capture.prefix
    capture_sampling_percent = var.workload.serving.data_capture.sampling_percent
    endpoints                = [for endpoint in var.workload.serving.endpoints : endpoint if endpoint.mode == "single-model"]
    alert_topic_arn          = "arn:aws:sns:${var.aws_region}:${var.accounts[var.environment]}:${var.workload.alert_topic_name}"
    rule_name_prefix         = var.project_name
    zip_path                 = "${var.lambda_zip_dir}/endpoint_refresh.zip"
    permissions_boundary_arn = "arn:aws:iam::${var.accounts[var.environment]}:policy/${var.project_name}-${var.environment}-workload-boundary"
  }

  assert {
    condition = alltrue([
      length(aws_lambda_function.refresh) == 0, length(aws_iam_role.refresh) == 0, length(aws_cloudwatch_event_rule.model_package_state_change) == 0,
      length(aws_cloudwatch_event_permission.registry) == 0, length(aws_appautoscaling_target.variant) == 0,
    ]) && output.refresh_settings == null && length(module.alarms.errors_alarms) == length(var.endpoints)
    error_message = "without a multi-model endpoint there is no refresh function, role, rule or bus permission; scaling stays off until enabled"
  }
}

run "data_bucket_expires_endpoint_capture_in_its_one_lifecycle_configuration" {
  command = plan

  module {
    source = "./modules/secure-bucket"
  }

  # The rules the root passes when the account serves endpoints.
  variables {
    bucket_name = var.workload.data_bucket_name
    kms_key_arn = "arn:aws:kms:${var.aws_region}:${var.accounts[var.environment]}:key/11111111-2222-3333-4444-555555555555"
    lifecycle_rules = [{
      id                                     = "expire-noncurrent-versions"
      noncurrent_version_expiration_days     = 90
      abort_incomplete_multipart_upload_days = 7
      }, {
      id                                     = "expire-endpoint-capture"
      prefix                                 = "${var.workload.serving.data_capture.prefix}/"
      expiration_days                        = var.workload.serving.data_capture.retention_days
      noncurrent_version_expiration_days     = 1
      abort_incomplete_multipart_upload_days = 1
    }]
  }

  assert {
    condition = (
      length(aws_s3_bucket_lifecycle_configuration.this.rule) == 2 &&
      aws_s3_bucket_lifecycle_configuration.this.rule[0].id == "expire-noncurrent-versions" &&
      length(aws_s3_bucket_lifecycle_configuration.this.rule[0].expiration) == 0 &&
      aws_s3_bucket_lifecycle_configuration.this.rule[1].id == "expire-endpoint-capture" &&
      aws_s3_bucket_lifecycle_configuration.this.rule[1].filter[0].prefix == "${var.workload.serving.data_capture.prefix}/" &&
      aws_s3_bucket_lifecycle_configuration.this.rule[1].expiration[0].days == var.workload.serving.data_capture.retention_days
    )
    error_message = "captured requests expire after workload.serving.data_capture.retention_days, by a rule of the bucket's one lifecycle configuration"
  }
}
