# The role Jenkins (tooling account) assumes to deploy this account: terraform plan/apply of this root
# and the pipeline upsert. Every statement is limited to the resources this root manages, by name or
# ARN; the few actions without resource types are listed apart. The role may read but not change
# itself, so widening Jenkins' own permissions takes a person's apply.

locals {
  tooling_account_root = "arn:aws:iam::${var.tooling_account_id}:root"
  state_bucket_arn     = "arn:aws:s3:::${var.terraform_state_bucket}"
  state_object_arns    = ["arn:aws:s3:::${var.terraform_state_bucket}/${var.state_key}", "arn:aws:s3:::${var.terraform_state_bucket}/${var.state_key}.tflock"]
  data_bucket_arn      = "arn:aws:s3:::${var.data_bucket_name}"
  code_objects_arn     = "arn:aws:s3:::${var.data_bucket_name}/code/*"
  own_role_arn         = "arn:aws:iam::${var.account_id}:role/${var.role_name}"
  sagemaker_role       = "arn:aws:iam::${var.account_id}:role/${var.sagemaker_execution_role_name}"
  lambda_role          = "arn:aws:iam::${var.account_id}:role/${var.lambda_role_name}"
  events_role          = "arn:aws:iam::${var.account_id}:role/${var.events_role_name}"
  alert_role           = "arn:aws:iam::${var.account_id}:role/${var.alert_lambda_role_name}"
  workload_role_arns   = [local.sagemaker_role, local.lambda_role, local.events_role, local.alert_role]
  key_arns             = "arn:aws:kms:${var.region}:${var.account_id}:key/*"
  workload_alias_arn   = "arn:aws:kms:${var.region}:${var.account_id}:${var.workload_kms_alias}"
  topic_arns = [
    "arn:aws:sns:${var.region}:${var.account_id}:${var.alert_topic_name}",
    "arn:aws:sns:${var.region}:${var.account_id}:${var.alert_topic_name}:*",
  ]
  function_arns = [for name in [var.latest_model_function_name, var.alert_function_name] :
    "arn:aws:lambda:${var.region}:${var.account_id}:function:${name}"
  ]
  rule_arns      = "arn:aws:events:${var.region}:${var.account_id}:rule/${var.rule_name_prefix}-*"
  log_groups_arn = "arn:aws:logs:${var.region}:${var.account_id}:log-group:*"
  managed_log_group_arns = flatten([
    for name in var.managed_log_group_names : [
      "arn:aws:logs:${var.region}:${var.account_id}:log-group:${name}",
      "arn:aws:logs:${var.region}:${var.account_id}:log-group:${name}:*",
    ]
  ])
  jenkins_log_streams_arn = "arn:aws:logs:${var.region}:${var.account_id}:log-group:${var.log_group_name}:log-stream:*"
}

