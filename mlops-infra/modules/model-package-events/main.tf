# In the registry account: the central group's state changes (registered, approved, rejected) are sent on to
# the workload accounts' default event buses, where a rule of modules/serving refreshes the multi-model
# endpoints. Each workload bus admits the registry account (aws_cloudwatch_event_permission there).

data "aws_partition" "current" {}

locals {
  target_buses = {
    for account_id in var.target_account_ids :
    account_id => "arn:${data.aws_partition.current.partition}:events:${var.region}:${account_id}:event-bus/default"
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "EventBridgeAssumesTheRole"
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

data "aws_iam_policy_document" "put_events" {
  statement {
    sid       = "PutEventsOnTheWorkloadBuses"
    actions   = ["events:PutEvents"]
    resources = values(local.target_buses)
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  description        = "Lets EventBridge send the ${var.model_package_group_name} group's state changes to the workload accounts' default buses."
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "put-events-on-workload-buses"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.put_events.json
}

resource "aws_cloudwatch_event_rule" "this" {
  name        = var.rule_name
  description = "A version of ${var.model_package_group_name} was registered, approved or rejected: tell the workload accounts."
  tags        = var.tags
  event_pattern = jsonencode({
    source      = ["aws.sagemaker"]
    detail-type = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [var.model_package_group_name]
    }
  })
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.target_buses

  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "workload-${each.key}"
  arn       = each.value
  role_arn  = aws_iam_role.this.arn
}
