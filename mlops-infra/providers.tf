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

# The platform's second region (secondary_region): the registry's artifact replicas live there. Without a
# second region it points at aws_region and nothing uses it (a provider configuration cannot be conditional).
provider "aws" {
  alias  = "secondary"
  region = local.secondary_region

  allowed_account_ids = [local.account_id]

  default_tags {
    tags = {
      Project     = var.project_name
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
