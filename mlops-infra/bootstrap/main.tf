module "state_bucket" {
  source = "../modules/secure-bucket"
  #checkov:skip=CKV_AWS_18:state access is audited with CloudTrail; a log bucket per account for one small bucket adds cost without a reader
  #checkov:skip=CKV_AWS_145:encrypted with the account's AWS-managed S3 key (aws:kms without a key id): no key has to exist before the state bucket

  bucket_name = var.state_bucket_name
  # The account's AWS-managed S3 key: the state never leaves the account, and no key has to exist first.
  sse_algorithm = "aws:kms"
  lifecycle_rules = [{
    id                                     = "expire-old-state-versions"
    noncurrent_version_expiration_days     = var.noncurrent_version_expiration_days
    abort_incomplete_multipart_upload_days = 1
  }]
  force_destroy = var.force_destroy
  tags          = var.tags
}
