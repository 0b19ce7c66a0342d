provider "aws" {
  region = var.aws_region

  # The state bucket is created in exactly the account the tfvars name.
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      Purpose   = "terraform-state"
      ManagedBy = "terraform"
    }
  }
}
