# The registry account's plan with its real tfvars, on a mock provider (no AWS, no credentials):
#   terraform test -filter=tests/registry.tftest.hcl -var-file=../environments/registry.tfvars.json
# Run by tests/terraform_static/test_terraform_tests.py. Module runs use the tfvars values the root passes.

# Policies are rendered by the real provider: aws_iam_policy_document and aws_partition need no AWS, and a
# plan without state reads nothing remote, so runs that read policies plan with offline, fake credentials.
provider "aws" {
  region                      = var.aws_region
  access_key                  = "offline-plan"
  secret_key                  = "offline-plan"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

# The same in the second region, for the artifacts replica.
provider "aws" {
  alias                       = "secondary_offline"
  region                      = var.secondary_region.region
  access_key                  = "offline-plan"
  secret_key                  = "offline-plan"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

# The whole root plans on the mock provider (no credentials, no account check).
mock_provider "aws" {
  alias = "mock"

  # Generated values must be what the provider accepts: policies are JSON documents, ARNs name a partition.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

run "registry_gets_the_registry_modules_only" {
  command = plan
  providers = {
    aws           = aws.mock
    aws.secondary = aws.mock
  }

  assert {
    condition     = var.environment == "registry"
    error_message = "run this file with -var-file=../environments/registry.tfvars.json"
  }

  assert {
    condition     = length(module.registry_kms) == 1 && length(module.model_registry) == 1 && length(module.model_package_events) == 1
    error_message = "the registry account must get the registry key, the model registry and the rule forwarding its state changes"
  }

  assert {
    condition = alltrue([
      length(module.workload_kms) == 0, length(module.data_bucket) == 0, length(module.iam) == 0,
      length(module.notifications) == 0, length(module.pipeline_triggers) == 0, length(module.lambda) == 0, length(module.alerts) == 0,
      length(module.jenkins) == 0, length(module.warehouse_secret) == 0, length(module.serving) == 0,
    ])
    error_message = "the registry account must get no workload or Jenkins module"
  }

  assert {
    condition     = output.model_package_group_arn == "arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package-group/${var.model_registry.model_package_group_name}"
    error_message = "model_package_group_arn must be the ARN pipelines/config/ derives"
  }

  assert {
    condition = alltrue([for value in [
      output.workload_kms_key_arn, output.data_bucket_name, output.sagemaker_execution_role_arn, output.lambda_role_arn,
      output.events_role_arn, output.alert_topic_arn, output.latest_model_function_arn, output.jenkins_role_arn,
    ] : value == null])
    error_message = "workload and Jenkins outputs must be null in the registry account"
  }

  assert {
    condition     = var.secondary_region != null && length(module.artifacts_replica) == 1 && output.artifacts_replica_bucket_name == var.secondary_region.replica_artifacts_bucket_name
    error_message = "with secondary_region the registry gets the artifacts replica (run this file with the registry tfvars, which set it)"
  }
}

run "registry_without_a_secondary_region_has_no_replica" {
  command = plan
  providers = {
    aws           = aws.mock
    aws.secondary = aws.mock
  }

  variables {
    secondary_region = null
  }

  assert {
    condition = alltrue([
      length(module.artifacts_replica) == 0, length(module.model_registry[0].replication_rule == null ? [] : [1]) == 0,
      output.artifacts_replica_bucket_name == null, output.artifacts_replica_kms_key_arn == null, output.artifacts_replication_role_arn == null,
    ])
    error_message = "secondary_region = null must leave the registry as in one region: no replica, no replication rule, null outputs"
  }
}

run "registry_key_grants_the_workload_accounts_cryptography_only" {
  command = plan

  module {
    source = "./modules/kms"
  }

  variables {
    alias_name                     = var.model_registry.kms_alias
    description                    = "registry key under test"
    account_id                     = var.accounts.registry
    region                         = var.aws_region
    cross_account_user_account_ids = [for name in var.promotion : var.accounts[name]]
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_alias.this.name == var.model_registry.kms_alias
    error_message = "the registry key must rotate and carry the alias of the tfvars"
  }

  assert {
    condition     = toset([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid]) == toset(["EnableIamPoliciesOfOwningAccount", "AllowCryptographyForOtherAccounts"])
    error_message = "the registry key policy must hold exactly the owner statement and the cross-account statement (no EventBridge, no Logs)"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid != "AllowCryptographyForOtherAccounts" ? true : (
        toset(flatten([s.Principal.AWS])) == toset([for name in var.promotion : "arn:aws:iam::${var.accounts[name]}:root"]) &&
        toset(flatten([s.Action])) == toset(["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]) &&
        s.Condition == { StringEquals = { "kms:ViaService" = ["s3.${var.aws_region}.amazonaws.com", "sagemaker.${var.aws_region}.amazonaws.com"] } }
      )
    ])
    error_message = "the promotion's workload accounts account principals must get exactly Encrypt/Decrypt/ReEncrypt*/GenerateDataKey*/DescribeKey, through S3 and SageMaker only (kms:ViaService)"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.this.policy).Statement : s.Principal != "*" && try(s.Principal.AWS, "") != "*"
    ])
    error_message = "no key policy statement may name the wildcard principal"
  }
}

