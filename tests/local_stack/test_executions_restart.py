"""Execution records are durable and honest: a stack stopped mid-execution, restarted on the same state folder,
reports the execution Failed with the reason, never Executing forever, and leaves no job folder or process."""

from __future__ import annotations

import os
import signal

import pytest
from support import wait_for

from localaws.sagemaker_pipelines.service import STOPPED_WITH_STACK
from localaws.tools.stack import LocalAwsStack

from .pipeline_api import (
    ROLE,
    client,
    definition,
    processes_mentioning,
    processing_step,
    put_script,
    step_statuses,
)

SLEEP = "120.125"


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
def test_an_execution_running_when_the_stack_stopped_is_failed_after_the_restart(tmp_path, stop_signal):
    state = tmp_path / "state"
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as first:
        put_script(first.endpoint)
        sagemaker = client(first.endpoint)
        sagemaker.create_pipeline(PipelineName="slow", RoleArn=ROLE, PipelineDefinition=definition(
            processing_step("Sleep", "--sleep", SLEEP), processing_step("After", depends_on=["Sleep"])))
        arn = sagemaker.start_pipeline_execution(PipelineName="slow")["PipelineExecutionArn"]
        wait_for(lambda: step_statuses(sagemaker, arn).get("Sleep") == "Executing", "Sleep to execute", timeout=120)
        assert any((state / "jobs").iterdir())  # the running step's job folder
        # The container sees its job folder as /opt/ml: its command line names the unusual sleep, not the folder.
        wait_for(lambda: processes_mentioning(SLEEP), "the step's container (its script)", timeout=120)
        if stop_signal == signal.SIGKILL:  # no chance to clean up: the container must still not outlive it
            os.kill(first.pid, signal.SIGKILL)
            first.process.wait()
            first.process = None

    wait_for(lambda: processes_mentioning(SLEEP) == [], "the container to end with its server", timeout=10)
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "second.log") as second:
        sagemaker = client(second.endpoint)
        description = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]

    assert description["PipelineExecutionStatus"] == "Failed"
    assert description["FailureReason"] == STOPPED_WITH_STACK
    assert [(step["StepName"], step["StepStatus"], step.get("FailureReason")) for step in steps] == [
        ("Sleep", "Failed", STOPPED_WITH_STACK)]
    assert list((state / "jobs").iterdir()) == []
