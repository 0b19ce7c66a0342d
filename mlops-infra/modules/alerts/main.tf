data "aws_partition" "current" {}

locals {
  partition             = data.aws_partition.current.partition
  log_group_name        = "/aws/lambda/${var.function_name}"
  log_streams_arn       = "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${local.log_group_name}:*"
  pipeline_execution    = [for arn in var.pipeline_arns : "${arn}/execution/*"]
  monitoring_prefix     = trim(var.monitoring_prefix, "/")
  monitoring_object_arn = "arn:${local.partition}:s3:::${var.data_bucket_name}/${local.monitoring_prefix}/*"
}

# ---------------------------------------------------------------- role: read the failure, publish the alert

data "aws_iam_policy_document" "assume" {
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

data "aws_iam_policy_document" "permissions" {
  #checkov:skip=CKV_AWS_356:xray:PutTraceSegments and xray:PutTelemetryRecords have no resource types; every other statement names its resources
  statement {
    sid       = "ReadFailedExecutions"
    actions   = ["sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps"]
    resources = local.pipeline_execution
  }

  statement {
    sid       = "ReadDataQualityReports"
    actions   = ["s3:GetObject"]
    resources = [local.monitoring_object_arn]
  }

  statement {
    sid       = "PublishTheAlert"
    actions   = ["sns:Publish"]
    resources = [var.alert_topic_arn]
  }

  # The reports, the topic and the environment variables are encrypted with the workload key.
  statement {
    sid       = "UseTheWorkloadKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "WriteFunctionLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.log_streams_arn]
  }

  # X-Ray's write actions have no resource type.
  statement {
    sid       = "UploadTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  description          = "Lets the ${var.function_name} function read failed pipeline executions and their data-quality reports, and publish the alert."
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "read-failures-publish-alerts"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}

# ---------------------------------------------------------------- function

# Created before the function so Lambda never auto-creates an unencrypted group without retention.
resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:EventBridge invokes it asynchronously and retries for 24 hours; a failed alert is also in the function's logs, and a DLQ would hold an alert nobody reads
  #checkov:skip=CKV_AWS_117:calls only the SageMaker, S3 and SNS APIs and reads no private network resource, so it needs no VPC
  #checkov:skip=CKV_AWS_272:the zip is built deterministically from reviewed source by the project's CI; code signing needs an AWS Signer profile the platform does not manage
  function_name                  = var.function_name
  description                    = "Publishes an actionable alert when a pipeline execution fails: cause, failed step, data-quality violations, retraining."
  role                           = aws_iam_role.this.arn
  filename                       = var.zip_path
  source_code_hash               = filebase64sha256(var.zip_path)
  handler                        = "pipeline_alert.handler"
  runtime                        = "python3.11"
  timeout                        = var.timeout_seconds
  memory_size                    = 128
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = {
      ALERT_TOPIC_ARN        = var.alert_topic_arn
      ENVIRONMENT            = var.environment
      MONITORING_BUCKET      = var.data_bucket_name
      MONITORING_PREFIX      = local.monitoring_prefix
      FEATURE_NAMES          = join(",", var.feature_names)
      RETRAIN_ON_FAILURE_OF  = var.retrain_on_failure_of
      RETRAIN_PIPELINE_NAME  = var.retrain_pipeline_name
      RETRAIN_INPUT_DATA_URI = var.retrain_input_data_uri
    }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  depends_on = [aws_iam_role_policy.this]
}
