"""EventBridge pattern matching and input transformation, on AWS's documented semantics (pure, no stack)."""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from localaws.events.delivery import PIPELINE_STATUS_CHANGE, pipeline_status_change_event, target_input
from localaws.events.patterns import json_path, matches, transform_input
from pipelines.config import load_config
from pipelines.errors import UsageError

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

PIPELINE = f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.dev}:pipeline/mammo-batch-inference"
EXECUTION = f"{PIPELINE}/execution/abc123"
TERRAFORM_FAILED_RULE = {"source": ["aws.sagemaker"], "detail-type": [PIPELINE_STATUS_CHANGE],
                         "detail": {"currentPipelineExecutionStatus": ["Failed"], "pipelineArn": [PIPELINE]}}


@pytest.fixture
def failed_event() -> dict:
    event = pipeline_status_change_event({
        "PipelineArn": PIPELINE, "PipelineExecutionArn": EXECUTION, "PipelineExecutionDisplayName": "execution-1",
        "PipelineExecutionStatus": "Failed", "CreationTime": "2026-01-02T03:04:05+00:00",
        "LastModifiedTime": "2026-01-02T03:09:00+00:00"}, "Executing")
    return {**event, "time": "2026-01-02T03:09:01Z"}


def test_the_terraform_rules_use_exact_values_only_and_both_matchers_agree_on_them(failed_event):
    """mlops-infra/modules/pipeline-triggers matches on exact values; the stack's matcher and moto's agree."""
    stopped = {**failed_event, "detail": {**failed_event["detail"], "currentPipelineExecutionStatus": "Stopped"}}
    other = {**failed_event, "detail": {**failed_event["detail"], "pipelineArn": PIPELINE + "-other"}}
    moto = EventPattern.load(json.dumps(TERRAFORM_FAILED_RULE))
    for event, expected in ((failed_event, True), (stopped, False), (other, False)):
        assert matches(TERRAFORM_FAILED_RULE, event) is expected
        assert moto.matches_event(event) is expected


def test_why_the_stack_keeps_its_own_matcher_instead_of_motos():
    """Where moto's EventPattern differs from EventBridge: the stack uses localaws.events.patterns."""
    typed = {"detail": {"flag": True, "count": 1}}
    assert not matches({"detail": {"count": [True]}}, typed)           # EventBridge: a boolean is not a number
    assert EventPattern.load(json.dumps({"detail": {"count": [True]}})).matches_event(typed)  # moto: 1 == True
    nested = {"detail": {"steps": [{"name": "train", "status": "Failed"}]}}
    pattern = {"detail": {"steps": {"status": ["Failed"]}}}
    assert matches(pattern, nested)                                     # EventBridge: any object of the array
    assert not EventPattern.load(json.dumps(pattern)).matches_event(nested)


def test_the_terraform_rule_pattern(failed_event):
    pattern = {"source": ["aws.sagemaker"], "detail-type": [PIPELINE_STATUS_CHANGE],
               "detail": {"currentPipelineExecutionStatus": ["Failed"], "pipelineArn": [PIPELINE]}}
    assert matches(pattern, failed_event)
    succeeded = {**failed_event, "detail": {**failed_event["detail"], "currentPipelineExecutionStatus": "Succeeded"}}
    assert not matches(pattern, succeeded)
    other = {**failed_event, "detail": {**failed_event["detail"], "pipelineArn": PIPELINE + "-other"}}
    assert not matches(pattern, other)


@pytest.mark.parametrize(("pattern", "expected"), [
    ({"source": ["aws.sagemaker", "aws.s3"]}, True),                         # list: any value
    ({"source": ["aws.s3"]}, False),
    ({"detail": {"pipelineArn": [{"prefix": "arn:aws:sagemaker:us-east-1:222"}]}}, True),
    ({"detail": {"pipelineArn": [{"prefix": "arn:aws:sagemaker:us-east-1:333"}]}}, False),
    ({"detail": {"pipelineArn": [{"suffix": "batch-inference"}]}}, True),
    ({"detail": {"currentPipelineExecutionStatus": [{"anything-but": ["Succeeded", "Executing"]}]}}, True),
    ({"detail": {"currentPipelineExecutionStatus": [{"anything-but": "Failed"}]}}, False),
    ({"detail": {"currentPipelineExecutionStatus": [{"anything-but": {"prefix": "Fail"}}]}}, False),
    ({"detail": {"currentPipelineExecutionStatus": [{"equals-ignore-case": "FAILED"}]}}, True),
    ({"detail": {"failureReason": [{"exists": False}]}}, True),               # AWS's event carries none
    ({"detail": {"failureReason": [{"exists": True}]}}, False),
    ({"detail": {"pipelineExecutionArn": [{"wildcard": "*/execution/*"}]}}, True),
    ({"detail": {"missing": ["x"]}}, False),                                  # absent field never equals
    ({"resources": [EXECUTION]}, True),                                       # array field: any element
    ({"detail": {"nested": {"deeper": ["x"]}}}, False),
    ({"detail": {"nested": {"deeper": [{"exists": False}]}}}, True),
    ({"$or": [{"source": ["aws.s3"]}, {"detail": {"currentPipelineExecutionStatus": ["Failed"]}}]}, True),
])
def test_pattern_operators(failed_event, pattern, expected):
    assert matches(pattern, failed_event) is expected


