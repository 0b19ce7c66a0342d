data "aws_partition" "current" {}

locals {
  partition                   = data.aws_partition.current.partition
  artifacts_bucket_arn        = "arn:${local.partition}:s3:::${var.artifacts_bucket_name}"
  access_log_bucket_arn       = "arn:${local.partition}:s3:::${var.access_log_bucket_name}"
  access_log_prefix           = "${var.artifacts_bucket_name}/"
  workload_account_principals = [for id in values(var.workload_accounts) : "arn:${local.partition}:iam::${id}:root"]
  model_package_group_arn     = "arn:${local.partition}:sagemaker:${var.region}:${var.account_id}:model-package-group/${var.model_package_group_name}"
  # Packages of a group are named <group>/<version>.
  model_packages_arn = "arn:${local.partition}:sagemaker:${var.region}:${var.account_id}:model-package/${lower(var.model_package_group_name)}/*"
}

# ---------------------------------------------------------------- access-log bucket

data "aws_iam_policy_document" "access_log_delivery" {
  statement {
    sid       = "AllowServerAccessLogDeliveryFromTheArtifactsBucket"
    actions   = ["s3:PutObject"]
    resources = ["${local.access_log_bucket_arn}/${local.access_log_prefix}*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.artifacts_bucket_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

module "access_log_bucket" {
  source = "../secure-bucket"
  #checkov:skip=CKV_AWS_18:this is the access-log destination; logging it would log its own log deliveries
  #checkov:skip=CKV_AWS_145:S3 server access logging only delivers to buckets encrypted with SSE-S3, not SSE-KMS

  bucket_name   = var.access_log_bucket_name
  sse_algorithm = "AES256"
  lifecycle_rules = [{
    id                                     = "expire-access-logs"
    expiration_days                        = var.access_log_expiration_days
    noncurrent_version_expiration_days     = 1
    abort_incomplete_multipart_upload_days = 7
  }]
  policy_documents = [data.aws_iam_policy_document.access_log_delivery.json]
  tags             = var.tags
}

# ---------------------------------------------------------------- model-artifacts bucket

data "aws_iam_policy_document" "artifacts_access" {
  statement {
    # Every workload account reads every version: a later environment serves models trained in an earlier one.
    sid       = "AllowWorkloadAccountsToReadArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"]
    resources = ["${local.artifacts_bucket_arn}/*"]

    principals {
      type        = "AWS"
      identifiers = local.workload_account_principals
    }
  }

  statement {
    sid       = "AllowWorkloadAccountsToListArtifacts"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.artifacts_bucket_arn]

    principals {
      type        = "AWS"
      identifiers = local.workload_account_principals
    }
  }

  # Each account writes only under its own <environment>/ prefix.
  dynamic "statement" {
    for_each = var.workload_accounts
    content {
      # A Sid is alphanumeric: pre-prod -> AllowPreProdWritesUnderPreProdPrefix.
      sid       = "Allow${join("", [for part in split("-", statement.key) : title(part)])}WritesUnder${join("", [for part in split("-", statement.key) : title(part)])}Prefix"
      actions   = ["s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"]
      resources = ["${local.artifacts_bucket_arn}/${statement.key}/*"]

      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${statement.value}:root"]
      }
    }
  }

  statement {
    # An object encrypted with any other key (e.g. a workload account's own key) could not be read by the
    # other accounts: uploads naming a key must name the registry key.
    sid       = "DenyUploadsWithAnotherKmsKey"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.artifacts_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [var.kms_key_arn, var.kms_alias_arn]
    }
  }
}

module "artifacts_bucket" {
  source = "../secure-bucket"

  bucket_name = var.artifacts_bucket_name
  kms_key_arn = var.kms_key_arn
  access_log_target = {
    bucket = module.access_log_bucket.bucket_name
    prefix = local.access_log_prefix
  }
  lifecycle_rules = [{
    id                                     = "expire-noncurrent-artifact-versions"
    noncurrent_version_expiration_days     = var.noncurrent_version_expiration_days
    abort_incomplete_multipart_upload_days = 7
  }]
  policy_documents = [data.aws_iam_policy_document.artifacts_access.json]
  tags             = var.tags
}