run "model_registry_shares_artifacts_and_group_with_the_workload_accounts" {
  command = plan

  module {
    source = "./modules/model-registry"
  }

  variables {
    account_id                         = var.accounts.registry
    region                             = var.aws_region
    artifacts_bucket_name              = var.model_registry.artifacts_bucket_name
    access_log_bucket_name             = var.model_registry.access_log_bucket_name
    kms_key_arn                        = "arn:aws:kms:${var.aws_region}:${var.accounts.registry}:key/11111111-2222-3333-4444-555555555555"
    kms_alias_arn                      = "arn:aws:kms:${var.aws_region}:${var.accounts.registry}:${var.model_registry.kms_alias}"
    noncurrent_version_expiration_days = var.model_registry.noncurrent_version_expiration_days
    model_package_group_name           = var.model_registry.model_package_group_name
    workload_accounts                  = { for name in var.promotion : name => var.accounts[name] }
    # No environment auto-approves: every registration waits for an approver.
    auto_approving_accounts         = {}
    approver_role_name              = var.model_registry.approver_role_name
    approver_trusted_principal_arns = var.model_registry.approver_trusted_principal_arns
  }

  assert {
    condition = module.artifacts_bucket.encryption == {
      sse_algorithm      = "aws:kms"
      kms_key_arn        = "arn:aws:kms:${var.aws_region}:${var.accounts.registry}:key/11111111-2222-3333-4444-555555555555"
      bucket_key_enabled = true
    }
    error_message = "the artifacts bucket must default to SSE-KMS with the registry key and a bucket key"
  }

  assert {
    condition     = module.access_log_bucket.encryption.sse_algorithm == "AES256" && module.access_log_bucket.access_log_target == null
    error_message = "the access-log bucket must use SSE-S3 (the only encryption log delivery supports) and not log itself"
  }

  assert {
    condition     = module.artifacts_bucket.access_log_target == { bucket = var.model_registry.access_log_bucket_name, prefix = "${var.model_registry.artifacts_bucket_name}/" }
    error_message = "the artifacts bucket must log to the access-log bucket"
  }

  assert {
    condition     = [for rule in module.artifacts_bucket.lifecycle_rules : rule.noncurrent_version_expiration_days] == [var.model_registry.noncurrent_version_expiration_days]
    error_message = "noncurrent artifact versions must expire after model_registry.noncurrent_version_expiration_days"
  }

  assert {
    condition = {
      for s in jsondecode(module.artifacts_bucket.policy_json).Statement : s.Sid => s.Resource
      if s.Effect == "Allow" && contains(flatten([s.Action]), "s3:PutObject")
      } == {
      for name in var.promotion : "Allow${join("", [for part in split("-", name) : title(part)])}WritesUnder${join("", [for part in split("-", name) : title(part)])}Prefix" => "arn:aws:s3:::${var.model_registry.artifacts_bucket_name}/${name}/*"
    }
    error_message = "the promotion's workload accounts may write only under their own prefix"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(module.artifacts_bucket.policy_json).Statement : s.Effect == "Deny" ? true : length(setsubtract(toset(flatten([s.Principal.AWS])), toset([for name in var.promotion : "arn:aws:iam::${var.accounts[name]}:root"]))) == 0
    ])
    error_message = "the artifacts bucket policy may allow only the the promotion's workload accounts account principals"
  }

  assert {
    condition = anytrue([
      for s in jsondecode(module.artifacts_bucket.policy_json).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
      ]) && anytrue([
      for s in jsondecode(module.access_log_bucket.policy_json).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
    ])
    error_message = "both registry buckets must deny requests without TLS"
  }

  assert {
    condition = [
      for s in jsondecode(module.access_log_bucket.policy_json).Statement : {
        principal = s.Principal.Service, action = s.Action, resource = s.Resource, source = s.Condition.ArnLike["aws:SourceArn"]
      } if s.Effect == "Allow"
      ] == [{
        principal = "logging.s3.amazonaws.com", action = "s3:PutObject"
        resource  = "arn:aws:s3:::${var.model_registry.access_log_bucket_name}/${var.model_registry.artifacts_bucket_name}/*"
        source    = "arn:aws:s3:::${var.model_registry.artifacts_bucket_name}"
    }]
    error_message = "the access-log bucket may admit only log deliveries from the artifacts bucket, under its prefix"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement :
      toset(flatten([s.Principal.AWS])) == toset([for name in var.promotion : "arn:aws:iam::${var.accounts[name]}:root"])
    ])
    error_message = "the model package group policy may name the the promotion's workload accounts account principals only"
  }

  assert {
    condition = {
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s.Sid => {
        effect = s.Effect, actions = toset(flatten([s.Action])), resources = toset(flatten([s.Resource])), condition = jsonencode(try(s.Condition, null))
      }
      } == {
      AllowWorkloadAccountsToReadModels = {
        effect    = "Allow", actions = toset(["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"])
        resources = toset(["arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package-group/${var.model_registry.model_package_group_name}", "arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package/${lower(var.model_registry.model_package_group_name)}/*"]), condition = "null"
      }
      AllowWorkloadAccountsToRegisterPendingModelsOnly = {
        effect    = "Allow", actions = toset(["sagemaker:CreateModelPackage"])
        resources = toset(["arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package-group/${var.model_registry.model_package_group_name}", "arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package/${lower(var.model_registry.model_package_group_name)}/*"])
        condition = jsonencode({ StringEquals = { "sagemaker:ModelApprovalStatus" = "PendingManualApproval" } })
      }
      DenyApprovalFromWorkloadAccounts = {
        effect    = "Deny", actions = toset(["sagemaker:UpdateModelPackage"])
        resources = toset(["arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package-group/${var.model_registry.model_package_group_name}", "arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package/${lower(var.model_registry.model_package_group_name)}/*"]), condition = "null"
      }
    }
    error_message = "the promotion's workload accounts may describe and list the group and create packages only with sagemaker:ModelApprovalStatus = PendingManualApproval; approving (UpdateModelPackage) is denied to them and allowed to nobody"
  }

  assert {
    condition = aws_iam_role.approver.name == var.model_registry.approver_role_name && [
      for s in jsondecode(aws_iam_role.approver.assume_role_policy).Statement : {
        effect = s.Effect, action = s.Action, principals = toset(flatten([s.Principal.AWS])), condition = try(s.Condition, null)
      }
      ] == [{
        effect = "Allow", action = "sts:AssumeRole", principals = toset(var.model_registry.approver_trusted_principal_arns), condition = null
    }]
    error_message = "the approver role must be named as in the tfvars and trusted by exactly model_registry.approver_trusted_principal_arns"
  }

  assert {
    condition = {
      for s in jsondecode(aws_iam_role_policy.approver.policy).Statement : s.Sid => {
        effect = s.Effect, actions = toset(flatten([s.Action])), resources = toset(flatten([s.Resource])), condition = jsonencode(try(s.Condition, null))
      }
      } == {
      ReadModelVersions = {
        effect    = "Allow", actions = toset(["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"])
        resources = toset(["arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package-group/${var.model_registry.model_package_group_name}", "arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package/${lower(var.model_registry.model_package_group_name)}/*"]), condition = "null"
      }
      ListModelVersions = {
        effect = "Allow", actions = toset(["sagemaker:ListModelPackages"]), resources = toset(["*"]), condition = "null"
      }
      ReadEvaluationReports = {
        effect = "Allow", actions = toset(["s3:GetObject"]), resources = toset(["arn:aws:s3:::${var.model_registry.artifacts_bucket_name}/*/evaluation/*"]), condition = "null"
      }
      DecryptEvaluationReports = {
        effect = "Allow", actions = toset(["kms:Decrypt"]), resources = toset(["arn:aws:kms:${var.aws_region}:${var.accounts.registry}:key/11111111-2222-3333-4444-555555555555"]), condition = "null"
      }
      ApproveOrRejectModelVersions = {
        effect = "Allow", actions = toset(["sagemaker:UpdateModelPackage"]), resources = toset(["arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package/${lower(var.model_registry.model_package_group_name)}/*"]), condition = "null"
      }
    }
    error_message = "the approver role may read the group, list and update (approve or reject) its versions and read their evaluation reports, nothing else"
  }

  assert {
    condition     = aws_sagemaker_model_package_group.this.model_package_group_name == var.model_registry.model_package_group_name
    error_message = "the model package group must be named as in the tfvars"
  }
}

