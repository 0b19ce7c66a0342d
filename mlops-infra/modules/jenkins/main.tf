# The role Jenkins (tooling account) assumes to deploy this account: terraform plan/apply of this root
# and the pipeline upsert. Every statement is limited to the resources this root manages, by name or
# ARN; the few actions without resource types are listed apart. The role may read but not change
# itself, so widening Jenkins' own permissions takes a person's apply.

locals {
  state_bucket_arn = "arn:aws:s3:::${var.terraform_state_bucket}"
  data_bucket_arn  = "arn:aws:s3:::${var.data_bucket_name}"
  artifacts_arn    = "arn:aws:s3:::${var.artifacts_bucket_name}"
  own_role_arn     = "arn:aws:iam::${var.account_id}:role/${var.role_name}"
  managed_role_arns = [
    for name in keys(var.managed_roles) : "arn:aws:iam::${var.account_id}:role/${name}"
  ]
  key_arns      = "arn:aws:kms:${var.region}:${var.account_id}:key/*"
  topic_arn     = "arn:aws:sns:${var.region}:${var.account_id}:${var.alert_topic_name}"
  function_arn  = "arn:aws:lambda:${var.region}:${var.account_id}:function:${var.latest_model_function_name}"
  rule_arns     = "arn:aws:events:${var.region}:${var.account_id}:rule/${var.rule_name_prefix}-*"
  log_group_arn = "arn:aws:logs:${var.region}:${var.account_id}:log-group:${var.log_group_name}"
  managed_log_group_arns = flatten([
    for name in var.managed_log_group_names : [
      "arn:aws:logs:${var.region}:${var.account_id}:log-group:${name}",
      "arn:aws:logs:${var.region}:${var.account_id}:log-group:${name}:*",
    ]
  ])
  project_tag = { "aws:ResourceTag/Project" = var.project_name }

  statements = concat(
    [
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
        Resource = ["${local.state_bucket_arn}/${var.state_key}", "${local.state_bucket_arn}/${var.state_key}.tflock"]
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
        # run-pipeline uploads the processing scripts before upserting the pipelines.
        Sid      = "UploadPipelineCode"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["${local.data_bucket_arn}/*", "${local.artifacts_arn}/${var.environment}/*"]
      },
      {
        Sid      = "ListCentralArtifacts"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = local.artifacts_arn
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
          # Lambda and CloudWatch Logs check the caller may use the key when it is attached.
          "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant",
        ]
        Resource  = local.key_arns
        Condition = { StringEquals = local.project_tag }
      },
      {
        Sid      = "ManageWorkloadKeyAlias"
        Effect   = "Allow"
        Action   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
        Resource = "arn:aws:kms:${var.region}:${var.account_id}:${var.workload_kms_alias}"
      },
      {
        Sid       = "WriteWithRegistryKey"
        Effect    = "Allow"
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "arn:aws:kms:${var.region}:${var.registry_account_id}:key/*"
        Condition = { "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = var.registry_kms_alias } }
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
        Resource = local.managed_role_arns
      },
      {
        Sid      = "ReadOwnRole"
        Effect   = "Allow"
        Action   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"]
        Resource = local.own_role_arn
      },
    ],
    [
      for name, service in var.managed_roles : {
        Sid       = "Pass${replace(title(replace(name, "/[^a-zA-Z0-9]+/", " ")), " ", "")}To${title(split(".", service)[0])}"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = "arn:aws:iam::${var.account_id}:role/${name}"
        Condition = { StringEquals = { "iam:PassedToService" = service } }
      }
    ],
    [
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
        Resource = [local.topic_arn, "${local.topic_arn}:*"]
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
        ]
        Resource = local.function_arn
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
        Resource = "arn:aws:logs:${var.region}:${var.account_id}:log-group:*"
      },
      {
        Sid      = "WriteJenkinsLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${local.log_group_arn}:log-stream:*"
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
        # Read-only calls without resource types that Terraform's refresh makes.
        Sid      = "ListCallsWithoutResourceTypes"
        Effect   = "Allow"
        Action   = ["kms:ListAliases"]
        Resource = "*"
      },
    ],
  )
}

resource "aws_iam_role" "jenkins" {
  name                 = var.role_name
  description          = "Assumed by Jenkins in the tooling account to deploy the ${var.environment} account."
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${var.tooling_account_id}:root" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "jenkins" {
  #checkov:skip=CKV_AWS_355:kms:CreateKey and kms:ListAliases have no resource types; CreateKey is limited to keys tagged with the project
  #checkov:skip=CKV_AWS_290:the only unscoped write is kms:CreateKey, limited by the aws:RequestTag/Project condition
  #checkov:skip=CKV_AWS_289:permission management is limited to the roles, key and topic of this root by ARN; the role cannot change itself
  #checkov:skip=CKV_AWS_286:privilege escalation is bounded: PassRole is per role and service, and the role cannot edit its own policy
  #checkov:skip=CKV_AWS_287:credentials exposure is not granted: no IAM user, access key or secret actions
  #checkov:skip=CKV_AWS_288:data exfiltration is bounded: object reads are limited to this account's state, data bucket and its own artifacts prefix
  name   = "deploy-${var.environment}"
  role   = aws_iam_role.jenkins.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.statements })
}

# ---------------------------------------------------------------- jenkins-log

resource "aws_cloudwatch_log_group" "jenkins" {
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}
