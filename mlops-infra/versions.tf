terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: bucket, key and region come from `terraform init -backend-config=...`
  # (the runner derives them from environments/<env>.tfvars.json: one state key per account).
  # use_lockfile locks with an S3 object next to the state, so no DynamoDB table is needed.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