run "the_first_environment_auto_approving_may_register_approved_versions_and_nothing_more" {
  command = plan

  module {
    source = "./modules/model-registry"
  }

  # What the root passes for model_registry.auto_approving_environments = ["dev"].
  variables {
    account_id                         = var.accounts.registry
    region                             = var.aws_region
    artifacts_bucket_name              = var.model_registry.artifacts_bucket_name
    access_log_bucket_name             = var.model_registry.access_log_bucket_name
    kms_key_arn                        = "arn:aws:kms:${var.aws_region}:${var.accounts.registry}:key/11111111-2222-3333-4444-555555555555"
    kms_alias_arn                      = "arn:aws:kms:${var.aws_region}:${var.accounts.registry}:${var.model_registry.kms_alias}"
    noncurrent_version_expiration_days = var.model_registry.noncurrent_version_expiration_days
    model_package_group_name           = var.model_registry.model_package_group_name
    workload_accounts                  = { for name in var.promotion : name => var.accounts[name] }
    auto_approving_accounts            = { for name in ["dev"] : name => var.accounts[name] }
    approver_role_name                 = var.model_registry.approver_role_name
    approver_trusted_principal_arns    = var.model_registry.approver_trusted_principal_arns
  }

  assert {
    condition = {
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s.Sid => {
        effect    = s.Effect, actions = toset(flatten([s.Action])), principals = toset(flatten([s.Principal.AWS]))
        resources = toset(flatten([s.Resource])), condition = jsonencode(try(s.Condition, null))
      } if s.Sid == "AllowAutoApprovingAccountsToRegisterApprovedModels"
      } == {
      AllowAutoApprovingAccountsToRegisterApprovedModels = {
        effect    = "Allow", actions = toset(["sagemaker:CreateModelPackage"]), principals = toset(["arn:aws:iam::${var.accounts.dev}:root"])
        resources = toset(["arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package-group/${var.model_registry.model_package_group_name}", "arn:aws:sagemaker:${var.aws_region}:${var.accounts.registry}:model-package/${lower(var.model_registry.model_package_group_name)}/*"])
        condition = jsonencode({ StringEquals = { "sagemaker:ModelApprovalStatus" = "Approved" } })
      }
    }
    error_message = "an auto-approving environment's account (dev's alone) may create packages with sagemaker:ModelApprovalStatus = Approved, on the group and its packages"
  }

  assert {
    condition = {
      for s in jsondecode(aws_sagemaker_model_package_group_policy.this.resource_policy).Statement : s.Sid => {
        effect = s.Effect, actions = toset(flatten([s.Action])), principals = toset(flatten([s.Principal.AWS])), condition = jsonencode(try(s.Condition, null))
      } if s.Sid != "AllowAutoApprovingAccountsToRegisterApprovedModels"
      } == {
      AllowWorkloadAccountsToReadModels = {
        effect     = "Allow", actions = toset(["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"])
        principals = toset([for name in var.promotion : "arn:aws:iam::${var.accounts[name]}:root"]), condition = "null"
      }
      AllowWorkloadAccountsToRegisterPendingModelsOnly = {
        effect     = "Allow", actions = toset(["sagemaker:CreateModelPackage"])
        principals = toset([for name in var.promotion : "arn:aws:iam::${var.accounts[name]}:root"])
        condition  = jsonencode({ StringEquals = { "sagemaker:ModelApprovalStatus" = "PendingManualApproval" } })
      }
      DenyApprovalFromWorkloadAccounts = {
        effect     = "Deny", actions = toset(["sagemaker:UpdateModelPackage"])
        principals = toset([for name in var.promotion : "arn:aws:iam::${var.accounts[name]}:root"]), condition = "null"
      }
    }
    error_message = "auto-approval must leave the other statements as they are: every workload account registers pending versions, and updating a version's status stays denied to all of them, dev included"
  }
}

