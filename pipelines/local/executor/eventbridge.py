"""The executor's status-change hook that behaves like SageMaker + EventBridge in the local stack.

Each status change goes on the account's bus as the "SageMaker Model Building Pipeline Execution Status
Change" event (pipelines.local.events.EventRouter evaluates the rules Terraform created there). A rule's
SageMaker pipeline target starts that pipeline as a local execution, with the target's parameters, in the
target's account - the retraining loop: a failed inference execution starts the train pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3

from pipelines.aws import session_for_account
from pipelines.local.events import EventRouter
from pipelines.local.executor.executor import LocalPipelineExecutor
from pipelines.local.executor.store import ExecutionStore

logger = logging.getLogger(__name__)


def status_change_fields(description: dict[str, Any], previous_status: str | None) -> dict[str, Any]:
    """EventRouter.publish_status_change's fields from a DescribePipelineExecution-shaped description."""
    end_time = description.get("EndTime")
    return {
        "pipeline_arn": description["PipelineArn"],
        "execution_arn": description["PipelineExecutionArn"],
        "display_name": description["PipelineExecutionDisplayName"],
        "current_status": description["PipelineExecutionStatus"],
        "previous_status": previous_status,
        "start_time": datetime.fromisoformat(description["CreationTime"]),
        "end_time": datetime.fromisoformat(end_time) if end_time else None,
    }


class EventBridgeStatusHook:
    """on_status_change for LocalPipelineExecutor: publish, route, and run the pipelines rules start."""

    def __init__(self, store: ExecutionStore | None = None,
                 session_factory: Callable[[str, str], boto3.Session] = session_for_account):
        self.store = store
        self.router = EventRouter(session_factory=session_factory, start_pipeline=self._start_pipeline)
        self._previous: dict[str, str] = {}
        self.started: list[str] = []
        """Execution ARNs started by rules, in order."""

    def __call__(self, description: dict[str, Any]) -> None:
        execution = description["PipelineExecutionArn"]
        fields = status_change_fields(description, self._previous.get(execution))
        self._previous[execution] = fields["current_status"]
        self.router.publish_status_change(**fields)

    def _start_pipeline(self, session: boto3.Session, pipeline_arn: str, parameters: dict[str, str],
                        role_arn: str | None) -> str:
        """A rule's pipeline target: run it here (synchronously; its own changes come back through this hook)."""
        executor = LocalPipelineExecutor(session, store=self.store, on_status_change=self)
        prepared = executor.prepare_start(pipeline_arn, parameters,
                                          display_name=f"started-by-eventbridge-{pipeline_arn.rsplit('/', 1)[-1]}")
        self.started.append(prepared.record.execution_arn)
        logger.info("EventBridge rule target: starting %s as %s", pipeline_arn, prepared.record.execution_arn)
        executor.execute(prepared)
        return prepared.record.execution_arn
