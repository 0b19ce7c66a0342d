"""The one mapping from a failure to an exit code: regressions of the CLI layer, each an old probe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import botocore.exceptions
import pytest

from localaws.tools.stack import LocalAwsStack, write_state
from pipelines.aws import Target
from pipelines.cli import prepare_data, run_pipeline
from pipelines.cli.support import failure
from pipelines.config import load_config
from pipelines.errors import EXIT_AWS_UNREACHABLE, EXIT_LOCAL_STACK_UNAVAILABLE, EXIT_USAGE, DemoStepFailed

DEV = load_config("dev")
RUN_PIPELINE = str(Path(sys.executable).parent / "run-pipeline")
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def test_a_bad_parameter_value_exits_2_before_any_aws_call(dev_session, dev_data_bucket, aws, capsys):
    sagemaker = dev_session.client("sagemaker")
    assert run_pipeline.main(["--env", "dev", "--pipeline", "train"]) == 0  # the pipeline exists
    before = sagemaker.describe_pipeline(PipelineName="mammo-train")
    capsys.readouterr()

    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--description", "changed", "--start",
                                "--parameters", "AucScoreThreshold=abc"])

    assert status == EXIT_USAGE
    assert capsys.readouterr().err.splitlines() == [
        "run-pipeline: error: pipeline parameter 'AucScoreThreshold' must be of type Float, got 'abc'"]
    # No UpdatePipeline (the description would have changed), no CreatePipeline, no StartPipelineExecution.
    after = sagemaker.describe_pipeline(PipelineName="mammo-train")
    assert (after["PipelineDescription"], after["LastModifiedTime"]) == (before.get("PipelineDescription"),
                                                                        before["LastModifiedTime"])
    assert [p["PipelineName"] for p in sagemaker.list_pipelines()["PipelineSummaries"]] == ["mammo-train"]
    assert sagemaker.list_pipeline_executions(PipelineName="mammo-train")["PipelineExecutionSummaries"] == []


@pytest.mark.parametrize(("value", "kind"), [("abc", "Float"), ("0.8x", "Float"), (" 0.8", "Float"),
                                             ("nan", "Float"), ("1e999", "Float")])
def test_a_value_not_of_the_declared_type_is_refused_offline(value, kind, capsys):
    # No stack, no credentials: the check runs on the definition built locally, before the first AWS call.
    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--parameters", f"AucScoreThreshold={value}"],
                               env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert status == EXIT_USAGE
    assert f"'AucScoreThreshold' must be of type {kind}, got {value!r}" in capsys.readouterr().err


@pytest.fixture
def private_stack(tmp_path, monkeypatch):
    """A stack of this test's own, recorded as `mlops-local up` records one, so the test can kill it."""
    stack = LocalAwsStack(log_path=tmp_path / "stack.log", state_dir=tmp_path / "state").start()
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(tmp_path / "local"))
    write_state(stack.endpoint, stack.pid)
    yield stack
    stack.stop()


def _slow_execution(session, seconds: int) -> str:
    """A one-step pipeline whose processing job sleeps `seconds`, started; its execution ARN."""
    bucket = f"slow-pipeline-{DEV.account_id}"
    s3 = session.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="code/step.py", Body=f"import time\ntime.sleep({seconds})\n".encode())
    step = {"Name": "Sleep", "Type": "Processing", "Arguments": {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": SKLEARN_IMAGE,
                             "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/step.py"]},
        "RoleArn": DEV.sagemaker_execution_role_arn,
        "ProcessingInputs": [{"InputName": "code", "S3Input": {
            "S3Uri": f"s3://{bucket}/code/step.py", "LocalPath": "/opt/ml/processing/input/code",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}]}}
    sagemaker = session.client("sagemaker")
    sagemaker.create_pipeline(PipelineName="slow", RoleArn=DEV.sagemaker_execution_role_arn,
                              PipelineDefinition=json.dumps({"Version": "2020-12-01", "Parameters": [],
                                                             "Steps": [step]}))
    arn = sagemaker.start_pipeline_execution(PipelineName="slow")["PipelineExecutionArn"]
    for _ in range(200):
        steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
        if any(entry["StepStatus"] == "Executing" for entry in steps):
            return arn
        time.sleep(0.1)
    raise AssertionError(f"{arn} never started its step")


@pytest.mark.slow
def test_a_stack_killed_while_wait_follows_exits_5_with_one_line(private_stack):
    # Regression: exit 1 with botocore's raw 'Could not connect to the endpoint URL'.
    session = Target.local_stack(private_stack.endpoint).session(DEV.account_id, DEV.aws_region)
    arn = _slow_execution(session, seconds=300)
    follower = subprocess.Popen([RUN_PIPELINE, "--env", "dev", "--local", "--wait", "--execution-arn", arn],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    assert follower.stdout.readline() == f"slow: following {arn}\n"

    private_stack.stop()
    _, err = follower.communicate(timeout=120)

    assert follower.returncode == EXIT_LOCAL_STACK_UNAVAILABLE
    [line] = [line for line in err.splitlines() if "run-pipeline:" in line]
    assert line.startswith(f"run-pipeline: error: the local stack does not answer at {private_stack.endpoint}")
    assert line.endswith("restart it with `mlops-local down` and `mlops-local up`")
    assert "Traceback" not in err


@pytest.mark.parametrize("error", [
    botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9/"),
    botocore.exceptions.ConnectionClosedError(endpoint_url="http://127.0.0.1:9/"),
    botocore.exceptions.ReadTimeoutError(endpoint_url="http://127.0.0.1:9/"),
    botocore.exceptions.ConnectTimeoutError(endpoint_url="http://127.0.0.1:9/"),
    ConnectionResetError(104, "Connection reset by peer"),
], ids=lambda error: type(error).__name__)
def test_every_connection_failure_maps_to_5_on_the_stack_and_7_on_aws(error):
    assert failure(error, local=True)[0] == EXIT_LOCAL_STACK_UNAVAILABLE
    code, line = failure(error, local=False)
    assert code == EXIT_AWS_UNREACHABLE
    assert "cannot reach AWS endpoint" in line
    assert "\n" not in line
    step = DemoStepFailed("train", "dev", error)  # the demo keeps the step's name, the stack's exit code
    assert failure(step, local=True) == (EXIT_LOCAL_STACK_UNAVAILABLE, failure(step, local=True)[1])
    assert failure(step, local=True)[1].startswith("step 'train' in account dev failed: the local stack")


@pytest.mark.parametrize(("make", "problem"), [
    (lambda path: path.write_text("x"), "{path} is a file, not a folder"),
    (lambda path: (path.parent / "file").write_text("x"), "its parent {parent} is a file, not a folder"),
], ids=["a file", "under a file"])
def test_prepare_data_output_dir_that_cannot_be_a_folder_exits_2_and_writes_nothing(tmp_path, capsys, make,
                                                                                     problem):
    path = tmp_path / "out" if "parent" not in problem else tmp_path / "file" / "out"
    make(path)
    before = sorted(tmp_path.rglob("*"))
    assert prepare_data.main(["--env", "dev", "--output-dir", str(path), "--no-upload"]) == EXIT_USAGE
    expected = problem.format(path=path, parent=tmp_path / "file")
    assert capsys.readouterr().err == (f"prepare-data: error: --output-dir {path}: {expected}: give a writable "
                                       "folder\n")
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: permissions cannot refuse it")
def test_prepare_data_output_dir_not_writable_exits_2(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert prepare_data.main(["--env", "dev", "--output-dir", str(locked / "out"), "--no-upload"]) == EXIT_USAGE
    assert "is not writable" in capsys.readouterr().err
