# The deployment guardrails of SageMaker endpoints: per endpoint, an alarm on its 5xx errors and one on its
# model latency. deploy-endpoint names them in an update's auto-rollback configuration.

locals {
  endpoints = { for endpoint in var.endpoints : endpoint.name => endpoint }
  # Every endpoint config keeps this one variant name: blue/green deployments require it.
  variant_name = "AllTraffic"
  # Where the endpoints run, as the alarm descriptions say it ("" when the module serves the primary region).
  location = var.region_named_in_descriptions == null ? "" : " in ${var.region_named_in_descriptions}"
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  for_each = local.endpoints

  # The name pipelines/config/serving.py gives EndpointSettings.error_alarm_name.
  alarm_name          = "${each.key}-invocation-5xx-errors"
  alarm_description   = "Endpoint ${each.key}${local.location} answered ${each.value.alarms.invocation_5xx_errors} or more 5xx errors in a minute; a deployment in progress rolls back."
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.alarms.invocation_5xx_errors
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  tags                = var.tags

  dimensions = {
    EndpointName = each.key
    VariantName  = local.variant_name
  }
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  for_each = local.endpoints

  # The name pipelines/config/serving.py gives EndpointSettings.latency_alarm_name.
  alarm_name          = "${each.key}-model-latency"
  alarm_description   = "Endpoint ${each.key}${local.location}: average model latency of a minute reached ${each.value.alarms.model_latency_ms} ms; a deployment in progress rolls back."
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  # SageMaker reports ModelLatency in microseconds; the tfvars give milliseconds.
  threshold          = each.value.alarms.model_latency_ms * 1000
  unit               = "Microseconds"
  treat_missing_data = "notBreaching"
  alarm_actions      = var.alarm_actions
  tags               = var.tags

  dimensions = {
    EndpointName = each.key
    VariantName  = local.variant_name
  }
}