def test_cidr():
    assert matches({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "10.1.2.3"})
    assert not matches({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "192.168.0.1"})
    assert not matches({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "not an address"})


def test_exact_values_keep_their_json_type():
    event = {"detail": {"count": 5, "flag": True, "text": "5", "nothing": None}}
    assert matches({"detail": {"count": [5.0]}}, event)
    assert not matches({"detail": {"count": ["5"]}}, event)
    assert not matches({"detail": {"flag": [1]}}, event)
    assert matches({"detail": {"flag": [True]}}, event)
    assert matches({"detail": {"nothing": [None]}}, event)
    assert matches({"detail": {"count": [{"numeric": [">", 0, "<=", 5]}]}}, event)
    assert not matches({"detail": {"count": [{"numeric": [">", 5]}]}}, event)
    assert not matches({"detail": {"text": [{"numeric": [">", 0]}]}}, event)


def test_invalid_patterns_are_named():
    with pytest.raises(UsageError, match="'source' must be a list"):
        matches({"source": "aws.sagemaker"}, {"source": "aws.sagemaker"})
    with pytest.raises(UsageError, match="operator 'regex' is not supported"):
        matches({"ip": [{"regex": "10.*"}]}, {"ip": "10.0.0.1"})
    with pytest.raises(UsageError, match="numeric operator '!='"):
        matches({"n": [{"numeric": ["!=", 1]}]}, {"n": 2})


def test_json_paths(failed_event):
    assert json_path(failed_event, "$.detail.pipelineArn") == PIPELINE
    assert json_path(failed_event, "$.detail-type") == PIPELINE_STATUS_CHANGE
    assert json_path(failed_event, "$.resources[1]") == EXECUTION
    assert json_path(failed_event, "$['detail']['currentPipelineExecutionStatus']") == "Failed"
    assert json_path(failed_event, "$.detail.nothing.here") is None
    assert json_path(failed_event, "$") == failed_event


def test_input_transformer_quoted_string_template_as_terraform_writes_it(failed_event):
    transformer = {
        "InputPathsMap": {"pipeline": "$.detail.pipelineArn", "status": "$.detail.currentPipelineExecutionStatus",
                          "name": "$.detail.pipelineExecutionDisplayName", "time": "$.time"},
        "InputTemplate": "\"Pipeline <pipeline> execution <name> is <status> at <time> (rule <aws.events.rule-name>)\"",
    }
    text = transform_input(transformer, failed_event, "mammo-inference-failed", "arn:rule")
    assert text == (f'"Pipeline {PIPELINE} execution execution-1 is Failed at 2026-01-02T03:09:01Z '
                    f'(rule mammo-inference-failed)"')
    assert json.loads(text).startswith("Pipeline ")  # a JSON string, as EventBridge delivers it


def test_input_transformer_json_template_escapes_and_embeds(failed_event):
    event = {**failed_event, "detail": {**failed_event["detail"], "pipelineExecutionDescription": 'say "hi"'}}
    transformer = {"InputPathsMap": {"d": "$.detail.pipelineExecutionDescription", "r": "$.resources",
                                     "none": "$.detail.absent"},
                   "InputTemplate": '{"description": "<d>", "resources": <r>, "absent": "<none>"}'}
    assert json.loads(transform_input(transformer, event, "rule", "arn:rule")) == {
        "description": 'say "hi"', "resources": [PIPELINE, EXECUTION], "absent": ""}
    plain = {"InputPathsMap": {"d": "$.detail.pipelineExecutionDescription"}, "InputTemplate": "Note: <d>"}
    assert transform_input(plain, event, "rule", "arn:rule") == 'Note: say "hi"'


def test_target_input_without_transformer(failed_event):
    rule = ("r", f"arn:aws:events:us-east-1:{ACCOUNTS.dev}:rule/r")
    assert target_input({"Input": '{"fixed": 1}'}, failed_event, *rule) == '{"fixed": 1}'
    assert json.loads(target_input({"InputPath": "$.detail.pipelineArn"}, failed_event, *rule)) == PIPELINE
    assert json.loads(target_input({}, failed_event, *rule)) == failed_event
