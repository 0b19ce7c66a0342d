data "aws_partition" "current" {}

locals {
  partition       = data.aws_partition.current.partition
  alarm_arns_here = "arn:${local.partition}:cloudwatch:${var.region}:${var.account_id}:alarm:*"
  log_group_arns = [
    for name in var.cloudwatch_log_group_names : "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${name}"
  ]
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_356:in a key policy Resource "*" means this key and nothing else
  #checkov:skip=CKV_AWS_111:the owning account's kms:* on its own key is the statement that keeps the key manageable; its IAM policies then decide who uses it
  #checkov:skip=CKV_AWS_109:the owning account's kms:* on its own key is the statement that keeps the key manageable; its IAM policies then decide who uses it
  statement {
    # The owning account administers the key and its IAM policies grant the specific uses
    # (without this statement the key would become unmanageable).
    sid       = "EnableIamPoliciesOfOwningAccount"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${var.account_id}:root"]
    }
  }

  dynamic "statement" {
    # Cross-account use is granted to the account principals: the roles of those accounts may not exist yet
    # when this key is created, and each account's IAM policies narrow it to specific roles.
    for_each = length(var.cross_account_user_account_ids) == 0 ? [] : [var.cross_account_user_account_ids]
    content {
      sid       = "AllowCryptographyForOtherAccounts"
      actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [for id in statement.value : "arn:${local.partition}:iam::${id}:root"]
      }

      # Only through the services that read and write the artifacts, never by direct calls.
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${var.region}.amazonaws.com", "sagemaker.${var.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    # No source conditions on purpose: a key policy that does not match EventBridge's calls makes deliveries
    # fail silently (as the AWS-managed alias/aws/sns key does); the topic policy already limits publishing
    # to this account's rules.
    for_each = var.allow_eventbridge ? ["events.amazonaws.com"] : []
    content {
      sid       = "AllowEventBridgeToPublishToEncryptedTopics"
      actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = [statement.value]
      }
    }
  }

  dynamic "statement" {
    # Unlike EventBridge's, CloudWatch's calls carry the alarm as the source: only this account's alarms of this
    # region may use the key.
    for_each = var.allow_cloudwatch_alarms ? [local.alarm_arns_here] : []
    content {
      sid       = "AllowCloudWatchAlarmsToPublishToEncryptedTopics"
      actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
      resources = ["*"]

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

  dynamic "statement" {
    for_each = length(local.log_group_arns) == 0 ? [] : [local.log_group_arns]
    content {
      sid       = "AllowCloudWatchLogsForNamedLogGroups"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${var.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = statement.value
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = var.alias_name
  target_key_id = aws_kms_key.this.key_id
}
