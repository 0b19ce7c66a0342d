locals {
  account_root = "arn:aws:iam::${var.account_id}:root"
  log_group_arns = [
    for name in var.cloudwatch_log_group_names : "arn:aws:logs:${var.region}:${var.account_id}:log-group:${name}"
  ]

  statements = concat(
    [{
      # The owning account administers the key and its IAM policies grant the specific uses
      # (without this statement the key would become unmanageable).
      Sid       = "EnableIamPoliciesOfOwningAccount"
      Effect    = "Allow"
      Principal = { AWS = local.account_root }
      Action    = "kms:*"
      Resource  = "*"
    }],
    length(var.cross_account_user_account_ids) == 0 ? [] : [{
      # Cross-account use is granted to the account principals: the roles of those accounts may not
      # exist yet when this key is created, and each account's IAM policies narrow it to specific roles.
      Sid       = "AllowCryptographyForOtherAccounts"
      Effect    = "Allow"
      Principal = { AWS = [for id in var.cross_account_user_account_ids : "arn:aws:iam::${id}:root"] }
      Action = [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
      ]
      Resource = "*"
    }],
    var.allow_eventbridge ? [{
      # No source conditions on purpose: a key policy that does not match EventBridge's calls makes
      # deliveries fail silently (as the AWS-managed alias/aws/sns key does); the topic policy already
      # limits publishing to this account's rules.
      Sid       = "AllowEventBridgeToPublishToEncryptedTopics"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
      Resource  = "*"
    }] : [],
    length(local.log_group_arns) == 0 ? [] : [{
      Sid       = "AllowCloudWatchLogsForNamedLogGroups"
      Effect    = "Allow"
      Principal = { Service = "logs.${var.region}.amazonaws.com" }
      Action = [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
      ]
      Resource = "*"
      Condition = {
        ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = local.log_group_arns }
      }
    }],
  )
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.statements
  })
}

resource "aws_kms_alias" "this" {
  name          = var.alias_name
  target_key_id = aws_kms_key.this.key_id
}
