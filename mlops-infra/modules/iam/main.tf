data "aws_partition" "current" {}

locals {
  partition                 = data.aws_partition.current.partition
  data_objects_arn          = "arn:${local.partition}:s3:::${var.data_bucket_name}/*"
  artifacts_objects_arn     = "arn:${local.partition}:s3:::${var.artifacts_bucket_name}/*"
  own_artifacts_objects_arn = "arn:${local.partition}:s3:::${var.artifacts_bucket_name}/${var.environment}/*"
  # The built-in algorithm and framework images live in AWS-owned accounts of the region.
  region_repositories_arn = "arn:${local.partition}:ecr:${var.region}:*:repository/*"
  sagemaker_log_arns = [
    "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/*",
    "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/*:log-stream:*",
  ]
  lambda_log_streams_arn  = "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${var.lambda_log_group_name}:*"
  data_bucket_arn         = "arn:${local.partition}:s3:::${var.data_bucket_name}"
  artifacts_bucket_arn    = "arn:${local.partition}:s3:::${var.artifacts_bucket_name}"
  sagemaker_arn_prefix    = "arn:${local.partition}:sagemaker:${var.region}:${var.account_id}"
  model_package_group_arn = "arn:${local.partition}:sagemaker:${var.region}:${var.registry_account_id}:model-package-group/${var.model_package_group_name}"
  model_packages_arn      = "arn:${local.partition}:sagemaker:${var.region}:${var.registry_account_id}:model-package/${lower(var.model_package_group_name)}/*"
  # The registry key's id is unknown in this account: match any key of the registry account carrying the alias.
  registry_key_arns          = "arn:${local.partition}:kms:${var.region}:${var.registry_account_id}:key/*"
  sagemaker_execution_role   = "arn:${local.partition}:iam::${var.account_id}:role/${var.sagemaker_execution_role_name}"
  latest_model_function_arn  = "arn:${local.partition}:lambda:${var.region}:${var.account_id}:function:${var.latest_model_function_name}"
  key_cryptography_actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
  pipeline_execution_arns    = [for arn in var.pipeline_arns : "${arn}/execution/*"]
  sagemaker_job_resource_arn = [for kind in ["processing-job", "training-job", "transform-job", "hyper-parameter-tuning-job", "model"] : "${local.sagemaker_arn_prefix}:${kind}/*"]
  # Secrets Manager appends '-' and six random characters to a secret's name in its ARN.
  warehouse_secret_arns = var.warehouse_secret_name == null ? [] : ["arn:${local.partition}:secretsmanager:${var.region}:${var.account_id}:secret:${var.warehouse_secret_name}-??????"]
}

# ---------------------------------------------------------------- permissions boundary

