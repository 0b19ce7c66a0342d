# The secret only: its value (the warehouse's connection, JSON with host, port, dbname, username, password)
# is put by the warehouse's owner, so no password ever reaches the Terraform state.
resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:the password belongs to the warehouse's owner, who rotates it there; a rotation Lambda here would need database admin rights
  name                    = var.secret_name
  description             = "Connection to the SQL warehouse the train pipeline reads (JSON: host, port, dbname, username, password); only ${var.reader_role_arn} may read its value."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}

# Identity policies elsewhere in the account cannot widen who reads the value: every principal but the pipeline
# role is denied GetSecretValue here, whatever its own policy allows.
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "OnlyThePipelineRoleReadsTheValue"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalArn"
      values   = [var.reader_role_arn]
    }
  }
}

resource "aws_secretsmanager_secret_policy" "this" {
  secret_arn          = aws_secretsmanager_secret.this.arn
  policy              = data.aws_iam_policy_document.this.json
  block_public_policy = true
}
