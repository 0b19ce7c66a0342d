# Everything a workload account's endpoints need around them: the execution role they run with, their alarms
# and scaling, and the function that refreshes the multi-model endpoints when the registry approves or rejects
# a version. The endpoints themselves (models, endpoint configs, endpoints) are made by deploy-endpoint.

data "aws_partition" "current" {}

locals {
  partition            = data.aws_partition.current.partition
  sagemaker_arn_prefix = "arn:${local.partition}:sagemaker:${var.region}:${var.account_id}"
  data_bucket_arn      = "arn:${local.partition}:s3:::${var.data_bucket_name}"
  models_objects_arn   = "${local.data_bucket_arn}/${var.models_prefix}/*"
  capture_objects_arn  = "${local.data_bucket_arn}/${var.capture_prefix}/*"
  artifacts_objects    = "arn:${local.partition}:s3:::${var.artifacts_bucket_name}/*"
  # The registry key's id is unknown in this account: any key of the registry account carrying the alias.
  registry_key_arns       = "arn:${local.partition}:kms:${var.region}:${var.registry_account_id}:key/*"
  model_package_group_arn = "arn:${local.partition}:sagemaker:${var.region}:${var.registry_account_id}:model-package-group/${var.model_package_group_name}"
  model_packages_arn      = "arn:${local.partition}:sagemaker:${var.region}:${var.registry_account_id}:model-package/${lower(var.model_package_group_name)}/*"
  region_repositories_arn = "arn:${local.partition}:ecr:${var.region}:*:repository/*"
  # Built from the name rather than read from the role, so the refresh policy and settings are known at plan time.
  execution_role_arn = "arn:${local.partition}:iam::${var.account_id}:role/${var.execution_role_name}"
  s3_service         = "s3.${var.region}.amazonaws.com"
  endpoint_log_arns = [
    "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/Endpoints/*",
    "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/Endpoints/*:log-stream:*",
  ]

  endpoints             = { for endpoint in var.endpoints : endpoint.name => endpoint }
  multi_model_endpoints = [for endpoint in var.endpoints : endpoint if endpoint.mode == "multi-model"]
  refresh_enabled       = length(local.multi_model_endpoints) > 0
  scaled_endpoints      = { for name, endpoint in local.endpoints : name => endpoint if endpoint.autoscaling.enabled }
  # Every endpoint config keeps this one variant name: blue/green deployments require it.
  variant_name = "AllTraffic"

  refresh_log_group_name = "/aws/lambda/${var.refresh_function_name}"
  refresh_log_streams    = "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${local.refresh_log_group_name}:*"
  # SageMaker reports endpoint ARNs in lower case.
  multi_model_endpoint_arns = [for endpoint in local.multi_model_endpoints : "${local.sagemaker_arn_prefix}:endpoint/${lower(endpoint.name)}"]

  # The refresh function's whole configuration, in one variable: the refresh library reads exactly these keys.
  refresh_settings = {
    model_package_group_arn  = local.model_package_group_arn
    models_s3_uri            = "s3://${var.data_bucket_name}/${var.models_prefix}"
    kms_key_arn              = var.kms_key_arn
    execution_role_arn       = local.execution_role_arn
    capture_s3_uri           = "s3://${var.data_bucket_name}/${var.capture_prefix}"
    capture_sampling_percent = var.capture_sampling_percent
    endpoints = [for endpoint in local.multi_model_endpoints : {
      name                   = endpoint.name
      instance_type          = endpoint.instance_type
      initial_instance_count = endpoint.initial_instance_count
      deployment_strategy    = endpoint.deployment.strategy
      traffic_step_percent   = endpoint.deployment.traffic_step_percent
      wait_interval_seconds  = endpoint.deployment.wait_interval_seconds
      alarm_names            = module.alarms.alarm_names[endpoint.name]
    }]
  }
}

# ---------------------------------------------------------------- model reads shared by both roles

