provider "aws" {
  region = var.aws_region

  # A run with credentials of any other account is refused before anything is read or changed.
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = {
      Project     = var.project_name
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
