locals {
  data_objects_arn          = "arn:aws:s3:::${var.data_bucket_name}/*"
  artifacts_objects_arn     = "arn:aws:s3:::${var.artifacts_bucket_name}/*"
  own_artifacts_objects_arn = "arn:aws:s3:::${var.artifacts_bucket_name}/${var.environment}/*"
  # The built-in algorithm and framework images live in AWS-owned accounts of the region.
  region_repositories_arn = "arn:aws:ecr:${var.region}:*:repository/*"
  sagemaker_log_arns = [
    "arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/*",
    "arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/*:log-stream:*",
  ]
  lambda_log_streams_arn  = "arn:aws:logs:${var.region}:${var.account_id}:log-group:${var.lambda_log_group_name}:*"
  data_bucket_arn         = "arn:aws:s3:::${var.data_bucket_name}"
  artifacts_bucket_arn    = "arn:aws:s3:::${var.artifacts_bucket_name}"
  sagemaker_arn_prefix    = "arn:aws:sagemaker:${var.region}:${var.account_id}"
  model_package_group_arn = "arn:aws:sagemaker:${var.region}:${var.registry_account_id}:model-package-group/${var.model_package_group_name}"
  model_packages_arn      = "arn:aws:sagemaker:${var.region}:${var.registry_account_id}:model-package/${lower(var.model_package_group_name)}/*"
  # The registry key's id is unknown in this account: match any key of the registry account carrying the alias.
  registry_key_arns          = "arn:aws:kms:${var.region}:${var.registry_account_id}:key/*"
  sagemaker_execution_role   = "arn:aws:iam::${var.account_id}:role/${var.sagemaker_execution_role_name}"
  latest_model_function_arn  = "arn:aws:lambda:${var.region}:${var.account_id}:function:${var.latest_model_function_name}"
  key_cryptography_actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
  pipeline_execution_arns    = [for arn in var.pipeline_arns : "${arn}/execution/*"]
  sagemaker_job_resource_arn = [for kind in ["processing-job", "training-job", "transform-job", "model"] : "${local.sagemaker_arn_prefix}:${kind}/*"]
}

# ---------------------------------------------------------------- SageMaker execution role

resource "aws_iam_role" "sagemaker_execution" {
  name        = var.sagemaker_execution_role_name
  description = "Runs the ${var.environment} SageMaker pipelines and their jobs."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sagemaker.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "sagemaker_execution" {
  name = "pipeline-jobs"
  role = aws_iam_role.sagemaker_execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "RunPipelineJobsInThisAccount"
        Effect   = "Allow"
        Action   = ["sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob", "sagemaker:CreateTransformJob", "sagemaker:CreateModel", "sagemaker:DescribeProcessingJob", "sagemaker:DescribeTrainingJob", "sagemaker:DescribeTransformJob", "sagemaker:DescribeModel", "sagemaker:StopProcessingJob", "sagemaker:StopTrainingJob", "sagemaker:StopTransformJob", "sagemaker:AddTags", "sagemaker:ListTags"]
        Resource = local.sagemaker_job_resource_arn
      },
      {
        Sid      = "ReadOwnPipelines"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribePipeline", "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps"]
        Resource = concat(var.pipeline_arns, local.pipeline_execution_arns)
      },
      {
        Sid      = "RegisterModelsInTheCentralGroup"
        Effect   = "Allow"
        Action   = ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
        Resource = [local.model_package_group_arn, local.model_packages_arn]
      },
      {
        Sid      = "ListDataAndArtifactsBuckets"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = [local.data_bucket_arn, local.artifacts_bucket_arn]
      },
      {
        Sid      = "ReadWriteData"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = local.data_objects_arn
      },
      {
        # Any account's versions may be served (prod uses models trained in dev).
        Sid      = "ReadCentralArtifacts"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = local.artifacts_objects_arn
      },
      {
        Sid      = "WriteOwnCentralArtifacts"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = local.own_artifacts_objects_arn
      },
      {
        Sid      = "UseWorkloadKey"
        Effect   = "Allow"
        Action   = local.key_cryptography_actions
        Resource = var.workload_kms_key_arn
      },
      {
        # Jobs encrypt their ML storage volumes with the workload key (VolumeKmsKeyId): SageMaker needs a grant.
        Sid       = "GrantWorkloadKeyToSageMakerVolumes"
        Effect    = "Allow"
        Action    = "kms:CreateGrant"
        Resource  = var.workload_kms_key_arn
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
      {
        Sid       = "UseRegistryKeyByAlias"
        Effect    = "Allow"
        Action    = local.key_cryptography_actions
        Resource  = local.registry_key_arns
        Condition = { "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = var.registry_kms_alias } }
      },
      {
        # The built-in algorithm and framework images live in AWS-owned accounts of the region.
        Sid      = "PullAwsAlgorithmImages"
        Effect   = "Allow"
        Action   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
        Resource = local.region_repositories_arn
      },
      {
        Sid      = "GetEcrToken"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*"
      },
      {
        Sid      = "WriteJobLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = local.sagemaker_log_arns
      },
      {
        Sid       = "PublishJobMetrics"
        Effect    = "Allow"
        Action    = "cloudwatch:PutMetricData"
        Resource  = "*"
        Condition = { StringLike = { "cloudwatch:namespace" = ["/aws/sagemaker/*", "aws/sagemaker/*"] } }
      },
      {
        Sid       = "PassThisRoleToSageMakerOnly"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = local.sagemaker_execution_role
        Condition = { StringEquals = { "iam:PassedToService" = "sagemaker.amazonaws.com" } }
      },
      {
        Sid      = "InvokeLatestModelFunction"
        Effect   = "Allow"
        Action   = "lambda:InvokeFunction"
        Resource = local.latest_model_function_arn
      },
    ]
  })
}

# ---------------------------------------------------------------- latest-approved-model Lambda role

resource "aws_iam_role" "lambda" {
  name        = var.lambda_role_name
  description = "Lets the latest-approved-model function read the central model package group."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "lambda" {
  #checkov:skip=CKV_AWS_355:sagemaker:ListModelPackages and the X-Ray write actions have no resource types
  name = "read-central-model-registry"
  role = aws_iam_role.lambda.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DescribeCentralModelPackages"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
        Resource = [local.model_package_group_arn, local.model_packages_arn]
      },
      {
        # ListModelPackages has no resource type; the group's resource policy limits what it returns.
        Sid      = "ListModelPackages"
        Effect   = "Allow"
        Action   = "sagemaker:ListModelPackages"
        Resource = "*"
      },
      {
        Sid      = "WriteFunctionLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = local.lambda_log_streams_arn
      },
      {
        Sid      = "DecryptEnvironmentVariables"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = var.workload_kms_key_arn
      },
      {
        Sid      = "UploadTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = "*"
      },
    ]
  })
}

# ---------------------------------------------------------------- EventBridge role

resource "aws_iam_role" "events" {
  name        = var.events_role_name
  description = "Lets EventBridge start the ${var.environment} pipelines, and nothing else."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    }]
  })
}

resource "aws_iam_role_policy" "events" {
  name = "start-pipelines"
  role = aws_iam_role.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "StartThePipelines"
      Effect   = "Allow"
      Action   = "sagemaker:StartPipelineExecution"
      Resource = var.pipeline_arns
    }]
  })
}
