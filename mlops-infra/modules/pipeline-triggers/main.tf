locals {
  status_change_detail_type = "SageMaker Model Building Pipeline Execution Status Change"
  # The alert function reads the failure from the whole event (it carries no failure reason itself).
  failure_rules = {
    inference = aws_cloudwatch_event_rule.inference_failed
    train     = aws_cloudwatch_event_rule.train_failed
  }
}

# ---------------------------------------------------------------- scheduled batch inference

resource "aws_cloudwatch_event_rule" "inference_schedule" {
  name                = "${var.rule_name_prefix}-inference-schedule"
  description         = "Runs the batch inference pipeline on schedule."
  schedule_expression = var.schedule_expression
  state               = var.schedule_enabled ? "ENABLED" : "DISABLED"
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "inference_schedule" {
  rule      = aws_cloudwatch_event_rule.inference_schedule.name
  target_id = "start-inference-pipeline"
  arn       = var.inference_pipeline_arn
  role_arn  = var.events_role_arn

  # The pipeline's parameter defaults (the clean batch data) apply.
  sagemaker_pipeline_target {}
}

# ---------------------------------------------------------------- inference failed: retrain on all data, alert

resource "aws_cloudwatch_event_rule" "inference_failed" {
  name        = "${var.rule_name_prefix}-inference-failed"
  description = "The batch inference pipeline failed (e.g. data drift): retrain on all training data and alert."
  tags        = var.tags
  event_pattern = jsonencode({
    source      = ["aws.sagemaker"]
    detail-type = [local.status_change_detail_type]
    detail = {
      currentPipelineExecutionStatus = ["Failed"]
      pipelineArn                    = [var.inference_pipeline_arn]
    }
  })
}

resource "aws_cloudwatch_event_target" "retrain" {
  rule      = aws_cloudwatch_event_rule.inference_failed.name
  target_id = "start-train-pipeline"
  arn       = var.train_pipeline_arn
  role_arn  = var.events_role_arn

  sagemaker_pipeline_target {
    pipeline_parameter_list {
      name  = "InputDataUri"
      value = var.retrain_input_data_uri
    }
  }
}

resource "aws_cloudwatch_event_target" "inference_failed_alert" {
  rule      = aws_cloudwatch_event_rule.inference_failed.name
  target_id = "alert"
  arn       = var.alert_function_arn
}

# ---------------------------------------------------------------- train failed: alert

resource "aws_cloudwatch_event_rule" "train_failed" {
  name        = "${var.rule_name_prefix}-train-failed"
  description = "The train pipeline failed: alert."
  tags        = var.tags
  event_pattern = jsonencode({
    source      = ["aws.sagemaker"]
    detail-type = [local.status_change_detail_type]
    detail = {
      currentPipelineExecutionStatus = ["Failed"]
      pipelineArn                    = [var.train_pipeline_arn]
    }
  })
}

resource "aws_cloudwatch_event_target" "train_failed_alert" {
  rule      = aws_cloudwatch_event_rule.train_failed.name
  target_id = "alert"
  arn       = var.alert_function_arn
}

# ---------------------------------------------------------------- the failure rules may invoke the alert function

resource "aws_lambda_permission" "alert" {
  for_each = local.failure_rules

  statement_id  = "${each.key}-failed-rule"
  action        = "lambda:InvokeFunction"
  function_name = var.alert_function_arn
  principal     = "events.amazonaws.com"
  source_arn    = each.value.arn
}