run "state_changes_of_the_group_are_forwarded_to_the_workload_accounts" {
  command = plan

  module {
    source = "./modules/model-package-events"
  }

  # The values the root passes.
  variables {
    account_id               = var.accounts.registry
    region                   = var.aws_region
    model_package_group_name = var.model_registry.model_package_group_name
    target_account_ids       = [for name in var.promotion : var.accounts[name]]
    rule_name                = "${var.project_name}-model-package-state-to-workloads"
    role_name                = "${var.project_name}-model-package-events-forwarder"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.this.event_pattern) == {
      source      = ["aws.sagemaker"]
      detail-type = ["SageMaker Model Package State Change"]
      detail      = { ModelPackageGroupName = [var.model_registry.model_package_group_name] }
    }
    error_message = "the rule matches the state changes of the central group only"
  }

  assert {
    condition = toset([for target in aws_cloudwatch_event_target.this : target.arn]) == toset([
      for account in [for name in var.promotion : var.accounts[name]] : "arn:aws:events:${var.aws_region}:${account}:event-bus/default"
    ])
    error_message = "the targets are the the promotion's workload accounts default event buses"
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : { action = s.Action, resource = toset(flatten([s.Resource])) }] == [{
      action   = "events:PutEvents"
      resource = toset([for account in [for name in var.promotion : var.accounts[name]] : "arn:aws:events:${var.aws_region}:${account}:event-bus/default"])
    }] && jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Principal.Service == "events.amazonaws.com"
    error_message = "EventBridge's role may put events on exactly the the promotion's workload accounts default buses, and nothing else"
  }
}