# ---------------------------------------------------------------- model package group

resource "aws_sagemaker_model_package_group" "this" {
  model_package_group_name        = var.model_package_group_name
  model_package_group_description = "Central registry of model versions trained in the workload accounts."
  tags                            = var.tags
}

data "aws_iam_policy_document" "model_package_group" {
  statement {
    sid = "AllowWorkloadAccountsToReadModels"
    actions = [
      "sagemaker:DescribeModelPackage",
      "sagemaker:DescribeModelPackageGroup",
      "sagemaker:ListModelPackages",
    ]
    resources = [local.model_package_group_arn, local.model_packages_arn]

    principals {
      type        = "AWS"
      identifiers = local.workload_account_principals
    }
  }

  statement {
    # A version registered from a workload account waits for an approver: an Approved registration from an
    # early environment would otherwise reach the last one's inference with nobody having looked at it.
    sid       = "AllowWorkloadAccountsToRegisterPendingModelsOnly"
    actions   = ["sagemaker:CreateModelPackage"]
    resources = [local.model_package_group_arn, local.model_packages_arn]

    principals {
      type        = "AWS"
      identifiers = local.workload_account_principals
    }

    condition {
      test     = "StringEquals"
      variable = "sagemaker:ModelApprovalStatus"
      values   = ["PendingManualApproval"]
    }
  }

  # Auto-approval happens at registration only: these accounts, too, may never update a version's status.
  dynamic "statement" {
    for_each = length(var.auto_approving_accounts) > 0 ? [values(var.auto_approving_accounts)] : []
    content {
      sid       = "AllowAutoApprovingAccountsToRegisterApprovedModels"
      actions   = ["sagemaker:CreateModelPackage"]
      resources = [local.model_package_group_arn, local.model_packages_arn]

      principals {
        type        = "AWS"
        identifiers = [for id in statement.value : "arn:${local.partition}:iam::${id}:root"]
      }

      condition {
        test     = "StringEquals"
        variable = "sagemaker:ModelApprovalStatus"
        values   = ["Approved"]
      }
    }
  }

  statement {
    # Explicit, so that no identity policy in a workload account can approve either.
    sid       = "DenyApprovalFromWorkloadAccounts"
    effect    = "Deny"
    actions   = ["sagemaker:UpdateModelPackage"]
    resources = [local.model_package_group_arn, local.model_packages_arn]

    principals {
      type        = "AWS"
      identifiers = local.workload_account_principals
    }
  }
}

resource "aws_sagemaker_model_package_group_policy" "this" {
  model_package_group_name = aws_sagemaker_model_package_group.this.model_package_group_name
  resource_policy          = data.aws_iam_policy_document.model_package_group.json
}

# ---------------------------------------------------------------- approver role

data "aws_iam_policy_document" "approver_trust" {
  statement {
    sid     = "TrustedApproversAssumeTheRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = var.approver_trusted_principal_arns
    }
  }
}

resource "aws_iam_role" "approver" {
  name                 = var.approver_role_name
  description          = "The only principal that may approve or reject versions of ${var.model_package_group_name}."
  max_session_duration = 3600
  assume_role_policy   = data.aws_iam_policy_document.approver_trust.json
  tags                 = var.tags
}

data "aws_iam_policy_document" "approver" {
  #checkov:skip=CKV_AWS_356:sagemaker:ListModelPackages has no resource type; every other statement names its resources
  statement {
    sid       = "ReadModelVersions"
    actions   = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
    resources = [local.model_package_group_arn, local.model_packages_arn]
  }

  statement {
    # ListModelPackages has no resource type: a statement naming the group never allows it.
    sid       = "ListModelVersions"
    actions   = ["sagemaker:ListModelPackages"]
    resources = ["*"]
  }

  statement {
    # The review shows each version's model-quality report, written by the train pipelines under
    # <environment>/evaluation/ with the registry key.
    sid       = "ReadEvaluationReports"
    actions   = ["s3:GetObject"]
    resources = ["${local.artifacts_bucket_arn}/*/evaluation/*"]
  }

  statement {
    sid       = "DecryptEvaluationReports"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "ApproveOrRejectModelVersions"
    actions   = ["sagemaker:UpdateModelPackage"]
    resources = [local.model_packages_arn]
  }
}