# The most any workload role may do, whatever its inline policy says: the services and resources the
# workload uses, nothing of IAM but passing roles to SageMaker, and no approval of model versions. Jenkins
# may create or edit a workload role only with this boundary and cannot change it.
data "aws_iam_policy_document" "boundary" {
  #checkov:skip=CKV_AWS_356:ecr:GetAuthorizationToken, cloudwatch:PutMetricData, sagemaker:ListModelPackages and the X-Ray writes have no resource types; every other statement names its resources
  statement {
    sid = "SageMakerInThisAccountAndTheRegistry"
    actions = [
      "sagemaker:AddTags", "sagemaker:ListTags", "sagemaker:CreateModel", "sagemaker:DescribeModel",
      "sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob",
      "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
      "sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob",
      "sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
      "sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
      "sagemaker:DescribePipeline", "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps",
      "sagemaker:StartPipelineExecution", "sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage",
      "sagemaker:DescribeModelPackageGroup",
    ]
    resources = [
      "${local.sagemaker_arn_prefix}:*",
      "arn:${local.partition}:sagemaker:${var.region}:${var.registry_account_id}:*",
    ]
  }

  statement {
    # Endpoints are deployed and the multi-model ones refreshed by workload roles (modules/serving).
    sid = "ServeEndpointsInThisAccount"
    actions = [
      "sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeEndpoint",
      "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint",
    ]
    resources = ["${local.sagemaker_arn_prefix}:endpoint-config/*", "${local.sagemaker_arn_prefix}:endpoint/*"]
  }

  statement {
    # A rejected version is removed from the multi-model endpoints' models prefix.
    sid       = "RemoveServedModels"
    actions   = ["s3:DeleteObject"]
    resources = [local.data_objects_arn]
  }

  statement {
    sid       = "DataAndArtifactBuckets"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.data_bucket_arn, local.data_objects_arn, local.artifacts_bucket_arn, local.artifacts_objects_arn]
  }

  dynamic "statement" {
    # The endpoints of the second region download the served versions from the artifacts' replica there.
    for_each = var.artifacts_replica == null ? [] : [var.artifacts_replica]
    content {
      sid       = "ReadTheArtifactsReplica"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${statement.value.bucket_name}/*"]
    }
  }

  dynamic "statement" {
    for_each = var.artifacts_replica == null ? [] : [var.artifacts_replica]
    content {
      sid       = "DecryptTheArtifactsReplica"
      actions   = ["kms:Decrypt", "kms:DescribeKey"]
      resources = ["arn:${local.partition}:kms:${statement.value.region}:${var.registry_account_id}:key/*"]
    }
  }

  statement {
    sid     = "KeysOfThisAccountAndTheRegistry"
    actions = concat(local.key_cryptography_actions, ["kms:CreateGrant"])
    resources = [
      "arn:${local.partition}:kms:${var.region}:${var.account_id}:key/*",
      local.registry_key_arns,
    ]
  }

  statement {
    sid       = "LogsOfThisAccount"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:*"]
  }

  statement {
    sid       = "PublishAndInvokeInThisAccount"
    actions   = ["sns:Publish", "lambda:InvokeFunction"]
    resources = ["arn:${local.partition}:sns:${var.region}:${var.account_id}:*", "arn:${local.partition}:lambda:${var.region}:${var.account_id}:function:*"]
  }

  statement {
    sid       = "PullAwsImages"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [local.region_repositories_arn]
  }

  dynamic "statement" {
    for_each = length(local.warehouse_secret_arns) > 0 ? [1] : []
    content {
      sid       = "ReadTheWarehouseSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = local.warehouse_secret_arns
    }
  }

  statement {
    sid       = "PassRolesToSageMakerOnly"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${var.account_id}:role/*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  statement {
    sid = "ActionsWithoutResourceTypes"
    actions = [
      "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "sagemaker:ListModelPackages", "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  #checkov:skip=CKV_AWS_355:its Resource "*" statement lists only actions without resource types (ECR token, metrics, ListModelPackages, X-Ray)
  name        = var.permissions_boundary_name
  description = "Permissions boundary of the ${var.environment} workload roles."
  policy      = data.aws_iam_policy_document.boundary.json
  tags        = var.tags
}

# ---------------------------------------------------------------- SageMaker execution role

data "aws_iam_policy_document" "sagemaker_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }

    # Only SageMaker acting for this account's own jobs and pipelines (no confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["${local.sagemaker_arn_prefix}:*"]
    }
  }
}

resource "aws_iam_role" "sagemaker_execution" {
  name                 = var.sagemaker_execution_role_name
  description          = "Runs the ${var.environment} SageMaker pipelines and their jobs."
  assume_role_policy   = data.aws_iam_policy_document.sagemaker_trust.json
  permissions_boundary = aws_iam_policy.boundary.arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "sagemaker_execution" {
  dynamic "statement" {
    for_each = length(local.warehouse_secret_arns) > 0 ? [1] : []
    content {
      sid       = "ReadTheWarehouseSecretOnly"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = local.warehouse_secret_arns
    }
  }

  statement {
    sid = "RunPipelineJobsInThisAccount"
    actions = [
      "sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob", "sagemaker:CreateTransformJob",
      "sagemaker:CreateModel", "sagemaker:DescribeProcessingJob", "sagemaker:DescribeTrainingJob",
      "sagemaker:DescribeTransformJob", "sagemaker:DescribeModel", "sagemaker:StopProcessingJob",
      "sagemaker:StopTrainingJob", "sagemaker:StopTransformJob", "sagemaker:AddTags", "sagemaker:ListTags",
      # The tuning step (workload.pipeline.tuning); a warm start reads its parent job.
      "sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
      "sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
    ]
    resources = local.sagemaker_job_resource_arn
  }

  statement {
    sid       = "ReadOwnPipelines"
    actions   = ["sagemaker:DescribePipeline", "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps"]
    resources = concat(var.pipeline_arns, local.pipeline_execution_arns)
  }

  statement {
    sid       = "RegisterModelsInTheCentralGroup"
    actions   = ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
    resources = [local.model_package_group_arn, local.model_packages_arn]
  }

  statement {
    sid       = "ListDataAndArtifactsBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.data_bucket_arn, local.artifacts_bucket_arn]
  }

  statement {
    sid       = "ReadWriteData"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [local.data_objects_arn]
  }

  statement {
    # Any account's versions may be served (a later environment serves models trained in an earlier one).
    sid       = "ReadCentralArtifacts"
    actions   = ["s3:GetObject"]
    resources = [local.artifacts_objects_arn]
  }

  statement {
    sid       = "WriteOwnCentralArtifacts"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [local.own_artifacts_objects_arn]
  }

  statement {
    sid       = "UseWorkloadKey"
    actions   = local.key_cryptography_actions
    resources = [var.workload_kms_key_arn]
  }

  statement {
    # Jobs encrypt their ML storage volumes with the workload key (VolumeKmsKeyId): SageMaker needs a grant.
    sid       = "GrantWorkloadKeyToSageMakerVolumes"
    actions   = ["kms:CreateGrant"]
    resources = [var.workload_kms_key_arn]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  statement {
    sid       = "UseRegistryKeyByAlias"
    actions   = local.key_cryptography_actions
    resources = [local.registry_key_arns]

    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "kms:ResourceAliases"
      values   = [var.registry_kms_alias]
    }
  }

  statement {
    # The built-in algorithm and framework images live in AWS-owned accounts of the region.
    sid       = "PullAwsAlgorithmImages"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [local.region_repositories_arn]
  }

  statement {
    sid       = "GetEcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "WriteJobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = local.sagemaker_log_arns
  }

  statement {
    sid       = "PublishJobMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/*", "aws/sagemaker/*"]
    }
  }

  statement {
    sid       = "PassThisRoleToSageMakerOnly"
    actions   = ["iam:PassRole"]
    resources = [local.sagemaker_execution_role]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  statement {
    sid       = "InvokeLatestModelFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.latest_model_function_arn]
  }
}

resource "aws_iam_role_policy" "sagemaker_execution" {
  name   = "pipeline-jobs"
  role   = aws_iam_role.sagemaker_execution.id
  policy = data.aws_iam_policy_document.sagemaker_execution.json
}

# ---------------------------------------------------------------- latest-approved-model Lambda role

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name                 = var.lambda_role_name
  description          = "Lets the latest-approved-model function read the central model package group."
  assume_role_policy   = data.aws_iam_policy_document.lambda_trust.json
  permissions_boundary = aws_iam_policy.boundary.arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "lambda" {
  #checkov:skip=CKV_AWS_356:sagemaker:ListModelPackages and the X-Ray write actions have no resource types
  statement {
    sid       = "DescribeCentralModelPackages"
    actions   = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
    resources = [local.model_package_group_arn, local.model_packages_arn]
  }

  statement {
    # ListModelPackages has no resource type; the group's resource policy limits what it returns.
    sid       = "ListModelPackages"
    actions   = ["sagemaker:ListModelPackages"]
    resources = ["*"]
  }

  statement {
    sid       = "WriteFunctionLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.lambda_log_streams_arn]
  }

  statement {
    sid       = "DecryptEnvironmentVariables"
    actions   = ["kms:Decrypt"]
    resources = [var.workload_kms_key_arn]
  }

  statement {
    sid       = "UploadTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "lambda" {
  #checkov:skip=CKV_AWS_355:sagemaker:ListModelPackages has no resource type; the group's resource policy limits what it returns
  name   = "read-central-model-registry"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

# ---------------------------------------------------------------- EventBridge role

data "aws_iam_policy_document" "events_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "events" {
  name                 = var.events_role_name
  description          = "Lets EventBridge start the ${var.environment} pipelines, and nothing else."
  assume_role_policy   = data.aws_iam_policy_document.events_trust.json
  permissions_boundary = aws_iam_policy.boundary.arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "StartThePipelines"
    actions   = ["sagemaker:StartPipelineExecution"]
    resources = var.pipeline_arns
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "start-pipelines"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}