# ---------------------------------------------------------------- the second region

run "artifacts_replication_replicates_sse_kms_objects_to_the_replica_key" {
  command = plan

  module {
    source = "./modules/model-registry"
  }

  variables {
    account_id                         = var.accounts.registry
    region                             = var.aws_region
    artifacts_bucket_name              = var.model_registry.artifacts_bucket_name
    access_log_bucket_name             = var.model_registry.access_log_bucket_name
    kms_key_arn                        = "arn:aws:kms:${var.aws_region}:${var.accounts.registry}:key/11111111-2222-3333-4444-555555555555"
    kms_alias_arn                      = "arn:aws:kms:${var.aws_region}:${var.accounts.registry}:${var.model_registry.kms_alias}"
    noncurrent_version_expiration_days = var.model_registry.noncurrent_version_expiration_days
    model_package_group_name           = var.model_registry.model_package_group_name
    workload_accounts                  = { for name in var.promotion : name => var.accounts[name] }
    approver_role_name                 = var.model_registry.approver_role_name
    approver_trusted_principal_arns    = var.model_registry.approver_trusted_principal_arns
    replication = {
      destination_bucket_name  = var.secondary_region.replica_artifacts_bucket_name
      destination_kms_key_arn  = "arn:aws:kms:${var.secondary_region.region}:${var.accounts.registry}:key/66666666-7777-8888-9999-000000000000"
      role_name                = "${var.project_name}-artifacts-replication"
      enabled                  = var.secondary_region.replication_enabled
      replicate_delete_markers = var.secondary_region.replicate_delete_markers
    }
  }

  assert {
    condition     = aws_s3_bucket_replication_configuration.artifacts[0].bucket == var.model_registry.artifacts_bucket_name && length(aws_s3_bucket_replication_configuration.artifacts[0].rule) == 1
    error_message = "the artifacts bucket must carry one replication rule"
  }

  assert {
    condition = [for rule in aws_s3_bucket_replication_configuration.artifacts[0].rule : {
      status                    = rule.status
      whole_bucket              = length(rule.filter) == 1 && (rule.filter[0].prefix == null ? "" : rule.filter[0].prefix) == "" && length(rule.filter[0].tag) == 0 && length(rule.filter[0].and) == 0
      delete_marker_replication = rule.delete_marker_replication[0].status
      sse_kms_encrypted_objects = rule.source_selection_criteria[0].sse_kms_encrypted_objects[0].status
      destination_bucket        = rule.destination[0].bucket
      storage_class             = rule.destination[0].storage_class
      replica_kms_key_id        = rule.destination[0].encryption_configuration[0].replica_kms_key_id
      }] == [{
      status                    = "Enabled"
      whole_bucket              = true
      delete_marker_replication = "Disabled"
      sse_kms_encrypted_objects = "Enabled"
      destination_bucket        = "arn:aws:s3:::${var.secondary_region.replica_artifacts_bucket_name}"
      storage_class             = "STANDARD"
      replica_kms_key_id        = "arn:aws:kms:${var.secondary_region.region}:${var.accounts.registry}:key/66666666-7777-8888-9999-000000000000"
    }]
    error_message = "the rule must replicate the whole bucket, SSE-KMS objects included, to the replica bucket re-encrypted with the replica key, and leave delete markers as the tfvars say (not replicated)"
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role.replication[0].assume_role_policy).Statement : {
        effect = s.Effect, action = s.Action, service = s.Principal.Service, condition = s.Condition
      }
      ] == [{
        effect    = "Allow", action = "sts:AssumeRole", service = "s3.amazonaws.com"
        condition = { StringEquals = { "aws:SourceAccount" = var.accounts.registry } }
    }]
    error_message = "only S3, on behalf of the registry account, may assume the replication role"
  }

  assert {
    condition = {
      for s in jsondecode(aws_iam_role_policy.replication[0].policy).Statement : s.Sid => {
        effect = s.Effect, actions = toset(flatten([s.Action])), resources = toset(flatten([s.Resource])), condition = jsonencode(try(s.Condition, null))
      }
      } == {
      ReadTheReplicationConfiguration = {
        effect    = "Allow", actions = toset(["s3:GetReplicationConfiguration", "s3:ListBucket"])
        resources = toset(["arn:aws:s3:::${var.model_registry.artifacts_bucket_name}"]), condition = "null"
      }
      ReadSourceVersionsForReplication = {
        effect    = "Allow", actions = toset(["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"])
        resources = toset(["arn:aws:s3:::${var.model_registry.artifacts_bucket_name}/*"]), condition = "null"
      }
      WriteReplicas = {
        effect    = "Allow", actions = toset(["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"])
        resources = toset(["arn:aws:s3:::${var.secondary_region.replica_artifacts_bucket_name}/*"]), condition = "null"
      }
      DecryptSourceObjects = {
        effect    = "Allow", actions = toset(["kms:Decrypt"])
        resources = toset(["arn:aws:kms:${var.aws_region}:${var.accounts.registry}:key/11111111-2222-3333-4444-555555555555"])
        condition = jsonencode({
          StringEquals = { "kms:ViaService" = "s3.${var.aws_region}.amazonaws.com" }
          StringLike   = { "kms:EncryptionContext:aws:s3:arn" = ["arn:aws:s3:::${var.model_registry.artifacts_bucket_name}", "arn:aws:s3:::${var.model_registry.artifacts_bucket_name}/*"] }
        })
      }
      EncryptReplicasWithTheReplicaKey = {
        effect    = "Allow", actions = toset(["kms:Encrypt", "kms:GenerateDataKey"])
        resources = toset(["arn:aws:kms:${var.secondary_region.region}:${var.accounts.registry}:key/66666666-7777-8888-9999-000000000000"])
        condition = jsonencode({
          StringEquals = { "kms:ViaService" = "s3.${var.secondary_region.region}.amazonaws.com" }
          StringLike   = { "kms:EncryptionContext:aws:s3:arn" = ["arn:aws:s3:::${var.secondary_region.replica_artifacts_bucket_name}", "arn:aws:s3:::${var.secondary_region.replica_artifacts_bucket_name}/*"] }
        })
      }
    }
    error_message = "the replication role may read the source's versions and configuration, replicate into the replica bucket, decrypt with the registry key and encrypt with the replica key, each only through S3 of its region and for its bucket"
  }
}

