"""Execution records: the API shapes, the JSON files, and reading them back with the read-back command."""

from __future__ import annotations

import json

import pytest

from pipelines.errors import UsageError
from pipelines.local.executor.__main__ import main
from pipelines.local.executor.store import ExecutionRecord, ExecutionStore, StepRecord

ARN = "arn:aws:sagemaker:us-east-1:222222222222:pipeline/mammo-train"


def record(execution_id: str, status: str, created: str) -> ExecutionRecord:
    failed = status == "Failed"
    return ExecutionRecord(
        execution_arn=f"{ARN}/execution/{execution_id}", execution_id=execution_id, pipeline_name="mammo-train",
        pipeline_arn=ARN, account_id="222222222222", parameters={"AucScoreThreshold": 0.75, "Flag": True},
        status=status, creation_time=created, failure_reason="Step 'Train' failed: boom" if failed else None,
        steps=[StepRecord("Preprocess", "Processing", "Succeeded", "t1", "t2",
                          metadata={"ProcessingJob": {"Arn": "arn:job"}}),
               StepRecord("Train", "Training", status, "t3", "t4",
                          failure_reason="boom" if failed else None),
               StepRecord("Register", "RegisterModel", "NotExecuted" if failed else "Succeeded")])


@pytest.fixture
def store(tmp_path) -> ExecutionStore:
    store = ExecutionStore(tmp_path)
    store.save(record("older", "Succeeded", "2026-01-01T00:00:00.000+00:00"))
    store.save(record("newer", "Failed", "2026-01-02T00:00:00.000+00:00"))
    return store


def test_describe_has_the_api_shape(store):
    description = store.describe(f"{ARN}/execution/newer")
    assert description["PipelineExecutionStatus"] == "Failed"
    assert description["FailureReason"] == "Step 'Train' failed: boom"
    assert description["PipelineExecutionDisplayName"] == "execution-newer"
    assert description["PipelineParameters"] == [{"Name": "AucScoreThreshold", "Value": "0.75"},
                                                 {"Name": "Flag", "Value": "true"}]


def test_steps_are_listed_newest_first_or_in_order(store):
    steps = store.list_steps("newer")["PipelineExecutionSteps"]
    assert [(s["StepName"], s["StepStatus"]) for s in steps] == [
        ("Register", "NotExecuted"), ("Train", "Failed"), ("Preprocess", "Succeeded")]
    assert steps[1]["FailureReason"] == "boom"
    assert "StartTime" not in steps[0]
    ascending = store.list_steps("newer", "Ascending")["PipelineExecutionSteps"]
    assert [s["StepName"] for s in ascending] == ["Preprocess", "Train", "Register"]
    with pytest.raises(UsageError, match="sort_order must be Ascending or Descending"):
        store.list_steps("newer", "Sideways")


def test_another_store_on_the_folder_reads_the_same_records(store, tmp_path):
    again = ExecutionStore(tmp_path)
    assert [r.execution_id for r in again.list()] == ["newer", "older"]
    assert again.get("older").step("Preprocess").metadata == {"ProcessingJob": {"Arn": "arn:job"}}
    assert again.list("another-pipeline") == []
    with pytest.raises(UsageError, match="no local pipeline execution 'missing'"):
        again.get("missing")


def test_the_read_back_command(store, tmp_path, capsys):
    assert main(["--store", str(tmp_path), "list"]) == 0
    summaries = json.loads(capsys.readouterr().out)["PipelineExecutionSummaries"]
    assert [(s["PipelineExecutionArn"].rsplit("/", 1)[1], s["PipelineExecutionStatus"]) for s in summaries] == [
        ("newer", "Failed"), ("older", "Succeeded")]
    assert main(["--store", str(tmp_path), "describe", "older"]) == 0
    assert json.loads(capsys.readouterr().out)["PipelineExecutionStatus"] == "Succeeded"
    assert main(["--store", str(tmp_path), "steps", f"{ARN}/execution/newer"]) == 0
    assert json.loads(capsys.readouterr().out)["PipelineExecutionSteps"][0]["StepName"] == "Register"
    assert main(["--store", str(tmp_path), "describe", "nope"]) == 2
    assert "no local pipeline execution 'nope'" in capsys.readouterr().err
