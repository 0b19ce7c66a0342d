# One S3 bucket with the platform's hardening: versioned, encrypted by default, no public access, ACLs
# disabled, TLS-only policy, lifecycle rules, optional server access logging. Every bucket of the platform
# (state, data, model artifacts, access logs) is one call of this module.

data "aws_partition" "current" {}

locals {
  # Built from the name rather than read from the bucket, so the policy is known at plan time.
  bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:cross-region replication is a per-organisation choice; no bucket of the platform holds data that cannot be rebuilt or re-uploaded
  #checkov:skip=CKV2_AWS_62:nothing of the platform consumes object events; pipelines are started by schedule, by rules on pipeline status and by people
  #checkov:skip=CKV_AWS_145:the default encryption is the caller's sse_algorithm (SSE-KMS for data and artifacts, asserted by the terraform tests); the access-log and state buckets say why not next to their module calls, which plan scans cannot read
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.bucket
  rule {
    # Objects written by other accounts belong to the bucket owner, so its key and bucket policies alone
    # decide who reads them.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.bucket
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.sse_algorithm
      kms_master_key_id = var.kms_key_arn
    }
    # S3 Bucket Keys exist for SSE-KMS only.
    bucket_key_enabled = var.sse_algorithm == "aws:kms" ? true : null
  }
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log_target == null ? 0 : 1

  bucket        = aws_s3_bucket.this.bucket
  target_bucket = var.access_log_target.bucket
  target_prefix = var.access_log_target.prefix
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.bucket

  # Whole-bucket rules first, then the rules of a key prefix: two blocks keep the whole-bucket filter a literal
  # `filter {}`, which is how checkov sees that incomplete uploads are aborted bucket-wide.
  dynamic "rule" {
    for_each = [for rule in var.lifecycle_rules : rule if rule.prefix == null]
    content {
      id     = rule.value.id
      status = "Enabled"
      filter {}

      dynamic "expiration" {
        for_each = rule.value.expiration_days == null ? [] : [rule.value.expiration_days]
        content {
          days = expiration.value
        }
      }
      noncurrent_version_expiration {
        noncurrent_days = rule.value.noncurrent_version_expiration_days
      }
      abort_incomplete_multipart_upload {
        days_after_initiation = rule.value.abort_incomplete_multipart_upload_days
      }
    }
  }

  dynamic "rule" {
    for_each = [for rule in var.lifecycle_rules : rule if rule.prefix != null]
    content {
      id     = rule.value.id
      status = "Enabled"
      filter {
        prefix = rule.value.prefix
      }

      dynamic "expiration" {
        for_each = rule.value.expiration_days == null ? [] : [rule.value.expiration_days]
        content {
          days = expiration.value
        }
      }
      noncurrent_version_expiration {
        noncurrent_days = rule.value.noncurrent_version_expiration_days
      }
      abort_incomplete_multipart_upload {
        days_after_initiation = rule.value.abort_incomplete_multipart_upload_days
      }
    }
  }

  # Noncurrent-version rules act on a versioned bucket.
  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "this" {
  source_policy_documents = var.policy_documents

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.bucket
  policy = data.aws_iam_policy_document.this.json

  # S3 refuses a policy while the public access block is being set.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
