# The role Jenkins (tooling account) assumes to deploy this account: terraform plan/apply of this root
# and the pipeline upsert. Every statement is limited to the resources this root manages, by name or
# ARN; the few actions without resource types are listed apart. The role may read but not change
# itself, every role it creates or edits carries the workload permissions boundary, which it can neither
# remove nor change, and it manages only the key of this state: widening Jenkins' own permissions, or
# those of a role it can pass or assume, takes a person's apply.

data "aws_partition" "current" {}

locals {
  partition         = data.aws_partition.current.partition
  state_bucket_arn  = "arn:${local.partition}:s3:::${var.terraform_state_bucket}"
  state_object_arns = ["arn:${local.partition}:s3:::${var.terraform_state_bucket}/${var.state_key}", "arn:${local.partition}:s3:::${var.terraform_state_bucket}/${var.state_key}.tflock"]
  data_bucket_arn   = "arn:${local.partition}:s3:::${var.data_bucket_name}"
  code_objects_arn  = "arn:${local.partition}:s3:::${var.data_bucket_name}/code/*"
  own_role_arn      = "arn:${local.partition}:iam::${var.account_id}:role/${var.role_name}"
  sagemaker_role    = "arn:${local.partition}:iam::${var.account_id}:role/${var.sagemaker_execution_role_name}"
  lambda_role       = "arn:${local.partition}:iam::${var.account_id}:role/${var.lambda_role_name}"
  events_role       = "arn:${local.partition}:iam::${var.account_id}:role/${var.events_role_name}"
  alert_role        = "arn:${local.partition}:iam::${var.account_id}:role/${var.alert_lambda_role_name}"
  # workload.serving: the endpoints' execution role, and the refresh function's role and function only with a
  # multi-model endpoint (as the serving module creates them).
  serving         = var.serving
  serving_enabled = local.serving != null
  refresh_enabled = local.serving_enabled ? length(local.serving.multi_model_endpoint_names) > 0 : false
  endpoint_role   = local.serving_enabled ? "arn:${local.partition}:iam::${var.account_id}:role/${local.serving.execution_role_name}" : null
  refresh_role    = local.refresh_enabled ? "arn:${local.partition}:iam::${var.account_id}:role/${local.serving.refresh_role_name}" : null
  workload_role_arns = compact([
    local.sagemaker_role, local.lambda_role, local.events_role, local.alert_role, local.endpoint_role, local.refresh_role,
  ])
  workload_alias_arn = "arn:${local.partition}:kms:${var.region}:${var.account_id}:${var.workload_kms_alias}"
  topic_arns = [
    "arn:${local.partition}:sns:${var.region}:${var.account_id}:${var.alert_topic_name}",
    "arn:${local.partition}:sns:${var.region}:${var.account_id}:${var.alert_topic_name}:*",
  ]
  function_arns = [for name in compact([var.latest_model_function_name, var.alert_function_name, local.refresh_enabled ? local.serving.refresh_function_name : null]) :
    "arn:${local.partition}:lambda:${var.region}:${var.account_id}:function:${name}"
  ]
  rule_arns = "arn:${local.partition}:events:${var.region}:${var.account_id}:rule/${var.rule_name_prefix}-*"
  managed_log_group_arns = flatten([
    for name in var.managed_log_group_names : [
      "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${name}",
      "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${name}:*",
    ]
  ])
  sagemaker_arn_prefix = "arn:${local.partition}:sagemaker:${var.region}:${var.account_id}"
  endpoint_names       = local.serving_enabled ? [for name in local.serving.endpoint_names : lower(name)] : []
  # SageMaker reports ARNs in lower case. deploy-endpoint names models and configs <endpoint>-...-<digest>,
  # the endpoint name cut to 50 characters when longer (pipelines/endpoints/hosting.py content_name).
  endpoint_arns          = [for name in local.endpoint_names : "${local.sagemaker_arn_prefix}:endpoint/${name}"]
  endpoint_name_prefixes = [for name in local.endpoint_names : length(name) < 50 ? "${name}-" : substr(name, 0, 50)]
  deployed_model_arns = flatten([for prefix in local.endpoint_name_prefixes : [
    "${local.sagemaker_arn_prefix}:model/${prefix}*", "${local.sagemaker_arn_prefix}:endpoint-config/${prefix}*",
  ]])
  alarm_arns = local.serving_enabled ? [for name in local.serving.alarm_names : "arn:${local.partition}:cloudwatch:${var.region}:${var.account_id}:alarm:${name}"] : []
  # Application Auto Scaling's target-tracking alarms, which it creates with the caller's permissions.
  scaling_alarm_arns = [for name in local.serving_enabled ? local.serving.endpoint_names : [] :
    "arn:${local.partition}:cloudwatch:${var.region}:${var.account_id}:alarm:TargetTracking-endpoint/${name}/variant/*"
  ]
  scaling_role_arn     = "arn:${local.partition}:iam::${var.account_id}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
  scalable_targets_arn = "arn:${local.partition}:application-autoscaling:${var.region}:${var.account_id}:scalable-target/*"
  default_bus_arn      = "arn:${local.partition}:events:${var.region}:${var.account_id}:event-bus/default"
  secret_arn           = var.warehouse_secret_name == null ? null : "arn:${local.partition}:secretsmanager:${var.region}:${var.account_id}:secret:${var.warehouse_secret_name}-??????"

  # The registry account's group and artifacts, which the endpoint stages read.
  model_package_group_arn = local.serving_enabled ? "arn:${local.partition}:sagemaker:${var.region}:${local.serving.registry_account_id}:model-package-group/${local.serving.model_package_group_name}" : null
  model_packages_arn      = local.serving_enabled ? "arn:${local.partition}:sagemaker:${var.region}:${local.serving.registry_account_id}:model-package/${lower(local.serving.model_package_group_name)}/*" : null
  artifacts_objects_arn   = local.serving_enabled ? "arn:${local.partition}:s3:::${local.serving.artifacts_bucket_name}/*" : null
  registry_key_arns       = local.serving_enabled ? "arn:${local.partition}:kms:${var.region}:${local.serving.registry_account_id}:key/*" : null
  served_models_arn       = local.refresh_enabled ? "${local.data_bucket_arn}/${local.serving.models_prefix}/*" : null
  # The endpoints served in the second region (secondary_serving), named there as in the primary region; the
  # replica check reads the primary artifact's and its replica's metadata.
  secondary_enabled        = local.serving_enabled && var.secondary_serving != null
  secondary_arn_prefix     = local.secondary_enabled ? "arn:${local.partition}:sagemaker:${var.secondary_serving.region}:${var.account_id}" : null
  secondary_endpoint_names = local.secondary_enabled ? [for name in var.secondary_serving.endpoint_names : lower(name)] : []
  secondary_endpoint_arns  = [for name in local.secondary_endpoint_names : "${local.secondary_arn_prefix}:endpoint/${name}"]
  secondary_deployed_model_arns = flatten([for name in local.secondary_endpoint_names : [
    for prefix in [length(name) < 50 ? "${name}-" : substr(name, 0, 50)] : [
      "${local.secondary_arn_prefix}:model/${prefix}*", "${local.secondary_arn_prefix}:endpoint-config/${prefix}*",
    ]
  ]])
  replica_bucket_arn = local.secondary_enabled ? "arn:${local.partition}:s3:::${var.secondary_serving.replica_artifacts_bucket_name}" : null
  # What Terraform manages around them in that region: its key (under the workload alias), alert topic, alarms and
  # failure rule.
  secondary_region     = local.secondary_enabled ? var.secondary_serving.region : null
  secondary_alias_arn  = local.secondary_enabled ? "arn:${local.partition}:kms:${local.secondary_region}:${var.account_id}:${var.workload_kms_alias}" : null
  secondary_topic_arns = [for arn in local.topic_arns : replace(arn, ":${var.region}:", ":${local.secondary_region}:") if local.secondary_enabled]
  secondary_rule_arns  = local.secondary_enabled ? "arn:${local.partition}:events:${local.secondary_region}:${var.account_id}:rule/${var.rule_name_prefix}-*" : null
  secondary_alarm_arns = [for name in local.secondary_enabled ? var.secondary_serving.alarm_names : [] : "arn:${local.partition}:cloudwatch:${local.secondary_region}:${var.account_id}:alarm:${name}"]
  alarm_regions        = compact([var.region, local.secondary_region])
  # Jenkins' own managed policies (below): it reads them, and only a person's apply changes them.
  endpoint_policy_arns = [for name in local.serving_enabled ? ["apply-endpoints", "serve-endpoints"] : [] :
    "arn:${local.partition}:iam::${var.account_id}:policy/${var.role_name}-${name}"
  ]

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
  #checkov:skip=CKV_AWS_356:kms:ListAliases and logs:DescribeLogGroups have no resource type; every other statement names its resources
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
    # Only the key of this state, by ARN: creating keys or tagging any other key takes a person, and so does
    # changing its key policy (with it the role could hand the key, and the data under it, to anyone).
    sid = "ManageWorkloadKey"
    actions = [
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
      "kms:EnableKeyRotation", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion",
      "kms:TagResource", "kms:UntagResource", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias",
      # Lambda and CloudWatch Logs check that the caller may use the key it attaches; code uploads and
      # failure alerts encrypt with it.
      "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*",
    ]
    resources = [var.kms_key_arn]
  }

  statement {
    # A function encrypting its environment with the key: Lambda grants its role the key with the caller's
    # permission. Only grants an AWS service makes, never one the role could hand to anyone.
    sid       = "GrantWorkloadKeyToLambda"
    actions   = ["kms:CreateGrant"]
    resources = [var.kms_key_arn]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
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
    # And the role's own endpoint-stage policy, which only a person's apply changes.
    sid       = "ReadTheBoundaryAndOwnPolicy"
    actions   = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"]
    resources = concat([var.permissions_boundary_arn], local.endpoint_policy_arns)
  }

  statement {
    # Explicit, so that no later allow (here or in another policy of the role) can lift the boundary.
    sid    = "DenyRemovingOrChangingTheBoundary"
    effect = "Deny"
    actions = [
      "iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary", "iam:CreatePolicyVersion",
      "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy",
    ]
    resources = concat(local.workload_role_arns, [local.own_role_arn, var.permissions_boundary_arn], local.endpoint_policy_arns)
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
      PassFunctionRoleToLambda     = { roles = compact([local.lambda_role, local.alert_role, local.refresh_role]), service = "lambda.amazonaws.com" }
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
    # Terraform reads a log group by listing with its name as prefix; the action has no resource type.
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
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

  dynamic "statement" {
    for_each = local.secret_arn == null ? [] : [local.secret_arn]
    content {
      # The secret and its resource policy; never its value, which the warehouse's owner puts.
      sid = "ManageWarehouseSecret"
      actions = [
        "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
        "secretsmanager:UpdateSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource",
        "secretsmanager:GetResourcePolicy", "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy",
      ]
      resources = [statement.value]
    }
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

# ---------------------------------------------------------------- endpoints (workload.serving)

# What Terraform needs for the endpoints' surroundings (module serving): their rollback alarms, the scaling of
# their variants and the registry's permission on the default bus. Managed, as the endpoint stages' policy below.
data "aws_iam_policy_document" "apply_endpoints" {
  count = local.serving_enabled ? 1 : 0
  #checkov:skip=CKV_AWS_356:the scalable targets' Describe calls have no resource types; every other statement names its resources

  statement {
    # The endpoints' two rollback alarms each, by name.
    sid = "ManageEndpointAlarms"
    actions = [
      "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource",
    ]
    resources = local.alarm_arns
  }

  statement {
    # A target-tracking policy's alarms are created and deleted with the caller's permissions.
    sid       = "ManageEndpointScalingAlarms"
    actions   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"]
    resources = local.scaling_alarm_arns
  }

  statement {
    # Terraform reads an alarm with DescribeAlarms by name, which is authorized on the region's alarms (read only).
    sid       = "ReadAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = [for region in local.alarm_regions : "arn:${local.partition}:cloudwatch:${region}:${var.account_id}:alarm:*"]
  }

  dynamic "statement" {
    for_each = local.secondary_enabled ? [local.secondary_region] : []
    content {
      sid = "ManageSecondaryRegionEndpointAlarms"
      actions = [
        "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:ListTagsForResource",
        "cloudwatch:TagResource", "cloudwatch:UntagResource",
      ]
      resources = local.secondary_alarm_arns
    }
  }

  dynamic "statement" {
    for_each = local.secondary_enabled ? [var.secondary_serving.kms_key_arn] : []
    content {
      # The second region's key only, by ARN, as the workload key (no key creation and no key policy change: the
      # key and its policy were made by a person's first apply); EventBridge and the alarms encrypt the region's
      # topic with it.
      sid = "ManageSecondaryRegionKey"
      actions = [
        "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
        "kms:EnableKeyRotation", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion",
        "kms:TagResource", "kms:UntagResource", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias",
      ]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.secondary_enabled ? [local.secondary_alias_arn] : []
    content {
      sid       = "ManageSecondaryRegionKeyAlias"
      actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.secondary_enabled ? [local.secondary_region] : []
    content {
      sid = "ManageSecondaryRegionAlertTopic"
      actions = [
        "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
        "sns:ListTagsForResource", "sns:TagResource", "sns:UntagResource", "sns:Subscribe", "sns:Unsubscribe",
        "sns:ListSubscriptionsByTopic", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
      ]
      resources = local.secondary_topic_arns
    }
  }

  dynamic "statement" {
    for_each = local.secondary_enabled ? [local.secondary_rule_arns] : []
    content {
      # The region's failed-endpoint rule, which alerts its topic.
      sid = "ManageSecondaryRegionRules"
      actions = [
        "events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:EnableRule", "events:DisableRule",
        "events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule", "events:ListTagsForResource",
        "events:TagResource", "events:UntagResource",
      ]
      resources = [statement.value]
    }
  }

  statement {
    # Scalable target ARNs carry a generated id, not the endpoint: limited to SageMaker variants instead.
    sid = "ScaleEndpointVariants"
    actions = [
      "application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget",
      "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
    ]
    resources = [local.scalable_targets_arn]

    condition {
      test     = "StringEquals"
      variable = "application-autoscaling:service-namespace"
      values   = ["sagemaker"]
    }

    condition {
      test     = "StringEquals"
      variable = "application-autoscaling:scalable-dimension"
      values   = ["sagemaker:variant:DesiredInstanceCount"]
    }
  }

  statement {
    sid       = "TagScalableTargets"
    actions   = ["application-autoscaling:TagResource", "application-autoscaling:UntagResource", "application-autoscaling:ListTagsForResource"]
    resources = [local.scalable_targets_arn]
  }

  statement {
    # Registering a variant checks that the caller could change its capacity itself.
    sid       = "RegisterEndpointVariants"
    actions   = ["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"]
    resources = local.endpoint_arns
  }

  statement {
    # The first registered variant creates Application Auto Scaling's SageMaker service-linked role.
    sid       = "CreateTheScalingServiceLinkedRole"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = [local.scaling_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["sagemaker.application-autoscaling.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = local.refresh_enabled ? [local.default_bus_arn] : []
    content {
      # The registry account's forwarding rule puts its group's state changes on this account's default bus.
      sid       = "LetTheRegistryPutEvents"
      actions   = ["events:PutPermission", "events:RemovePermission", "events:DescribeEventBus"]
      resources = [statement.value]
    }
  }

  statement {
    # Read-only calls without resource types that Terraform's refresh of the scalable targets makes.
    sid       = "DescribeScalableTargets"
    actions   = ["application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies"]
    resources = ["*"]
  }
}


# What 'Deploy endpoints' and 'Smoke test' do (deploy-endpoint, invoke-endpoint): read the registry group, create
# models and configs named after the configured endpoints, switch the endpoints, copy Approved versions under the
# models prefix and invoke; with secondary_serving, the same in the second region from the artifacts' replica (the
# endpoint role is global: the one PassRole covers both regions). Managed policies: IAM caps a role's inline
# policies at 10,240 characters in all. Approving versions (sagemaker:UpdateModelPackage) stays with the registry's
# approver role.
data "aws_iam_policy_document" "serve" {
  count = local.serving_enabled ? 1 : 0
  #checkov:skip=CKV_AWS_356:sagemaker:ListModelPackages has no resource type; the registry group's policy limits what it returns

  statement {
    sid       = "ReadTheRegistryGroup"
    actions   = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
    resources = [local.model_package_group_arn, local.model_packages_arn]
  }

  statement {
    sid       = "ListModelPackages"
    actions   = ["sagemaker:ListModelPackages"]
    resources = ["*"]
  }

  statement {
    sid = "DeployTheEndpoints"
    actions = [
      "sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:CreateEndpointConfig",
      "sagemaker:DescribeEndpointConfig", "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint",
      "sagemaker:DescribeEndpoint", "sagemaker:AddTags", "sagemaker:ListTags",
    ]
    resources = concat(local.deployed_model_arns, local.endpoint_arns)
  }

  statement {
    sid       = "SmokeTestTheEndpoints"
    actions   = ["sagemaker:InvokeEndpoint"]
    resources = local.endpoint_arns
  }

  statement {
    sid       = "PassTheEndpointRoleToSageMaker"
    actions   = ["iam:PassRole"]
    resources = [local.endpoint_role]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = local.secondary_enabled ? [var.secondary_serving.region] : []
    content {
      # deploy-endpoint --region secondary, in that region: the same calls on the endpoints served there.
      sid = "DeployTheEndpointsInTheSecondaryRegion"
      actions = [
        "sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:CreateEndpointConfig",
        "sagemaker:DescribeEndpointConfig", "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint",
        "sagemaker:DescribeEndpoint", "sagemaker:AddTags", "sagemaker:ListTags",
      ]
      resources = concat(local.secondary_deployed_model_arns, local.secondary_endpoint_arns)
    }
  }

  dynamic "statement" {
    for_each = local.secondary_enabled ? [var.secondary_serving.region] : []
    content {
      sid       = "SmokeTestTheEndpointsInTheSecondaryRegion"
      actions   = ["sagemaker:InvokeEndpoint"]
      resources = local.secondary_endpoint_arns
    }
  }

  dynamic "statement" {
    for_each = local.secondary_enabled ? [local.replica_bucket_arn] : []
    content {
      # HeadObject of the primary artifact and of its replica (their replication status and version ids); reading
      # metadata decrypts nothing, so no key. The replica's bucket listing makes a missing replica a 404, not a 403.
      sid       = "CheckTheArtifactReplicaIsCurrent"
      actions   = ["s3:GetObject"]
      resources = [local.artifacts_objects_arn, "${statement.value}/*"]
    }
  }

  dynamic "statement" {
    for_each = local.secondary_enabled ? [local.replica_bucket_arn] : []
    content {
      sid       = "FindMissingArtifactReplicas"
      actions   = ["s3:ListBucket"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.refresh_enabled ? [local.artifacts_objects_arn] : []
    content {
      # Multi-model deploys copy Approved versions from the central bucket.
      sid       = "ReadCentralArtifacts"
      actions   = ["s3:GetObject"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.refresh_enabled ? [local.registry_key_arns] : []
    content {
      sid       = "DecryptCentralArtifactsWithTheRegistryKeyByAlias"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "ForAnyValue:StringEquals"
        variable = "kms:ResourceAliases"
        values   = [local.serving.registry_kms_alias]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${var.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.refresh_enabled ? [local.served_models_arn] : []
    content {
      # ... into the models prefix, encrypted with the workload key (ManageWorkloadKey); rejected ones removed.
      sid       = "WriteServedModels"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_policy" "apply_endpoints" {
  count = local.serving_enabled ? 1 : 0

  name        = "${var.role_name}-apply-endpoints"
  description = "Lets Jenkins apply the ${var.environment} endpoints' alarms, scaling and event bus permission."
  policy      = data.aws_iam_policy_document.apply_endpoints[0].json
  tags        = var.tags
}

resource "aws_iam_policy" "serve_endpoints" {
  #checkov:skip=CKV_AWS_355:its Resource "*" statement lists only sagemaker:ListModelPackages, which has no resource type
  count = local.serving_enabled ? 1 : 0

  name        = "${var.role_name}-serve-endpoints"
  description = "Lets Jenkins deploy and smoke-test the ${var.environment} endpoints."
  policy      = data.aws_iam_policy_document.serve[0].json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "endpoints" {
  for_each = local.serving_enabled ? { apply-endpoints = aws_iam_policy.apply_endpoints[0].arn, serve-endpoints = aws_iam_policy.serve_endpoints[0].arn } : {}

  role       = aws_iam_role.jenkins.name
  policy_arn = each.value
}

# ---------------------------------------------------------------- jenkins-log

resource "aws_cloudwatch_log_group" "jenkins" {
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}
