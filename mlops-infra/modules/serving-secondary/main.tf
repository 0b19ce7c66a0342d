# What prod's endpoints in the platform's second region need around them there: read of the model artifacts'
# replicas (the endpoint role is global: it gains a policy for that region) and the deployment guardrails'
# alarms, which are regional. The endpoints themselves are made by deploy-endpoint --region secondary.

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  # The replica key's id is unknown in this account: any key of the registry account carrying the alias.
  replica_key_arns = "arn:${local.partition}:kms:${var.region}:${var.registry_account_id}:key/*"
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "ReadReplicaArtifacts"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${var.replica_artifacts_bucket_name}/*"]
  }

  statement {
    sid       = "DecryptReplicaArtifactsWithTheReplicaKeyByAlias"
    actions   = ["kms:Decrypt"]
    resources = [local.replica_key_arns]

    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "kms:ResourceAliases"
      values   = [var.replica_kms_alias]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }

  statement {
    # The built-in images of the region live in AWS-owned accounts (the ECR token is granted by the role's
    # primary-region policy: it has no resource type).
    sid       = "PullAwsImages"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = ["arn:${local.partition}:ecr:${var.region}:*:repository/*"]
  }

  statement {
    sid     = "WriteEndpointLogs"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [
      "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/Endpoints/*",
      "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/Endpoints/*:log-stream:*",
    ]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "serve-endpoints-${var.region}"
  role   = var.execution_role_name
  policy = data.aws_iam_policy_document.execution.json
}

# deploy-endpoint --region secondary names these alarms in the update's auto-rollback configuration. They have
# no action: CloudWatch notifies only a topic of its own region, and the alert topic is in the primary region.
module "alarms" {
  source = "../endpoint-alarms"

  endpoints                    = var.endpoints
  region_named_in_descriptions = var.region
  tags                         = var.tags
}

moved {
  from = aws_cloudwatch_metric_alarm.errors
  to   = module.alarms.aws_cloudwatch_metric_alarm.errors
}

moved {
  from = aws_cloudwatch_metric_alarm.latency
  to   = module.alarms.aws_cloudwatch_metric_alarm.latency
}