resource "aws_iam_role" "jenkins" {
  name                 = var.role_name
  description          = "Assumed by Jenkins in the tooling account to deploy the ${var.environment} account."
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = local.tooling_account_root }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "jenkins" {
  #checkov:skip=CKV_AWS_355:kms:CreateKey and kms:ListAliases have no resource types; CreateKey is limited to keys tagged with the project
  name = "deploy-${var.environment}"
  role = aws_iam_role.jenkins.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "TerraformStateList"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = local.state_bucket_arn
      },
      {
        # The state and its lock file (use_lockfile: <key>.tflock).
        Sid      = "TerraformStateAndLock"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = local.state_object_arns
      },
      {
        Sid    = "ManageDataBucket"
        Effect = "Allow"
        Action = [
          "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucket*", "s3:PutBucket*",
          "s3:DeleteBucketPolicy", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
          "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:GetAccelerateConfiguration",
          "s3:GetReplicationConfiguration",
        ]
        Resource = local.data_bucket_arn
      },
      {
        # run-pipeline uploads the processing scripts (content-addressed) before upserting the pipelines.
        Sid      = "UploadPipelineCode"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = local.code_objects_arn
      },
      {
        Sid       = "CreateProjectKeys"
        Effect    = "Allow"
        Action    = ["kms:CreateKey", "kms:TagResource"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:RequestTag/Project" = var.project_name } }
      },
      {
        Sid    = "ManageProjectKeys"
        Effect = "Allow"
        Action = [
          "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
          "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion",
          "kms:TagResource", "kms:UntagResource", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias",
          # Lambda and CloudWatch Logs check that the caller may use the key it attaches; code uploads and
          # failure alerts encrypt with it.
          "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant",
        ]
        Resource  = local.key_arns
        Condition = { StringEquals = { "aws:ResourceTag/Project" = var.project_name } }
      },
      {
        Sid      = "ManageWorkloadKeyAlias"
        Effect   = "Allow"
        Action   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
        Resource = local.workload_alias_arn
      },
      {
        Sid    = "ManageWorkloadRoles"
        Effect = "Allow"
        Action = [
          "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
          "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy", "iam:GetRolePolicy",
          "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole",
        ]
        Resource = local.workload_role_arns
      },
      {
        Sid      = "ReadOwnRole"
        Effect   = "Allow"
        Action   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"]
        Resource = local.own_role_arn
      },
      {
        Sid       = "PassExecutionRoleToSageMaker"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = local.sagemaker_role
        Condition = { StringEquals = { "iam:PassedToService" = "sagemaker.amazonaws.com" } }
      },
      {
        Sid       = "PassFunctionRoleToLambda"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = [local.lambda_role, local.alert_role]
        Condition = { StringEquals = { "iam:PassedToService" = "lambda.amazonaws.com" } }
      },
      {
        Sid       = "PassEventsRoleToEventBridge"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = local.events_role
        Condition = { StringEquals = { "iam:PassedToService" = "events.amazonaws.com" } }
      },
      {
        Sid    = "ManageAlertTopic"
        Effect = "Allow"
        Action = [
          "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
          "sns:ListTagsForResource", "sns:TagResource", "sns:UntagResource", "sns:Subscribe", "sns:Unsubscribe",
          "sns:ListSubscriptionsByTopic", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
          # The Jenkinsfile's post-failure notification (scripts/notify-failure.sh) publishes here.
          "sns:Publish",
        ]
        Resource = local.topic_arns
      },
      {
        Sid    = "ManagePipelineRules"
        Effect = "Allow"
        Action = [
          "events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:EnableRule", "events:DisableRule",
          "events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule", "events:ListTagsForResource",
          "events:TagResource", "events:UntagResource",
        ]
        Resource = local.rule_arns
      },
      {
        Sid    = "ManageLatestModelFunction"
        Effect = "Allow"
        Action = [
          "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
          "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency",
          "lambda:DeleteFunctionConcurrency", "lambda:GetFunctionConcurrency", "lambda:ListVersionsByFunction",
          "lambda:GetFunctionCodeSigningConfig", "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags",
          # The failure rules' permission to invoke the alert function.
          "lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy",
        ]
        Resource = local.function_arns
      },
      {
        Sid    = "ManageLogGroups"
        Effect = "Allow"
        Action = [
          "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
          "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource",
          "logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:TagLogGroup",
        ]
        Resource = local.managed_log_group_arns
      },
      {
        Sid      = "FindLogGroups"
        Effect   = "Allow"
        Action   = "logs:DescribeLogGroups"
        Resource = local.log_groups_arn
      },
      {
        Sid      = "WriteJenkinsLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = local.jenkins_log_streams_arn
      },
      {
        Sid    = "UpsertPipelines"
        Effect = "Allow"
        Action = [
          "sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:DescribePipeline",
          "sagemaker:AddTags", "sagemaker:ListTags",
        ]
        Resource = var.pipeline_arns
      },
      {
        # A read-only call without resource types that Terraform's refresh of the alias makes.
        Sid      = "ListKeyAliases"
        Effect   = "Allow"
        Action   = "kms:ListAliases"
        Resource = "*"
      },
    ]
  })
}

# ---------------------------------------------------------------- jenkins-log

resource "aws_cloudwatch_log_group" "jenkins" {
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}
