# The replica of the central model-artifacts bucket in the platform's second region: a bucket hardened as
# every other (secure-bucket) and its own customer managed key there, since a KMS key never leaves its
# region. S3 replication writes the replicas; the workload accounts only read them (they serve models
# from the second region). Called with the provider of the second region.

data "aws_partition" "current" {}

locals {
  bucket_arn        = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"
  reader_principals = [for id in var.reader_account_ids : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
}

module "kms" {
  source = "../kms"

  alias_name  = var.kms_alias
  description = "Encrypts the replicas of the model artifacts in ${var.region}; the reader accounts may use it."
  account_id  = var.account_id
  region      = var.region
  # By account principal, as the registry key: the readers' roles may not exist when the registry is applied.
  cross_account_user_account_ids = var.reader_account_ids
  tags                           = var.tags
}

data "aws_iam_policy_document" "read_replicas" {
  statement {
    sid       = "AllowReaderAccountsToReadReplicas"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"]
    resources = ["${local.bucket_arn}/*"]

    principals {
      type        = "AWS"
      identifiers = local.reader_principals
    }
  }

  statement {
    sid       = "AllowReaderAccountsToListReplicas"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn]

    principals {
      type        = "AWS"
      identifiers = local.reader_principals
    }
  }
}

module "bucket" {
  source = "../secure-bucket"
  #checkov:skip=CKV_AWS_18:replicas are written by S3 replication only and read by the workload accounts, audited with CloudTrail data events at the organisation level as the data bucket; a log bucket per region adds cost without a reader

  bucket_name = var.bucket_name
  kms_key_arn = module.kms.key_arn
  lifecycle_rules = [{
    id                                     = "expire-noncurrent-replica-versions"
    noncurrent_version_expiration_days     = var.noncurrent_version_expiration_days
    abort_incomplete_multipart_upload_days = 7
  }]
  policy_documents = [data.aws_iam_policy_document.read_replicas.json]
  tags             = var.tags
}
