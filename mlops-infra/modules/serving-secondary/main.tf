# What a workload account's endpoints in the platform's second region need around them there: read of the model artifacts'
# replicas (the endpoint role is global: it gains a policy for that region), the deployment guardrails' alarms,
# which are regional, and an alert topic of the region (an alarm can notify only a topic of its own region) with
# its own key. The endpoints themselves are made by deploy-endpoint --region secondary.

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

# ---------------------------------------------------------------- alerts of the region

# The workload key's counterpart in the region (a key serves its own region only), under the same alias.
module "kms" {
  source = "../kms"

  alias_name              = var.kms_alias
  description             = "Encrypts the alert topic of ${var.account_id}'s endpoints in ${var.region}."
  account_id              = var.account_id
  region                  = var.region
  allow_eventbridge       = true
  allow_cloudwatch_alarms = true
  tags                    = var.tags
}

# The primary's alert topic under the same name, subscribed by the same address, with the same policy rules.
module "notifications" {
  source = "../notifications"

  topic_name              = var.alert_topic_name
  account_id              = var.account_id
  kms_key_arn             = module.kms.key_arn
  alert_email             = var.alert_email
  allow_cloudwatch_alarms = true
  tags                    = var.tags
}

# deploy-endpoint --region secondary names these alarms in the update's auto-rollback configuration; when they
# fire they also notify the region's alert topic.
module "alarms" {
  source = "../endpoint-alarms"

  endpoints                    = var.endpoints
  alarm_actions                = [module.notifications.topic_arn]
  region_named_in_descriptions = var.region
  tags                         = var.tags
}

# An endpoint of the region that fails (creation or update) is alerted as well: the alarms see only traffic.
resource "aws_cloudwatch_event_rule" "endpoint_failed" {
  name        = "${var.rule_name_prefix}-endpoint-failed-${var.region}"
  description = "An endpoint this account serves in ${var.region} entered Failed: alert the region's topic."
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Endpoint State Change"]
    detail = {
      EndpointName   = [for endpoint in var.endpoints : endpoint.name]
      EndpointStatus = ["FAILED"]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "endpoint_failed" {
  rule = aws_cloudwatch_event_rule.endpoint_failed.name
  arn  = module.notifications.topic_arn

  input_transformer {
    input_paths = {
      endpoint = "$.detail.EndpointName"
      reason   = "$.detail.FailureReason"
      region   = "$.region"
    }
    input_template = "\"Endpoint <endpoint> in <region> failed: <reason>\""
  }
}

moved {
  from = aws_cloudwatch_metric_alarm.errors
  to   = module.alarms.aws_cloudwatch_metric_alarm.errors
}

moved {
  from = aws_cloudwatch_metric_alarm.latency
  to   = module.alarms.aws_cloudwatch_metric_alarm.latency
}
