"""Starting a pipeline execution and following it: the one place that decides WHERE an execution runs.

`start_execution(..., local=False)` calls SageMaker's StartPipelineExecution (against moto it reports
Succeeded without running steps); `local=True` runs the steps on this machine with the local executor
(pipelines/local/executor, LocalPipelineExecutor), its status changes routed by the account's EventBridge rules.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import boto3
import botocore.exceptions

logger = logging.getLogger(__name__)

TERMINAL_STATUSES = ("Succeeded", "Failed", "Stopped")
StepChangeHook = Callable[[str, str, dict[str, Any]], None]
"""Called with (step name, new status, the ListPipelineExecutionSteps entry) when a step's status changes."""


class ExecutionHandle(Protocol):
    arn: str

    def describe(self) -> dict[str, Any]:
        """The DescribePipelineExecution response."""

    def wait(self, on_step_change: StepChangeHook | None = None) -> dict[str, Any]:
        """Block until the execution ends; return the final DescribePipelineExecution response."""


class SageMakerExecution:
    """An execution started with StartPipelineExecution, followed by polling SageMaker."""

    def __init__(self, sagemaker, arn: str, poll_seconds: float = 10.0):
        self.sagemaker, self.arn, self.poll_seconds = sagemaker, arn, poll_seconds

    def describe(self) -> dict[str, Any]:
        return self.sagemaker.describe_pipeline_execution(PipelineExecutionArn=self.arn)

    def steps(self) -> list[dict[str, Any]]:
        """The execution's steps, oldest first."""
        steps, kwargs = [], {"PipelineExecutionArn": self.arn, "SortOrder": "Ascending"}
        while True:
            page = self.sagemaker.list_pipeline_execution_steps(**kwargs)
            steps.extend(page.get("PipelineExecutionSteps", []))
            if not page.get("NextToken"):
                return steps
            kwargs["NextToken"] = page["NextToken"]

    def wait(self, on_step_change: StepChangeHook | None = None) -> dict[str, Any]:
        seen: dict[str, str] = {}
        while True:
            description = self.describe()
            self._report_steps(seen, on_step_change)
            if description["PipelineExecutionStatus"] in TERMINAL_STATUSES:
                return description
            time.sleep(self.poll_seconds)

    def _report_steps(self, seen: dict[str, str], on_step_change: StepChangeHook | None) -> None:
        if on_step_change is None:
            return
        try:
            steps = self.steps()
        except botocore.exceptions.ClientError as error:
            # An emulator may not implement step listing; the execution status is still followed.
            logger.debug("cannot list steps of %s: %s", self.arn, error)
            return
        for step in steps:
            name, status = step["StepName"], step["StepStatus"]
            if seen.get(name) != status:
                seen[name] = status
                on_step_change(name, status, step)


def start_execution(session: boto3.Session, pipeline_name: str, parameters: Mapping[str, Any],
                    local: bool, display_name: str | None = None) -> ExecutionHandle:
    """Start `pipeline_name` (already upserted in the session's account) with the given parameter values."""
    if local:
        return _start_local(session, pipeline_name, parameters, display_name)
    sagemaker = session.client("sagemaker")
    request: dict[str, Any] = {
        "PipelineName": pipeline_name,
        "PipelineParameters": [{"Name": name, "Value": str(value)} for name, value in sorted(parameters.items())],
    }
    if display_name:
        request["PipelineExecutionDisplayName"] = display_name
    arn = sagemaker.start_pipeline_execution(**request)["PipelineExecutionArn"]
    logger.info("started %s", arn)
    return SageMakerExecution(sagemaker, arn)


def _start_local(session: boto3.Session, pipeline_name: str, parameters: Mapping[str, Any],
                 display_name: str | None) -> ExecutionHandle:
    """Run the upserted definition with the local executor; status changes go through the account's EventBridge."""
    from pipelines.local.executor import LocalPipelineExecutor
    from pipelines.local.executor.eventbridge import EventBridgeStatusHook
    from pipelines.local.executor.handle import LocalExecution

    executor = LocalPipelineExecutor(session, on_status_change=EventBridgeStatusHook())
    handle = LocalExecution(executor, executor.prepare_start(pipeline_name, parameters, display_name))
    logger.info("started %s (local executor)", handle.arn)
    return handle
