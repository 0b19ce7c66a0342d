"""Running the upserted pipelines in one account of the local stack, the way the demo needs them run.

Each execution goes through the local executor; its status changes are put on that account's EventBridge bus
by the router, which evaluates the rules Terraform created there. A rule's SageMaker target does not run the
pipeline inside the failing execution's callback: like StartPipelineExecution it only records the request,
and the demo runs it as a step of its own, so the summary shows it with its account and timing.
"""

from __future__ import annotations

import logging
from typing import Any

from pipelines.demo.context import DemoContext, PipelineStartRequest
from pipelines.demo.facts import PipelineRun

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


def _queue_start(context: DemoContext, environment: str):
    def start_pipeline(session, pipeline_arn: str, parameters: dict[str, str], role_arn: str, rule: str = ""):
        request = PipelineStartRequest(environment, pipeline_arn, dict(parameters), role_arn, rule)
        LOG.info("EventBridge target asks to start %s in %s with %s", pipeline_arn, environment, parameters)
        context.pending_starts.append(request)
    return start_pipeline


def executor_for(context: DemoContext, environment: str):
    from pipelines.local.events import EventRouter

    from pipelines.local.executor.executor import LocalPipelineExecutor
    from pipelines.local.executor.store import ExecutionStore

    session = context.session(environment)
    router = EventRouter(lambda account_id: context.session(environment), _queue_start(context, environment))
    return LocalPipelineExecutor(session, store=ExecutionStore(context.work_dir / "executions"),
                                 on_status_change=lambda description: _route(router, session, description))


def _route(router, session, description: dict[str, Any]) -> None:
    for delivery in router.publish_status_change(session, description):
        LOG.info("EventBridge delivered: %s", delivery)


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
