# The state bucket, planned on the AWS provider's mock (no AWS, no credentials), with an account's values:
#   terraform test -var state_bucket_name=mammo-tfstate-222222222222 -var account_id=222222222222
# Run by tests/terraform_static/test_terraform_tests.py with the values of each environments/*.tfvars.json.

# The policy is rendered by the real provider: aws_iam_policy_document and aws_partition need no AWS, and a
# plan without state reads nothing remote, so the run plans with offline, fake credentials.
provider "aws" {
  # Only the partition follows from it; the bucket's own region comes from the aws_region variable.
  region                      = "us-east-1"
  access_key                  = "offline-plan"
  secret_key                  = "offline-plan"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

run "state_bucket_is_versioned_encrypted_private_and_tls_only" {
  command = plan

  assert {
    condition     = module.state_bucket.bucket_name == var.state_bucket_name && !var.force_destroy
    error_message = "the state bucket must be named as in the tfvars and survive a destroy unless asked"
  }

  # Versioning, the public access block and disabled ACLs are fixed in modules/secure-bucket for every bucket:
  # tests/workload.tftest.hcl asserts them on that module.

  assert {
    condition     = module.state_bucket.encryption.sse_algorithm == "aws:kms" && module.state_bucket.encryption.kms_key_arn == null && module.state_bucket.encryption.bucket_key_enabled
    error_message = "the state bucket must be encrypted with SSE-KMS (the account's AWS-managed key) and a bucket key"
  }

  assert {
    condition = module.state_bucket.lifecycle_rules == {
      expire-old-state-versions = {
        expiration_days                        = null
        noncurrent_version_expiration_days     = var.noncurrent_version_expiration_days
        abort_incomplete_multipart_upload_days = 1
      }
    }
    error_message = "old state versions must expire after noncurrent_version_expiration_days, and current state never"
  }

  assert {
    condition = [for s in jsondecode(module.state_bucket.policy_json).Statement : merge(s, { Resource = toset(s.Resource) })] == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = toset(["arn:aws:s3:::${var.state_bucket_name}", "arn:aws:s3:::${var.state_bucket_name}/*"])
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
