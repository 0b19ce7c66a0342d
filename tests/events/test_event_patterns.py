"""EventBridge pattern matching and input transformation, on AWS's documented semantics (pure, no stack)."""

from __future__ import annotations

import json

import pytest

from pipelines.errors import UsageError
from pipelines.local.event_patterns import json_path, matches, transform_input
from pipelines.local.events import STATUS_CHANGE_DETAIL_TYPE, status_change_event

PIPELINE = "arn:aws:sagemaker:us-east-1:222222222222:pipeline/mammo-batch-inference"
EXECUTION = f"{PIPELINE}/execution/abc123"


@pytest.fixture
def failed_event() -> dict:
    from datetime import UTC, datetime
    return status_change_event(pipeline_arn=PIPELINE, execution_arn=EXECUTION, display_name="execution-1",
                               current_status="Failed", previous_status="Executing",
                               start_time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                               end_time=datetime(2026, 1, 2, 3, 9, 0, tzinfo=UTC),
                               time=datetime(2026, 1, 2, 3, 9, 1, tzinfo=UTC))


def test_status_change_event_has_aws_shape(failed_event):
    assert failed_event["detail-type"] == STATUS_CHANGE_DETAIL_TYPE
    assert failed_event["source"] == "aws.sagemaker"
    assert (failed_event["account"], failed_event["region"]) == ("222222222222", "us-east-1")
    assert failed_event["resources"] == [PIPELINE, EXECUTION]
    assert failed_event["time"] == "2026-01-02T03:09:01Z"
    assert failed_event["detail"] == {
        "pipelineExecutionDisplayName": "execution-1",
        "currentPipelineExecutionStatus": "Failed",
        "previousPipelineExecutionStatus": "Executing",
        "executionStartTime": "2026-01-02T03:04:05Z",
        "executionEndTime": "2026-01-02T03:09:00Z",
        "pipelineArn": PIPELINE,
        "pipelineExecutionArn": EXECUTION,
    }


def test_the_terraform_rule_pattern(failed_event):
    pattern = {"source": ["aws.sagemaker"], "detail-type": [STATUS_CHANGE_DETAIL_TYPE],
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
    ({"$or": [{"source": ["aws.s3"]}, {"detail": {"currentPipelineExecutionStatus": ["Failed"]}}]}, True),
])
def test_pattern_operators(failed_event, pattern, expected):
    assert matches(pattern, failed_event) is expected


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
    with pytest.raises(UsageError, match="operator 'cidr' is not supported"):
        matches({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "10.0.0.1"})
    with pytest.raises(UsageError, match="numeric operator '!='"):
        matches({"n": [{"numeric": ["!=", 1]}]}, {"n": 2})


def test_json_paths(failed_event):
    assert json_path(failed_event, "$.detail.pipelineArn") == PIPELINE
    assert json_path(failed_event, "$.detail-type") == STATUS_CHANGE_DETAIL_TYPE
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
    from pipelines.local.events import target_input
    rule = {"Name": "r", "Arn": "arn:aws:events:us-east-1:222222222222:rule/r"}
    assert target_input({"Input": '{"fixed": 1}'}, failed_event, rule) == '{"fixed": 1}'
    assert json.loads(target_input({"InputPath": "$.detail.pipelineArn"}, failed_event, rule)) == PIPELINE
    assert json.loads(target_input({}, failed_event, rule)) == failed_event