resource "aws_iam_role_policy" "approver" {
  #checkov:skip=CKV_AWS_355:sagemaker:ListModelPackages has no resource type
  name   = "approve-model-versions"
  role   = aws_iam_role.approver.id
  policy = data.aws_iam_policy_document.approver.json
}

# ---------------------------------------------------------------- replication to the second region

locals {
  replication_enabled = var.replication != null
  replica_bucket_arn  = local.replication_enabled ? "arn:${local.partition}:s3:::${var.replication.destination_bucket_name}" : null
  replica_region      = local.replication_enabled ? split(":", var.replication.destination_kms_key_arn)[3] : null
}

data "aws_iam_policy_document" "replication_trust" {
  count = local.replication_enabled ? 1 : 0

  statement {
    sid     = "S3ReplicatesForThisAccount"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "replication" {
  count = local.replication_enabled ? 1 : 0

  name                 = var.replication.role_name
  description          = "S3 replicates ${var.artifacts_bucket_name} to ${var.replication.destination_bucket_name} (${local.replica_region}) with this role."
  max_session_duration = 3600
  assume_role_policy   = data.aws_iam_policy_document.replication_trust[0].json
  tags                 = var.tags
}

data "aws_iam_policy_document" "replication" {
  count = local.replication_enabled ? 1 : 0

  statement {
    sid       = "ReadTheReplicationConfiguration"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [local.artifacts_bucket_arn]
  }

  statement {
    sid       = "ReadSourceVersionsForReplication"
    actions   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
    resources = ["${local.artifacts_bucket_arn}/*"]
  }

  statement {
    sid       = "WriteReplicas"
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = ["${local.replica_bucket_arn}/*"]
  }

  statement {
    # Only as S3 reading this bucket: with S3 Bucket Keys the encryption context is the bucket's ARN, without
    # them the object's.
    sid       = "DecryptSourceObjects"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:s3:arn"
      values   = [local.artifacts_bucket_arn, "${local.artifacts_bucket_arn}/*"]
    }
  }

  statement {
    sid       = "EncryptReplicasWithTheReplicaKey"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.replication.destination_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.replica_region}.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:s3:arn"
      values   = [local.replica_bucket_arn, "${local.replica_bucket_arn}/*"]
    }
  }
}

resource "aws_iam_role_policy" "replication" {
  count = local.replication_enabled ? 1 : 0

  name   = "replicate-model-artifacts"
  role   = aws_iam_role.replication[0].id
  policy = data.aws_iam_policy_document.replication[0].json
}

resource "aws_s3_bucket_replication_configuration" "artifacts" {
  count = local.replication_enabled ? 1 : 0

  # Both buckets versioned first: S3 refuses the configuration otherwise.
  bucket = module.artifacts_bucket.versioned_bucket_name
  role   = aws_iam_role.replication[0].arn

  rule {
    id     = "replicate-artifacts-to-${local.replica_region}"
    status = var.replication.enabled ? "Enabled" : "Disabled"

    # An empty filter is the whole bucket and makes this a current (V2) rule, the one that can choose
    # whether delete markers are replicated.
    filter {}

    delete_marker_replication {
      status = var.replication.replicate_delete_markers ? "Enabled" : "Disabled"
    }

    # Every artifact is SSE-KMS with the registry key, which S3 replicates only when asked to.
    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = local.replica_bucket_arn
      storage_class = "STANDARD"

      encryption_configuration {
        replica_kms_key_id = var.replication.destination_kms_key_arn
      }
    }
  }

  # The role must be able to read and write before the first object is replicated.
  depends_on = [aws_iam_role_policy.replication]
}
