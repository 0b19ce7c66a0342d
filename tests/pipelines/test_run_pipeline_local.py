"""`run-pipeline --local --start --wait`: the real train pipeline runs inside the local stack, followed through
the SageMaker API; an interrupted or killed follower leaves the execution running, and it can be followed again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.platform import provision_execution_role
from support.roles import allow, bucket_arn, create_role, trust_policy

from localaws.tools.stack import LocalAwsStack, write_state
from pipelines.aws import Target
from pipelines.cli import run_pipeline
from pipelines.config import load_config
from pipelines.errors import EXIT_EXECUTION_FAILED, EXIT_INTERRUPTED, EXIT_LOCAL_STACK_UNAVAILABLE

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

RUN_PIPELINE = str(Path(sys.executable).parent / "run-pipeline")
DEV = load_config("dev")
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


@pytest.fixture
def running_stack(aws, tmp_path, monkeypatch):
    """The test session's stack recorded as if `mlops-local up` had started it (what --local reads)."""
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(tmp_path / "local"))
    write_state(aws.endpoint, aws.pid)
    return aws


@pytest.fixture
def dev_data(provision_train_inputs) -> None:
    """The dev data bucket with the prepared UCI data, the central bucket and group."""
    provision_train_inputs(DEV)


@pytest.mark.slow
def test_start_wait_trains_and_registers_with_live_step_progress(running_stack, dev_data, target, dev_session,
                                                                  capsys):
    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--local", "--start", "--wait"])

    out = capsys.readouterr().out
    assert status == 0, out
    assert "mammo-train: execution Succeeded" in out
    # Progress as polling sees it: each step's statuses in order (a short step may be seen Succeeded at once).
    lines = out.splitlines()
    assert lines.index("mammo-train: step PreprocessData Succeeded") < lines.index("mammo-train: step TrainModel "
                                                                                   "Succeeded")
    assert not [line for line in lines if "AucBelowThreshold" in line]  # the Fail branch did not run
    registry = target.session(DEV.accounts.registry, DEV.aws_region).client("sagemaker")
    packages = registry.list_model_packages(ModelPackageGroupName=DEV.model_package_group_arn)
    assert len(packages["ModelPackageSummaryList"]) == 1
    # Any other client sees the same execution.
    [summary] = dev_session.client("sagemaker").list_pipeline_executions(
        PipelineName="mammo-train")["PipelineExecutionSummaries"]
    assert summary["PipelineExecutionStatus"] == "Succeeded"


def test_a_failed_execution_exits_3_with_the_reason(running_stack, dev_session, dev_data_bucket, capsys):
    # The data bucket is empty: run-pipeline uploads its code there, the execution finds no data.
    provision_execution_role(dev_session, DEV)

    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--local", "--start", "--wait"])

    err = capsys.readouterr().err
    assert status == EXIT_EXECUTION_FAILED
    assert "run-pipeline: error: mammo-train execution" in err
    assert "ended Failed" in err
    assert "PreprocessData" in err
    assert "AccessDenied" not in err  # it fails for want of data, not of permissions


# ---------------------------------------------------------------------- the follower is not the execution

def _slow_pipeline(dev_session, seconds: int) -> str:
    """A one-step pipeline whose processing job sleeps `seconds`; returns a started execution's ARN."""
    bucket = f"slow-pipeline-{ACCOUNTS.dev}"
    s3 = dev_session.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="code/step.py", Body=f"import time\ntime.sleep({seconds})\n".encode())
    create_role(dev_session.client("iam"), DEV.workload.sagemaker_execution_role_name,
                trust_policy("sagemaker.amazonaws.com"),
                [allow("s3:ListBucket", bucket_arn(bucket)), allow("s3:GetObject", f"{bucket_arn(bucket)}/code/*")])
    step = {"Name": "Sleep", "Type": "Processing", "Arguments": {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": SKLEARN_IMAGE,
                             "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/step.py"]},
        "RoleArn": DEV.sagemaker_execution_role_arn,
        "ProcessingInputs": [{"InputName": "code", "S3Input": {
            "S3Uri": f"s3://{bucket}/code/step.py", "LocalPath": "/opt/ml/processing/input/code",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}]}}
    sagemaker = dev_session.client("sagemaker")
    sagemaker.create_pipeline(PipelineName="slow", RoleArn=DEV.sagemaker_execution_role_arn,
                              PipelineDefinition=json.dumps({"Version": "2020-12-01", "Parameters": [],
                                                             "Steps": [step]}))
    return sagemaker.start_pipeline_execution(PipelineName="slow")["PipelineExecutionArn"]


