locals {
  log_delivery_objects_arn     = "arn:aws:s3:::${var.access_log_bucket_name}/${var.artifacts_bucket_name}/*"
  log_bucket_and_objects       = ["arn:aws:s3:::${var.access_log_bucket_name}", "arn:aws:s3:::${var.access_log_bucket_name}/*"]
  artifacts_objects_arn        = "arn:aws:s3:::${var.artifacts_bucket_name}/*"
  artifacts_bucket_and_objects = ["arn:aws:s3:::${var.artifacts_bucket_name}", "arn:aws:s3:::${var.artifacts_bucket_name}/*"]
  dev_artifacts_objects_arn    = "arn:aws:s3:::${var.artifacts_bucket_name}/dev/*"
  prod_artifacts_objects_arn   = "arn:aws:s3:::${var.artifacts_bucket_name}/prod/*"
  artifacts_bucket_arn         = "arn:aws:s3:::${var.artifacts_bucket_name}"
  dev_principal                = "arn:aws:iam::${var.dev_account_id}:root"
  prod_principal               = "arn:aws:iam::${var.prod_account_id}:root"
  model_package_group_arn      = "arn:aws:sagemaker:${var.region}:${var.account_id}:model-package-group/${var.model_package_group_name}"
  # Packages of a group are named <group>/<version>.
  model_packages_arn = "arn:aws:sagemaker:${var.region}:${var.account_id}:model-package/${lower(var.model_package_group_name)}/*"
}

# ---------------------------------------------------------------- access-log bucket

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:this is the access-log destination; logging it would log its own log deliveries
  #checkov:skip=CKV_AWS_145:S3 server access logging only delivers to buckets encrypted with SSE-S3, not SSE-KMS
  #checkov:skip=CKV_AWS_144:cross-region replication of access logs is not required for this platform
  #checkov:skip=CKV2_AWS_62:nothing consumes events for new log objects
  bucket = var.access_log_bucket_name
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.access_log_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowServerAccessLogDeliveryFromTheArtifactsBucket"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = local.log_delivery_objects_arn
        Condition = {
          ArnLike      = { "aws:SourceArn" = local.artifacts_bucket_arn }
          StringEquals = { "aws:SourceAccount" = var.account_id }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = local.log_bucket_and_objects
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

# ---------------------------------------------------------------- model-artifacts bucket

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_144:artifacts are reproducible from the pipelines; cross-region replication is a per-organisation choice
  #checkov:skip=CKV2_AWS_62:nothing consumes events for new artifacts; the model package group is the index
  bucket = var.artifacts_bucket_name
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.bucket
  rule {
    # Objects written by dev and prod belong to the registry account, so its key policy and
    # bucket policy alone decide who reads them.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.bucket
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "artifacts" {
  bucket        = aws_s3_bucket.artifacts.bucket
  target_bucket = aws_s3_bucket.access_logs.bucket
  target_prefix = "${var.artifacts_bucket_name}/"

  # S3 checks that the log bucket's policy lets the logging service write before it accepts the target.
  depends_on = [aws_s3_bucket_policy.access_logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.bucket

  rule {
    id     = "expire-noncurrent-artifact-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Every workload account reads every version: prod serves models trained in dev.
        Sid       = "AllowWorkloadAccountsToReadArtifacts"
        Effect    = "Allow"
        Principal = { AWS = [local.dev_principal, local.prod_principal] }
        Action    = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"]
        Resource  = local.artifacts_objects_arn
      },
      {
        Sid       = "AllowWorkloadAccountsToListArtifacts"
        Effect    = "Allow"
        Principal = { AWS = [local.dev_principal, local.prod_principal] }
        Action    = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource  = local.artifacts_bucket_arn
      },
      {
        # Each account writes only under its own <environment>/ prefix.
        Sid       = "AllowDevWritesUnderDevPrefix"
        Effect    = "Allow"
        Principal = { AWS = local.dev_principal }
        Action    = ["s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"]
        Resource  = local.dev_artifacts_objects_arn
      },
      {
        Sid       = "AllowProdWritesUnderProdPrefix"
        Effect    = "Allow"
        Principal = { AWS = local.prod_principal }
        Action    = ["s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"]
        Resource  = local.prod_artifacts_objects_arn
      },
      {
        # An object encrypted with any other key (e.g. a workload account's own key) could not be read
        # by the other accounts: uploads naming a key must name the registry key.
        Sid       = "DenyUploadsWithAnotherKmsKey"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = local.artifacts_objects_arn
        Condition = {
          StringNotEqualsIfExists = {
            "s3:x-amz-server-side-encryption-aws-kms-key-id" = [var.kms_key_arn, var.kms_alias_arn]
          }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = local.artifacts_bucket_and_objects
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

# ---------------------------------------------------------------- model package group

resource "aws_sagemaker_model_package_group" "this" {
  model_package_group_name        = var.model_package_group_name
  model_package_group_description = "Central registry of model versions trained in the workload accounts."
}

resource "aws_sagemaker_model_package_group_policy" "this" {
  model_package_group_name = aws_sagemaker_model_package_group.this.model_package_group_name
  resource_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowWorkloadAccountsToRegisterAndReadModels"
        Effect    = "Allow"
        Principal = { AWS = [local.dev_principal, local.prod_principal] }
        Action = [
          "sagemaker:CreateModelPackage",
          "sagemaker:DescribeModelPackage",
          "sagemaker:DescribeModelPackageGroup",
          "sagemaker:ListModelPackages",
          "sagemaker:UpdateModelPackage",
        ]
        Resource = [aws_sagemaker_model_package_group.this.arn, local.model_packages_arn]
      },
    ]
  })
}
