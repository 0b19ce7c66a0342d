"""Following a pipeline execution through the SageMaker API, wherever it runs (SageMaker or the local stack).

`PipelineExecution.start` calls StartPipelineExecution; `wait` polls DescribePipelineExecution and
ListPipelineExecutionSteps until the execution ends, reporting each step status change once, in order. The
execution does not depend on the process that follows it: an interrupted `wait` leaves it running, and a new
`PipelineExecution(client, arn)` follows it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3

logger = logging.getLogger(__name__)

TERMINAL_STATUSES = ("Succeeded", "Failed", "Stopped")
StepChangeHook = Callable[[str, str, dict[str, Any]], None]
"""Called with (step name, new status, the ListPipelineExecutionSteps entry) when a step's status changes."""


class PipelineExecution:
    """One pipeline execution, followed by polling the SageMaker API."""

    def __init__(self, sagemaker, arn: str, poll_seconds: float = 10.0):
        self.sagemaker, self.arn, self.poll_seconds = sagemaker, arn, poll_seconds

    @classmethod
    def start(cls, session: boto3.Session, pipeline_name: str, parameters: Mapping[str, Any],
              display_name: str | None = None, poll_seconds: float = 10.0) -> PipelineExecution:
        """Start `pipeline_name` (already upserted in the session's account) with the given parameter values."""
        sagemaker = session.client("sagemaker")
        request: dict[str, Any] = {
            "PipelineName": pipeline_name,
            "PipelineParameters": [{"Name": name, "Value": str(value)} for name, value in sorted(parameters.items())],
        }
        if display_name:
            request["PipelineExecutionDisplayName"] = display_name
        arn = sagemaker.start_pipeline_execution(**request)["PipelineExecutionArn"]
        logger.info("started %s", arn)
        return cls(sagemaker, arn, poll_seconds)

    def describe(self) -> dict[str, Any]:
        return self.sagemaker.describe_pipeline_execution(PipelineExecutionArn=self.arn)

    def steps(self) -> list[dict[str, Any]]:
        """The execution's steps, oldest first."""
        pages = self.sagemaker.get_paginator("list_pipeline_execution_steps").paginate(
            PipelineExecutionArn=self.arn, SortOrder="Ascending")
        return [step for page in pages for step in page.get("PipelineExecutionSteps", [])]

    def wait(self, on_step_change: StepChangeHook | None = None) -> dict[str, Any]:
        """Block until the execution ends; return the final DescribePipelineExecution response."""
        seen: dict[str, str] = {}
        while True:
            description = self.describe()
            if on_step_change is not None:
                self._report_steps(seen, on_step_change)
            if description["PipelineExecutionStatus"] in TERMINAL_STATUSES:
                return description
            time.sleep(self.poll_seconds)

    def _report_steps(self, seen: dict[str, str], on_step_change: StepChangeHook) -> None:
        for step in self.steps():
            name, status = step["StepName"], step["StepStatus"]
            if seen.get(name) != status:
                seen[name] = status
                on_step_change(name, status, step)