# What the endpoints and the refresh function both read: a registered version's artifact in the central bucket
# (single-model endpoints serve it, the refresh function copies it) and the listing of the served models.
data "aws_iam_policy_document" "model_reads" {
  statement {
    sid       = "ReadCentralArtifacts"
    actions   = ["s3:GetObject"]
    resources = [local.artifacts_objects]
  }

  statement {
    sid       = "DecryptCentralArtifactsWithTheRegistryKeyByAlias"
    actions   = ["kms:Decrypt"]
    resources = [local.registry_key_arns]

    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "kms:ResourceAliases"
      values   = [var.registry_kms_alias]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_service]
    }
  }

  statement {
    sid       = "ListServedModels"
    actions   = ["s3:ListBucket"]
    resources = [local.data_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.models_prefix}/*"]
    }
  }
}

# ---------------------------------------------------------------- endpoint execution role

data "aws_iam_policy_document" "execution_trust" {
  statement {
    sid     = "SageMakerAssumesTheRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }

    # Only SageMaker acting for this account's own models and endpoints (no confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

data "aws_iam_policy_document" "execution" {
  #checkov:skip=CKV_AWS_356:ecr:GetAuthorizationToken and cloudwatch:PutMetricData have no resource types (the latter is limited by namespace); every other statement names its resources
  source_policy_documents = [data.aws_iam_policy_document.model_reads.json]

  statement {
    # Multi-model endpoints load the versions the refresh function copied under the models prefix.
    sid       = "ReadServedModels"
    actions   = ["s3:GetObject"]
    resources = [local.models_objects_arn]
  }

  statement {
    sid       = "WriteCapturedRequests"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [local.capture_objects_arn]
  }

  statement {
    # Served models are read, and captured requests written, encrypted with the workload key.
    sid       = "UseTheWorkloadKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.s3_service]
    }
  }

  statement {
    # The built-in algorithm and framework images live in AWS-owned accounts of the region.
    sid       = "PullAwsImages"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [local.region_repositories_arn]
  }

  statement {
    sid       = "GetEcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "WriteEndpointLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = local.endpoint_log_arns
  }

  statement {
    sid       = "PublishEndpointMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/*", "aws/sagemaker/*"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name                 = var.execution_role_name
  description          = "Runs the ${var.environment} SageMaker endpoints: reads the served model versions, writes captured requests."
  assume_role_policy   = data.aws_iam_policy_document.execution_trust.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "execution" {
  #checkov:skip=CKV_AWS_355:its Resource "*" statements list only actions without resource types (ECR token, metrics by namespace)
  name   = "serve-endpoints"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# ---------------------------------------------------------------- alarms: the deployment guardrails

# deploy-endpoint names these alarms in the update's auto-rollback configuration: created before any endpoint.
module "alarms" {
  source = "../endpoint-alarms"

  endpoints     = var.endpoints
  alarm_actions = [var.alert_topic_arn]
  tags          = var.tags
}

moved {
  from = aws_cloudwatch_metric_alarm.errors
  to   = module.alarms.aws_cloudwatch_metric_alarm.errors
}

moved {
  from = aws_cloudwatch_metric_alarm.latency
  to   = module.alarms.aws_cloudwatch_metric_alarm.latency
}

# ---------------------------------------------------------------- autoscaling (endpoints that exist only)

# Application Auto Scaling registers only a variant of an existing endpoint, so an endpoint gets its target
# once its autoscaling.enabled is true: after deploy-endpoint created it (see mlops-infra/README.md).
resource "aws_appautoscaling_target" "variant" {
  for_each = local.scaled_endpoints

  service_namespace  = "sagemaker"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  resource_id        = "endpoint/${each.key}/variant/${local.variant_name}"
  min_capacity       = each.value.autoscaling.min_capacity
  max_capacity       = each.value.autoscaling.max_capacity
  tags               = var.tags
}

resource "aws_appautoscaling_policy" "invocations" {
  for_each = local.scaled_endpoints

  name               = "${each.key}-invocations-per-instance"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.variant[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.variant[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.variant[each.key].resource_id

  target_tracking_scaling_policy_configuration {
    target_value = each.value.autoscaling.target_invocations_per_instance

    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }
}

# ---------------------------------------------------------------- multi-model refresh function

data "aws_iam_policy_document" "refresh_trust" {
  statement {
    sid     = "LambdaAssumesTheRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

data "aws_iam_policy_document" "refresh" {
  count = local.refresh_enabled ? 1 : 0
  #checkov:skip=CKV_AWS_356:sagemaker:ListModelPackages and the X-Ray writes have no resource types; every other statement names its resources
  source_policy_documents = [data.aws_iam_policy_document.model_reads.json]

  statement {
    sid       = "DescribeTheGroupsPackages"
    actions   = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
    resources = [local.model_package_group_arn, local.model_packages_arn]
  }

  statement {
    # ListModelPackages has no resource type; the group's resource policy limits what it returns.
    sid       = "ListModelPackages"
    actions   = ["sagemaker:ListModelPackages"]
    resources = ["*"]
  }

  statement {
    # Approved versions are copied under the models prefix, rejected ones removed from it.
    sid       = "WriteServedModels"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [local.models_objects_arn]
  }

  statement {
    # Served models are written with the workload key; it also encrypts the function's environment.
    sid       = "UseTheWorkloadKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    # Endpoint configs encrypt the instances' storage volumes and captured data with the workload key.
    sid       = "GrantTheWorkloadKeyToEndpoints"
    actions   = ["kms:CreateGrant"]
    resources = [var.kms_key_arn]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  statement {
    sid = "CreateModelsAndEndpointConfigs"
    actions = [
      "sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:CreateEndpointConfig",
      "sagemaker:DescribeEndpointConfig", "sagemaker:AddTags",
    ]
    resources = ["${local.sagemaker_arn_prefix}:model/*", "${local.sagemaker_arn_prefix}:endpoint-config/*"]
  }

  statement {
    # The first refresh creates a multi-model endpoint (tagged); Create/UpdateEndpoint authorize the endpoint
    # and the endpoint config it is given.
    sid       = "CreateAndUpdateTheMultiModelEndpoints"
    actions   = ["sagemaker:DescribeEndpoint", "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:AddTags"]
    resources = local.multi_model_endpoint_arns
  }

  statement {
    sid       = "PutEndpointConfigsOnTheEndpoints"
    actions   = ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"]
    resources = ["${local.sagemaker_arn_prefix}:endpoint-config/*"]
  }

  statement {
    sid       = "PassTheEndpointRoleToSageMakerOnly"
    actions   = ["iam:PassRole"]
    resources = [local.execution_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  statement {
    sid       = "WriteFunctionLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.refresh_log_streams]
  }

  statement {
    sid       = "UploadTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "refresh" {
  count = local.refresh_enabled ? 1 : 0

  name                 = var.refresh_role_name
  description          = "Lets the ${var.refresh_function_name} function put approved versions of the central group on the multi-model endpoints."
  assume_role_policy   = data.aws_iam_policy_document.refresh_trust.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "refresh" {
  #checkov:skip=CKV_AWS_355:its Resource "*" statements list only actions without resource types (ListModelPackages, X-Ray)
  count = local.refresh_enabled ? 1 : 0

  name   = "refresh-multi-model-endpoints"
  role   = aws_iam_role.refresh[0].id
  policy = data.aws_iam_policy_document.refresh[0].json
}

# Created before the function so Lambda never auto-creates an unencrypted group without retention.
resource "aws_cloudwatch_log_group" "refresh" {
  count = local.refresh_enabled ? 1 : 0

  name              = local.refresh_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "refresh" {
  #checkov:skip=CKV_AWS_116:EventBridge invokes it asynchronously and retries for 24 hours; the next state change refreshes from the whole group again, so a DLQ would hold nothing to replay
  #checkov:skip=CKV_AWS_117:calls only the SageMaker and S3 APIs and reads no private network resource, so it needs no VPC
  #checkov:skip=CKV_AWS_272:the zip is built deterministically from reviewed source by the project's CI; code signing needs an AWS Signer profile the platform does not manage
  count = local.refresh_enabled ? 1 : 0

  function_name = var.refresh_function_name
  description   = "Puts the approved versions of the central model package group on the multi-model endpoints when a version is approved or rejected."
  role          = aws_iam_role.refresh[0].arn
  filename      = var.zip_path
  handler       = "endpoint_refresh.handler"
  runtime       = "python3.11"
  timeout       = var.timeout_seconds
  memory_size   = 256
  kms_key_arn   = var.kms_key_arn
  tags          = var.tags
  # One refresh at a time: two concurrent ones could race on the same endpoint update.
  reserved_concurrent_executions = 1
  source_code_hash               = filebase64sha256(var.zip_path)

  environment {
    variables = {
      REFRESH_SETTINGS = jsonencode(local.refresh_settings)
    }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.refresh[0].name
  }

  depends_on = [aws_iam_role_policy.refresh]
}

# ---------------------------------------------------------------- state changes forwarded by the registry

# The registry account's rule forwards its group's state changes to this account's default bus.
resource "aws_cloudwatch_event_permission" "registry" {
  count = local.refresh_enabled ? 1 : 0

  principal    = var.registry_account_id
  statement_id = "model-registry-state-changes"
}

resource "aws_cloudwatch_event_rule" "model_package_state_change" {
  count = local.refresh_enabled ? 1 : 0

  name        = "${var.rule_name_prefix}-model-package-state-change"
  description = "A version of the central group was registered, approved or rejected: refresh the multi-model endpoints."
  tags        = var.tags
  event_pattern = jsonencode({
    source      = ["aws.sagemaker"]
    account     = [var.registry_account_id]
    detail-type = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [var.model_package_group_name]
    }
  })
}

resource "aws_cloudwatch_event_target" "refresh" {
  count = local.refresh_enabled ? 1 : 0

  rule      = aws_cloudwatch_event_rule.model_package_state_change[0].name
  target_id = "refresh-multi-model-endpoints"
  arn       = aws_lambda_function.refresh[0].arn
}

resource "aws_lambda_permission" "refresh" {
  count = local.refresh_enabled ? 1 : 0

  statement_id  = "model-package-state-change-rule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.refresh[0].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.model_package_state_change[0].arn
}