def _follow(arn: str) -> subprocess.Popen:
    # pytest-xdist's workers ignore SIGINT, and an ignored signal stays ignored across exec: give the follower
    # the default disposition a terminal gives it, so Ctrl-C reaches it as it reaches a user's.
    return subprocess.Popen([RUN_PIPELINE, "--env", "dev", "--local", "--wait", "--execution-arn", arn],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _status(dev_session, arn: str) -> str:
    return dev_session.client("sagemaker").describe_pipeline_execution(
        PipelineExecutionArn=arn)["PipelineExecutionStatus"]


def _wait_for_step(dev_session, arn: str, step: str, status: str) -> None:
    sagemaker = dev_session.client("sagemaker")
    for _ in range(200):
        steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
        if any(entry["StepName"] == step and entry["StepStatus"] == status for entry in steps):
            return
        time.sleep(0.1)
    raise AssertionError(f"step {step} of {arn} never reached {status}")


@pytest.mark.slow
@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_or_killed_follower_leaves_the_execution_running_and_it_can_be_followed_again(
        running_stack, dev_session, signal_number):
    arn = _slow_pipeline(dev_session, seconds=300)  # ended below by StopPipelineExecution, not by waiting
    _wait_for_step(dev_session, arn, "Sleep", "Executing")
    follower = _follow(arn)
    assert follower.stdout.readline() == f"slow: following {arn}\n"
    follower.send_signal(signal_number)
    _, err = follower.communicate(timeout=120)

    if signal_number == signal.SIGINT:
        assert follower.returncode == EXIT_INTERRUPTED
        assert f"stopped following {arn}; it is still running" in err
        assert f"--wait --execution-arn {arn}" in err
    else:
        assert follower.returncode == -signal.SIGKILL
    assert _status(dev_session, arn) == "Executing"

    again = _follow(arn)
    assert again.stdout.readline() == f"slow: following {arn}\n"
    dev_session.client("sagemaker").stop_pipeline_execution(PipelineExecutionArn=arn)
    _, err = again.communicate(timeout=120)
    assert again.returncode == EXIT_EXECUTION_FAILED  # followed to the end: the execution was stopped
    assert f"slow execution {arn} ended Stopped" in err
    assert _status(dev_session, arn) == "Stopped"


@pytest.mark.parametrize(("arn", "message"), [
    (f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.dev}:pipeline/slow", "is not a pipeline execution ARN"),
    (f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.prod}:pipeline/slow/execution/abc", f"account {ACCOUNTS.prod}"),
])
def test_a_bad_execution_arn_is_a_usage_error(running_stack, arn, message, capsys):
    assert run_pipeline.main(["--env", "dev", "--local", "--wait", "--execution-arn", arn]) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_execution_is_named(running_stack, capsys):
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.dev}:pipeline/slow/execution/nosuchexecution"
    assert run_pipeline.main(["--env", "dev", "--local", "--wait", "--execution-arn", arn]) == 1
    assert "following " + arn in capsys.readouterr().err


def test_execution_arn_without_wait_or_with_start_is_a_usage_error(running_stack, capsys):
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.dev}:pipeline/slow/execution/abc"
    assert run_pipeline.main(["--env", "dev", "--local", "--execution-arn", arn]) == 2
    assert run_pipeline.main(["--env", "dev", "--local", "--start", "--wait", "--execution-arn", arn]) == 2
    assert "--execution-arn goes with --wait alone" in capsys.readouterr().err


# ---------------------------------------------------------------------- the stack goes away

@pytest.fixture
def private_stack(tmp_path, monkeypatch):
    """A stack of this test's own, recorded as `mlops-local up` records one, so the test can kill it."""
    stack = LocalAwsStack(log_path=tmp_path / "stack.log", state_dir=tmp_path / "state").start()
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(tmp_path / "local"))
    write_state(stack.endpoint, stack.pid)
    yield stack
    stack.stop()


@pytest.mark.slow
def test_a_stack_killed_while_wait_follows_exits_5_with_one_line(private_stack):
    # Regression: exit 1 with botocore's raw 'Could not connect to the endpoint URL'.
    session = Target.local_stack(private_stack.endpoint).session(DEV.account_id, DEV.aws_region)
    arn = _slow_pipeline(session, seconds=300)
    _wait_for_step(session, arn, "Sleep", "Executing")
    follower = _follow(arn)
    assert follower.stdout.readline() == f"slow: following {arn}\n"

    private_stack.stop()
    _, err = follower.communicate(timeout=120)

    assert follower.returncode == EXIT_LOCAL_STACK_UNAVAILABLE
    [line] = [line for line in err.splitlines() if "run-pipeline:" in line]
    assert line.startswith(f"run-pipeline: error: the local stack does not answer at {private_stack.endpoint}")
    assert line.endswith("restart it with `mlops-local down` and `mlops-local up`")
    assert "Traceback" not in err
