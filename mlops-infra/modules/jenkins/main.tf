# The role Jenkins (tooling account) assumes to deploy this account: terraform plan/apply of this root
# and the pipeline upsert. Every statement is limited to the resources this root manages, by name or
# ARN; the few actions without resource types are listed apart. The role may read but not change
# itself, every role it creates or edits carries the workload permissions boundary, which it can neither
# remove nor change, and it manages only the key of this state: widening Jenkins' own permissions, or
# those of a role it can pass or assume, takes a person's apply.

data "aws_partition" "current" {}

locals {
  partition          = data.aws_partition.current.partition
  state_bucket_arn   = "arn:${local.partition}:s3:::${var.terraform_state_bucket}"
  state_object_arns  = ["arn:${local.partition}:s3:::${var.terraform_state_bucket}/${var.state_key}", "arn:${local.partition}:s3:::${var.terraform_state_bucket}/${var.state_key}.tflock"]
  data_bucket_arn    = "arn:${local.partition}:s3:::${var.data_bucket_name}"
  code_objects_arn   = "arn:${local.partition}:s3:::${var.data_bucket_name}/code/*"
  own_role_arn       = "arn:${local.partition}:iam::${var.account_id}:role/${var.role_name}"
  sagemaker_role     = "arn:${local.partition}:iam::${var.account_id}:role/${var.sagemaker_execution_role_name}"
  lambda_role        = "arn:${local.partition}:iam::${var.account_id}:role/${var.lambda_role_name}"
  events_role        = "arn:${local.partition}:iam::${var.account_id}:role/${var.events_role_name}"
  alert_role         = "arn:${local.partition}:iam::${var.account_id}:role/${var.alert_lambda_role_name}"
  workload_role_arns = [local.sagemaker_role, local.lambda_role, local.events_role, local.alert_role]
  workload_alias_arn = "arn:${local.partition}:kms:${var.region}:${var.account_id}:${var.workload_kms_alias}"
  topic_arns = [
    "arn:${local.partition}:sns:${var.region}:${var.account_id}:${var.alert_topic_name}",
    "arn:${local.partition}:sns:${var.region}:${var.account_id}:${var.alert_topic_name}:*",
  ]
  function_arns = [for name in [var.latest_model_function_name, var.alert_function_name] :
    "arn:${local.partition}:lambda:${var.region}:${var.account_id}:function:${name}"
  ]
  rule_arns      = "arn:${local.partition}:events:${var.region}:${var.account_id}:rule/${var.rule_name_prefix}-*"
  log_groups_arn = "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:*"
  managed_log_group_arns = flatten([
    for name in var.managed_log_group_names : [
      "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${name}",
      "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${name}:*",
    ]
  ])
  jenkins_log_streams_arn = "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${var.log_group_name}:log-stream:*"
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "JenkinsAssumesTheRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = [var.jenkins_principal_arn]
    }

    dynamic "condition" {
      for_each = var.jenkins_external_id == null ? [] : [var.jenkins_external_id]
      content {
        test     = "StringEquals"
        variable = "sts:ExternalId"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "jenkins" {
  name                 = var.role_name
  description          = "Assumed by Jenkins in the tooling account to deploy the ${var.environment} account."
  max_session_duration = 3600
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  tags                 = var.tags
}

data "aws_iam_policy_document" "deploy" {
  #checkov:skip=CKV_AWS_356:kms:ListAliases has no resource type; every other statement names its resources
  statement {
    sid       = "TerraformStateList"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.state_bucket_arn]
  }

  statement {
    # The state and its lock file (use_lockfile: <key>.tflock).
    sid       = "TerraformStateAndLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = local.state_object_arns
  }

  statement {
    sid = "ManageDataBucket"
    actions = [
      "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucket*", "s3:PutBucket*",
      "s3:DeleteBucketPolicy", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
      "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:GetAccelerateConfiguration",
      "s3:GetReplicationConfiguration",
    ]
    resources = [local.data_bucket_arn]
  }

  statement {
    # run-pipeline uploads the processing scripts (content-addressed) before upserting the pipelines.
    sid       = "UploadPipelineCode"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.code_objects_arn]
  }

  statement {
    # Only the key of this state, by ARN: creating keys or tagging any other key takes a person.
    sid = "ManageWorkloadKey"
    actions = [
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
      "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion",
      "kms:TagResource", "kms:UntagResource", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias",
      # Lambda and CloudWatch Logs check that the caller may use the key it attaches; code uploads and
      # failure alerts encrypt with it.
      "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant",
    ]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "ManageWorkloadKeyAlias"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = [local.workload_alias_arn]
  }

  statement {
    sid = "ReadAndRemoveWorkloadRoles"
    actions = [
      "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:TagRole",
      "iam:UntagRole", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    ]
    resources = local.workload_role_arns
  }

  statement {
    # What a workload role may do, and who may assume it, changes only under the boundary.
    sid       = "CreateAndEditWorkloadRolesUnderTheBoundary"
    actions   = ["iam:CreateRole", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"]
    resources = local.workload_role_arns

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [var.permissions_boundary_arn]
    }
  }

  statement {
    sid       = "ReadTheBoundary"
    actions   = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"]
    resources = [var.permissions_boundary_arn]
  }

  statement {
    # Explicit, so that no later allow (here or in another policy of the role) can lift the boundary.
    sid    = "DenyRemovingOrChangingTheBoundary"
    effect = "Deny"
    actions = [
      "iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary", "iam:CreatePolicyVersion",
      "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy",
    ]
    resources = concat(local.workload_role_arns, [local.own_role_arn, var.permissions_boundary_arn])
  }

  statement {
    sid       = "ReadOwnRole"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"]
    resources = [local.own_role_arn]
  }

  dynamic "statement" {
    # Each workload role may be passed only to the service that assumes it.
    for_each = {
      PassExecutionRoleToSageMaker = { roles = [local.sagemaker_role], service = "sagemaker.amazonaws.com" }
      PassFunctionRoleToLambda     = { roles = [local.lambda_role, local.alert_role], service = "lambda.amazonaws.com" }
      PassEventsRoleToEventBridge  = { roles = [local.events_role], service = "events.amazonaws.com" }
    }
    content {
      sid       = statement.key
      actions   = ["iam:PassRole"]
      resources = statement.value.roles

      condition {
        test     = "StringEquals"
        variable = "iam:PassedToService"
        values   = [statement.value.service]
      }
    }
  }

  statement {
    sid = "ManageAlertTopic"
    actions = [
      "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
      "sns:ListTagsForResource", "sns:TagResource", "sns:UntagResource", "sns:Subscribe", "sns:Unsubscribe",
      "sns:ListSubscriptionsByTopic", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
      # The Jenkinsfile's post-failure notification (scripts/notify-failure.sh) publishes here.
      "sns:Publish",
    ]
    resources = local.topic_arns
  }

  statement {
    sid = "ManagePipelineRules"
    actions = [
      "events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:EnableRule", "events:DisableRule",
      "events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule", "events:ListTagsForResource",
      "events:TagResource", "events:UntagResource",
    ]
    resources = [local.rule_arns]
  }

  statement {
    sid = "ManageFunctions"
    actions = [
      "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
      "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency",
      "lambda:DeleteFunctionConcurrency", "lambda:GetFunctionConcurrency", "lambda:ListVersionsByFunction",
      "lambda:GetFunctionCodeSigningConfig", "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags",
      # The failure rules' permission to invoke the alert function.
      "lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy",
    ]
    resources = local.function_arns
  }

  statement {
    sid = "ManageLogGroups"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
      "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource",
      "logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:TagLogGroup",
    ]
    resources = local.managed_log_group_arns
  }

  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = [local.log_groups_arn]
  }

  statement {
    sid       = "WriteJenkinsLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.jenkins_log_streams_arn]
  }

  statement {
    sid = "UpsertPipelines"
    actions = [
      "sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:DescribePipeline",
      "sagemaker:AddTags", "sagemaker:ListTags",
    ]
    resources = var.pipeline_arns
  }

  statement {
    # A read-only call without resource types that Terraform's refresh of the alias makes.
    sid       = "ListKeyAliases"
    actions   = ["kms:ListAliases"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "jenkins" {
  name   = "deploy-${var.environment}"
  role   = aws_iam_role.jenkins.id
  policy = data.aws_iam_policy_document.deploy.json
}

# ---------------------------------------------------------------- jenkins-log

resource "aws_cloudwatch_log_group" "jenkins" {
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}
