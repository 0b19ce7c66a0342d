# Created before the function so Lambda never auto-creates an unencrypted group without retention.
resource "aws_cloudwatch_log_group" "this" {
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:invoked synchronously by the inference pipeline's Lambda step, which records failures; a DLQ only serves asynchronous invocations
  #checkov:skip=CKV_AWS_117:calls only the SageMaker API and reads no private network resource, so it needs no VPC
  #checkov:skip=CKV_AWS_272:the zip is built deterministically from reviewed source by the project's CI; code signing needs an AWS Signer profile the platform does not manage
  function_name                  = var.function_name
  description                    = "Returns the latest approved model package of the central group: model artifact, image and drift baselines."
  role                           = var.role_arn
  filename                       = var.zip_path
  source_code_hash               = filebase64sha256(var.zip_path)
  handler                        = "latest_approved_model.handler"
  runtime                        = "python3.11"
  timeout                        = var.timeout_seconds
  memory_size                    = 128
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = {
      MODEL_PACKAGE_GROUP_ARN = var.model_package_group_arn
    }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }
}
