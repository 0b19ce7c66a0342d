"""Running the upserted pipelines in one account of the local stack, the way the demo needs them run.

Each execution goes through the local executor; its status changes are put on that account's EventBridge bus
by the router, which evaluates the rules Terraform created there. A rule's SageMaker target does not run the
pipeline inside the failing execution's callback: like StartPipelineExecution it only records the request,
and the demo runs it as a step of its own, so the summary shows it with its account and timing.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from pipelines.demo.context import DemoContext, PipelineStartRequest
from pipelines.demo.facts import PipelineRun
from pipelines.local.executor.eventbridge import status_change_fields

LOG = logging.getLogger(__name__)


def step_of_type(record, step_type: str):
    """The (single) step record of a type in an execution, e.g. the RegisterModel or Lambda step."""
    matches = [step for step in record.steps if step.type == step_type]
    if len(matches) != 1:
        names = ", ".join(f"{step.name} ({step.type})" for step in record.steps)
        raise ValueError(f"execution {record.execution_arn} has {len(matches)} steps of type {step_type}, "
                         f"expected 1; its steps: {names}")
    return matches[0]


def output_parameters(properties: dict[str, Any]) -> dict[str, str]:
    """A Lambda step's OutputParameters, given as [{"Name", "Value"}] (the Describe shape) or as a mapping."""
    outputs = properties.get("OutputParameters", {})
    if isinstance(outputs, list):
        return {entry["Name"]: entry["Value"] for entry in outputs}
    return dict(outputs)


class StatusChangeRouter:
    """The executor's status-change hook: each change goes on the account's bus through the EventRouter.

    A pipeline target's start request is queued on the context (with the rule that asked for it) instead of
    being run inside the failing execution's callback.
    """

    def __init__(self, context: DemoContext, environment: str):
        from pipelines.local.events import EventRouter

        self.context, self.environment = context, environment
        self.router = EventRouter(start_pipeline=self._queue_start)
        self.previous: dict[str, str] = {}
        self._queued: list[PipelineStartRequest] = []

    def _queue_start(self, session, pipeline_arn: str, parameters: dict[str, str], role_arn: str | None) -> str:
        self._queued.append(PipelineStartRequest(self.environment, pipeline_arn, dict(parameters), role_arn or "",
                                                 rule=""))
        return f"(queued: the demo runs {pipeline_arn} next)"

    def __call__(self, description: dict[str, Any]) -> None:
        execution = description["PipelineExecutionArn"]
        fields = status_change_fields(description, self.previous.get(execution))
        self.previous[execution] = fields["current_status"]
        deliveries = self.router.publish_status_change(**fields)
        started = [delivery for delivery in deliveries if delivery.kind == "sagemaker-pipeline"]
        # The router calls start_pipeline once per pipeline delivery, in order: pair them to know each rule.
        for request, delivery in zip(self._queued, started, strict=True):
            self.context.pending_starts.append(dataclasses.replace(request, rule=delivery.rule_name))
        self._queued.clear()
        self.context.facts.deliveries.extend(str(delivery) for delivery in deliveries)


def executor_for(context: DemoContext, environment: str):
    from pipelines.local.executor.executor import LocalPipelineExecutor
    from pipelines.local.executor.store import ExecutionStore

    return LocalPipelineExecutor(context.session(environment), store=ExecutionStore(context.work_dir / "executions"),
                                 on_status_change=StatusChangeRouter(context, environment))


def run_pipeline(context: DemoContext, environment: str, pipeline_name: str, label: str,
                 parameters: dict[str, str] | None = None, started_by: str = "mlops-demo"):
    """Run a pipeline to its end in `environment`'s account; record it in the facts; return the record."""
    record = executor_for(context, environment).start(pipeline_name, parameters or {}, display_name=label)
    run = PipelineRun(
        label=label, environment=environment, pipeline_name=pipeline_name, execution_arn=record.execution_arn,
        status=record.status, failure_reason=record.failure_reason or "",
        parameters={name: str(value) for name, value in record.parameters.items()}, started_by=started_by,
    )
    context.facts.runs.append(run)
    return record, run
