# The state bucket, planned on the AWS provider's mock (no AWS, no credentials), with an account's values:
#   terraform test -var state_bucket_name=mammo-tfstate-222222222222 -var account_id=222222222222
# Run by tests/terraform_static/test_terraform_tests.py with the values of each environments/*.tfvars.json.

mock_provider "aws" {}

run "state_bucket_is_versioned_encrypted_private_and_tls_only" {
  command = apply

  assert {
    condition     = aws_s3_bucket.state.bucket == var.state_bucket_name && !aws_s3_bucket.state.force_destroy
    error_message = "the state bucket must be named as in the tfvars and survive a destroy unless asked"
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "the state bucket must be versioned (roll back a bad apply)"
  }

  assert {
    condition = alltrue([
      for rule in aws_s3_bucket_server_side_encryption_configuration.state.rule :
      rule.apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && rule.bucket_key_enabled
    ])
    error_message = "the state bucket must be encrypted with SSE-KMS and a bucket key"
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.state.block_public_acls, aws_s3_bucket_public_access_block.state.block_public_policy,
      aws_s3_bucket_public_access_block.state.ignore_public_acls, aws_s3_bucket_public_access_block.state.restrict_public_buckets,
    ]) && aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "the state bucket must block every public access and disable ACLs"
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.state.policy).Statement == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::${var.state_bucket_name}", "arn:aws:s3:::${var.state_bucket_name}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "the state bucket policy must deny every request without TLS, and grant nothing"
  }
}

run "a_malformed_account_id_is_refused" {
  command = plan

  variables {
    account_id = "22222222222"
  }

  expect_failures = [var.account_id]
}

run "a_malformed_bucket_name_is_refused" {
  command = plan

  variables {
    state_bucket_name = "Mammo_TFState"
  }

  expect_failures = [var.state_bucket_name]
}

run "a_malformed_region_is_refused" {
  command = plan

  variables {
    aws_region = "Virginia"
  }

  expect_failures = [var.aws_region]
}

run "old_state_versions_are_kept_at_least_a_day" {
  command = plan

  variables {
    noncurrent_version_expiration_days = 0
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}
