data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  # Built from the name rather than read from the topic, so the policy is known at plan time.
  topic_arn = "arn:${data.aws_partition.current.partition}:sns:${data.aws_region.current.name}:${var.account_id}:${var.topic_name}"
  # An alarm notifies only a topic of its own region: the alarms of this account there.
  alarm_arns_here = "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.name}:${var.account_id}:alarm:*"
}

resource "aws_sns_topic" "alerts" {
  name              = var.topic_name
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid = "OwnerAccountManagesTheTopic"
    actions = [
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:AddPermission",
      "sns:RemovePermission",
      "sns:DeleteTopic",
      "sns:Subscribe",
      "sns:ListSubscriptionsByTopic",
      "sns:Publish",
    ]
    resources = [local.topic_arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${var.account_id}:root"]
    }
  }

  statement {
    sid       = "EventBridgeRulesOfThisAccountPublish"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }

  dynamic "statement" {
    for_each = var.allow_cloudwatch_alarms ? [local.alarm_arns_here] : []
    content {
      sid       = "CloudWatchAlarmsOfThisAccountPublish"
      actions   = ["sns:Publish"]
      resources = [local.topic_arn]

      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [var.account_id]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = [statement.value]
      }
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  #checkov:skip=CKV_AWS_385:its only AWS principal is this account's own root (the owner statement): no cross-account access
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "email" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}
