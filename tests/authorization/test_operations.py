"""The resources an operation is authorized on, as IAM's published ARN formats give them."""

from __future__ import annotations

import pytest

from localaws.authorization.operations import Call, checks

ACCOUNT = "333333333333"
REGION = "us-east-1"


def _resources(service: str, operation: str, params: dict) -> list[str]:
    call = Call(service, operation, params, REGION, "json")
    return [check.resource for check in checks(call, ACCOUNT, lambda kind, value, region: None)]


@pytest.mark.parametrize("params", [{"Name": "mammo-train-failed"},
                                    {"Name": "mammo-train-failed", "EventBusName": "default"},
                                    {"Name": "mammo-train-failed",
                                     "EventBusName": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"}])
def test_a_rule_of_the_default_bus_is_rule_slash_its_name(params):
    # What Terraform's refresh of an aws_cloudwatch_event_rule asks; the ARN EventBridge gives such a rule.
    assert _resources("events", "DescribeRule", params) == [
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/mammo-train-failed"]


def test_a_rule_of_a_custom_bus_names_its_bus():
    assert _resources("events", "DescribeRule", {"Name": "forward", "EventBusName": "models"}) == [
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/models/forward"]


def test_the_default_bus_itself_keeps_its_name():
    assert _resources("events", "DescribeEventBus", {"Name": "default"}) == [
        f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"]