run "replication_off_keeps_the_rule_disabled_and_delete_markers_follow_the_setting" {
  command = plan

  module {
    source = "./modules/model-registry"
  }

  variables {
    account_id                         = var.accounts.registry
    region                             = var.aws_region
    artifacts_bucket_name              = var.model_registry.artifacts_bucket_name
    access_log_bucket_name             = var.model_registry.access_log_bucket_name
    kms_key_arn                        = "arn:aws:kms:${var.aws_region}:${var.accounts.registry}:key/11111111-2222-3333-4444-555555555555"
    kms_alias_arn                      = "arn:aws:kms:${var.aws_region}:${var.accounts.registry}:${var.model_registry.kms_alias}"
    noncurrent_version_expiration_days = var.model_registry.noncurrent_version_expiration_days
    model_package_group_name           = var.model_registry.model_package_group_name
    workload_accounts                  = { for name in var.promotion : name => var.accounts[name] }
    approver_role_name                 = var.model_registry.approver_role_name
    approver_trusted_principal_arns    = var.model_registry.approver_trusted_principal_arns
    replication = {
      destination_bucket_name  = var.secondary_region.replica_artifacts_bucket_name
      destination_kms_key_arn  = "arn:aws:kms:${var.secondary_region.region}:${var.accounts.registry}:key/66666666-7777-8888-9999-000000000000"
      role_name                = "${var.project_name}-artifacts-replication"
      enabled                  = false
      replicate_delete_markers = true
    }
  }

  assert {
    condition     = [for rule in aws_s3_bucket_replication_configuration.artifacts[0].rule : [rule.status, rule.delete_marker_replication[0].status]] == [["Disabled", "Enabled"]]
    error_message = "replication_enabled = false must disable the rule (the replica stays), and replicate_delete_markers = true must enable delete marker replication"
  }
}

