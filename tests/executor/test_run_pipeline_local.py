"""`run-pipeline --local --start --wait` runs the real train pipeline with the executor; rules start pipelines."""

from __future__ import annotations

import json
import logging

import pytest

from pipelines import run_pipeline
from pipelines.aws import session_for_account
from pipelines.data.prepare import S3_KEYS, prepare
from pipelines.data.raw import read_raw
from pipelines.local.executor import ExecutionStore, LocalPipelineExecutor
from pipelines.local.executor.eventbridge import EventBridgeStatusHook
from pipelines.local.stack import write_state

from .helpers import ROLE, definition

STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"


@pytest.fixture
def running_stack(aws, tmp_path, monkeypatch):
    """The test session's stack recorded as if `mlops-local up` had started it (what --local reads)."""
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(tmp_path / "local"))
    write_state(aws.endpoint, aws.pid)
    return aws


@pytest.fixture
def dev_data(dev, dev_session, tmp_path) -> None:
    """The dev data bucket with the prepared UCI data, the central bucket and group (what Terraform and
    prepare-data provide)."""
    from pipelines.config import REPO_ROOT

    registry = session_for_account(dev.accounts.registry, dev.aws_region)
    registry.client("s3").create_bucket(Bucket=dev.model_registry.artifacts_bucket_name)
    registry.client("sagemaker").create_model_package_group(
        ModelPackageGroupName=dev.model_registry.model_package_group_name)
    s3 = dev_session.client("s3")
    s3.create_bucket(Bucket=dev.workload.data_bucket_name)
    prepared = prepare(read_raw(REPO_ROOT / "data" / "mammographic_masses.data"), tmp_path / "data")
    for name, path in prepared.files.items():
        s3.put_object(Bucket=dev.workload.data_bucket_name, Key=S3_KEYS[name], Body=path.read_bytes())


@pytest.mark.slow
def test_run_pipeline_local_start_wait_trains_and_registers_with_live_step_progress(
        running_stack, dev_data, dev, capsys, caplog):
    caplog.set_level(logging.INFO, logger="run-pipeline")

    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--local", "--start", "--wait"])

    out = capsys.readouterr().out
    assert status == 0, out
    assert "mammo-train: execution Succeeded" in out
    progress = [record.getMessage() for record in caplog.records if record.name == "run-pipeline"]
    assert "mammo-train: step TrainModel Executing" in progress
    assert progress.index("mammo-train: step TrainModel Executing") < \
        progress.index("mammo-train: step TrainModel Succeeded")
    assert "mammo-train: step AucBelowThreshold NotExecuted" in progress
    registry = session_for_account(dev.accounts.registry, dev.aws_region).client("sagemaker")
    packages = registry.list_model_packages(ModelPackageGroupName=dev.model_package_group_arn)
    assert len(packages["ModelPackageSummaryList"]) == 1
    # The execution is recorded where `mlops-local` keeps its state, readable in the API's shape.
    records = ExecutionStore().list("mammo-train")
    assert [record.status for record in records] == ["Succeeded"]


def test_run_pipeline_local_reports_a_failed_execution_with_exit_code_3(running_stack, dev, dev_session, capsys):
    dev_session.client("s3").create_bucket(Bucket=dev.workload.data_bucket_name)  # code upload only, no data

    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--local", "--start", "--wait"])

    err = capsys.readouterr().err
    assert status == 3
    assert "run-pipeline: error: mammo-train execution" in err
    assert "Step 'PreprocessData' failed: ClientError: no S3 objects found under S3 URL" in err


def test_a_rule_on_a_failed_execution_starts_its_target_pipeline_locally(dev_session, store):
    sagemaker, events = dev_session.client("sagemaker"), dev_session.client("events")
    failing = definition({"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "drift"}})
    follow_up = definition(
        {"Name": "IsRetrain", "Type": "Condition", "Arguments": {"Conditions": [
            {"Type": "Equals", "LeftValue": {"Get": "Parameters.Mode"}, "RightValue": "retrain"}]}},
        parameters=[{"Name": "Mode", "Type": "String", "DefaultValue": "scheduled"}])
    arns = {name: sagemaker.create_pipeline(PipelineName=name, PipelineDefinition=body, RoleArn=ROLE)["PipelineArn"]
            for name, body in (("failing", failing), ("follow-up", follow_up))}
    events.put_rule(Name="retrain-on-failure", EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail-type": [STATUS_CHANGE],
        "detail": {"currentPipelineExecutionStatus": ["Failed"], "pipelineArn": [arns["failing"]]}}))
    events.put_targets(Rule="retrain-on-failure", Targets=[{
        "Id": "follow-up", "Arn": arns["follow-up"], "RoleArn": ROLE,
        "SageMakerPipelineParameters": {"PipelineParameterList": [{"Name": "Mode", "Value": "retrain"}]}}])
    hook = EventBridgeStatusHook(store=store)

    record = LocalPipelineExecutor(dev_session, store=store, on_status_change=hook).start("failing")

    assert record.status == "Failed"
    assert len(hook.started) == 1
    started = store.get(hook.started[0])
    assert started.pipeline_name == "follow-up"
    assert started.parameters == {"Mode": "retrain"}
    assert started.status == "Succeeded"
    assert started.step("IsRetrain").metadata == {"Condition": {"Outcome": "True"}}
