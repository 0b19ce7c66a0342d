"""Execution records: the API shapes, the JSON files, and reading them back from another store."""

from __future__ import annotations

import pytest

from localaws.sagemaker_pipelines.store import ExecutionRecord, ExecutionStore, StepRecord
from pipelines.config import load_config
from pipelines.errors import UsageError

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.dev}:pipeline/mammo-train"


def record(execution_id: str, status: str, created: str) -> ExecutionRecord:
    failed = status == "Failed"
    return ExecutionRecord(
        execution_arn=f"{ARN}/execution/{execution_id}", execution_id=execution_id, pipeline_name="mammo-train",
        pipeline_arn=ARN, account_id=ACCOUNTS.dev, parameters={"AucScoreThreshold": 0.75, "Flag": True},
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
    # Register did not run: SageMaker lists only the steps that ran.
    assert [(s["StepName"], s["StepStatus"]) for s in steps] == [("Train", "Failed"), ("Preprocess", "Succeeded")]
    assert steps[0]["FailureReason"] == "boom"
    ascending = store.list_steps("newer", "Ascending")["PipelineExecutionSteps"]
    assert [s["StepName"] for s in ascending] == ["Preprocess", "Train"]
    succeeded = store.list_steps("older", "Ascending")["PipelineExecutionSteps"]
    assert [s["StepName"] for s in succeeded] == ["Preprocess", "Train", "Register"]
    assert "StartTime" not in succeeded[2]
    with pytest.raises(UsageError, match="sort_order must be Ascending or Descending"):
        store.list_steps("newer", "Sideways")


def test_another_store_on_the_folder_reads_the_same_records(store, tmp_path):
    again = ExecutionStore(tmp_path)
    assert [r.execution_id for r in again.list()] == ["newer", "older"]
    assert again.get("older").step("Preprocess").metadata == {"ProcessingJob": {"Arn": "arn:job"}}
    assert again.list(f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.dev}:pipeline/another") == []
    assert [r.execution_id for r in again.list(ARN)] == ["newer", "older"]
    with pytest.raises(UsageError, match="no pipeline execution 'missing'"):
        again.get("missing")