run "artifacts_replica_key_and_bucket_policies_in_the_second_region" {
  command = plan
  providers = {
    aws = aws.secondary_offline
  }

  module {
    source = "./modules/artifacts-replica"
  }

  variables {
    account_id                         = var.accounts.registry
    region                             = var.secondary_region.region
    bucket_name                        = var.secondary_region.replica_artifacts_bucket_name
    kms_alias                          = var.secondary_region.replica_kms_alias
    reader_account_ids                 = [for name in var.promotion : var.accounts[name]]
    noncurrent_version_expiration_days = var.model_registry.noncurrent_version_expiration_days
  }

  assert {
    condition     = output.kms_rotation_enabled && output.kms_alias_name == var.secondary_region.replica_kms_alias
    error_message = "the replica key must rotate and carry secondary_region.replica_kms_alias"
  }

  assert {
    condition = [
      for s in jsondecode(output.kms_key_policy_json).Statement : {
        principals = toset(flatten([s.Principal.AWS])), condition = s.Condition
      } if s.Sid == "AllowCryptographyForOtherAccounts"
      ] == [{
        principals = toset([for name in var.promotion : "arn:aws:iam::${var.accounts[name]}:root"])
        condition  = { StringEquals = { "kms:ViaService" = ["s3.${var.secondary_region.region}.amazonaws.com", "sagemaker.${var.secondary_region.region}.amazonaws.com"] } }
    }]
    error_message = "the promotion's workload accounts may use the replica key only through S3 and SageMaker of the second region"
  }

  assert {
    condition = {
      for s in jsondecode(output.policy_json).Statement : s.Sid => {
        actions = toset(flatten([s.Action])), principals = toset(flatten([s.Principal.AWS]))
      } if s.Effect == "Allow"
      } == {
      AllowReaderAccountsToReadReplicas = {
        actions    = toset(["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"])
        principals = toset([for name in var.promotion : "arn:aws:iam::${var.accounts[name]}:root"])
      }
      AllowReaderAccountsToListReplicas = {
        actions    = toset(["s3:ListBucket", "s3:GetBucketLocation"])
        principals = toset([for name in var.promotion : "arn:aws:iam::${var.accounts[name]}:root"])
      }
    }
    error_message = "the replica bucket may only be read and listed by the promotion's workload accounts: replication alone writes"
  }

  assert {
    condition     = anytrue([for s in jsondecode(output.policy_json).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"])
    error_message = "the replica bucket must deny requests without TLS"
  }

  assert {
    condition     = [for rule in module.bucket.lifecycle_rules : rule.noncurrent_version_expiration_days] == [var.model_registry.noncurrent_version_expiration_days]
    error_message = "noncurrent replica versions must expire as the source's do"
  }
}

run "artifacts_replica_bucket_is_encrypted_with_the_replica_key" {
  command = apply
  providers = {
    aws = aws.mock
  }

  module {
    source = "./modules/artifacts-replica"
  }

  variables {
    account_id                         = var.accounts.registry
    region                             = var.secondary_region.region
    bucket_name                        = var.secondary_region.replica_artifacts_bucket_name
    kms_alias                          = var.secondary_region.replica_kms_alias
    reader_account_ids                 = [for name in var.promotion : var.accounts[name]]
    noncurrent_version_expiration_days = var.model_registry.noncurrent_version_expiration_days
  }

  override_resource {
    target = module.kms.aws_kms_key.this
    values = {
      arn    = "arn:aws:kms:us-west-2:111111111111:key/66666666-7777-8888-9999-000000000000"
      key_id = "66666666-7777-8888-9999-000000000000"
    }
  }

  assert {
    condition = output.encryption == {
      sse_algorithm      = "aws:kms"
      kms_key_arn        = "arn:aws:kms:us-west-2:111111111111:key/66666666-7777-8888-9999-000000000000"
      bucket_key_enabled = true
    } && output.kms_key_arn == output.encryption.kms_key_arn
    error_message = "the replica bucket must default to SSE-KMS with its own key and a bucket key"
  }

  assert {
    condition     = output.bucket_name == var.secondary_region.replica_artifacts_bucket_name
    error_message = "the replica bucket must be named as in secondary_region.replica_artifacts_bucket_name"
  }
}
