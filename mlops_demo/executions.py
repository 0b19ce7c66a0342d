"""Pipeline executions as the demo sees them: through the SageMaker API of the local stack, like any client.

An execution is started with StartPipelineExecution (or by an EventBridge rule inside the stack: a schedule, a
failure rule) and followed with DescribePipelineExecution and ListPipelineExecutionSteps. What a step produced
is read from its ListPipelineExecutionSteps metadata, in AWS's shapes (RegisterModel.Arn, Lambda.OutputParameters,
QualityCheck.ViolationReport, ...).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from mlops_demo.context import DemoContext
from mlops_demo.facts import PipelineRun
from pipelines.execution import PipelineExecution

LOG = logging.getLogger(__name__)

# A rule's target starts its execution while the event is delivered; this bounds how long the demo looks for it.
FIND_STARTED_SECONDS = 30.0


@dataclass(frozen=True)
class FinishedExecution:
    """DescribePipelineExecution, ListPipelineExecutionSteps (oldest first) and ListPipelineParametersForExecution
    of an execution that ended."""

    description: dict[str, Any]
    steps: list[dict[str, Any]]
    parameters: dict[str, str]

    @property
    def arn(self) -> str:
        return self.description["PipelineExecutionArn"]

    @property
    def execution_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def status(self) -> str:
        return self.description["PipelineExecutionStatus"]

    @property
    def failure_reason(self) -> str:
        return self.description.get("FailureReason") or ""

    def step_metadata(self, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the step entry, its metadata of that kind) of the one step whose metadata is of `kind`."""
        matches = [step for step in self.steps if kind in (step.get("Metadata") or {})]
        if len(matches) != 1:
            names = ", ".join(f"{step['StepName']} ({', '.join(step.get('Metadata') or {}) or '-'})"
                              for step in self.steps)
            raise ValueError(f"execution {self.arn} has {len(matches)} steps with {kind} metadata, expected 1; "
                             f"its steps: {names}")
        return matches[0], matches[0]["Metadata"][kind]


def output_parameters(metadata: dict[str, Any]) -> dict[str, str]:
    """A Lambda step's OutputParameters ([{"Name", "Value"}] in the step metadata) as a mapping."""
    return {entry["Name"]: entry["Value"] for entry in metadata.get("OutputParameters", [])}


def _follow(context: DemoContext, environment: str, arn: str) -> FinishedExecution:
    sagemaker = context.session(environment).client("sagemaker")
    execution = PipelineExecution(sagemaker, arn, poll_seconds=context.require_target().poll_seconds)

    def log_step(step: str, status: str, entry: dict[str, Any]) -> None:
        reason = f" ({entry['FailureReason']})" if entry.get("FailureReason") else ""
        LOG.info("%s: step %s %s%s", arn.rsplit("/", 3)[-3], step, status, reason)

    description = execution.wait(on_step_change=log_step)
    pages = sagemaker.get_paginator("list_pipeline_parameters_for_execution").paginate(PipelineExecutionArn=arn)
    parameters = {entry["Name"]: entry["Value"] for page in pages for entry in page["PipelineParameters"]}
    return FinishedExecution(description, execution.steps(), parameters)


def _record(context: DemoContext, environment: str, pipeline_name: str, label: str, finished: FinishedExecution,
            started_by: str) -> PipelineRun:
    run = PipelineRun(label=label, environment=environment, pipeline_name=pipeline_name,
                      execution_arn=finished.arn, status=finished.status, failure_reason=finished.failure_reason,
                      parameters=finished.parameters, started_by=started_by)
    context.facts.runs.append(run)
    return run


def run_pipeline(context: DemoContext, environment: str, pipeline_name: str, label: str,
                 parameters: dict[str, str] | None = None) -> tuple[FinishedExecution, PipelineRun]:
    """Start a pipeline with StartPipelineExecution in `environment` and follow it to its end."""
    execution = PipelineExecution.start(context.session(environment), pipeline_name, parameters or {},
                                        display_name=label)
    finished = _follow(context, environment, execution.arn)
    return finished, _record(context, environment, pipeline_name, label, finished, "mlops-demo")


def execution_arns(context: DemoContext, environment: str, pipeline_name: str) -> set[str]:
    """Every execution of the pipeline the account's SageMaker lists."""
    pages = context.session(environment).client("sagemaker").get_paginator("list_pipeline_executions").paginate(
        PipelineName=pipeline_name)
    return {summary["PipelineExecutionArn"] for page in pages for summary in page["PipelineExecutionSummaries"]}


def follow_started(context: DemoContext, environment: str, pipeline_name: str, known: set[str], label: str,
                   ) -> tuple[FinishedExecution, PipelineRun]:
    """Follow the one execution of `pipeline_name` that is not in `known` (an EventBridge rule started it)."""
    deadline = time.monotonic() + FIND_STARTED_SECONDS
    while True:
        new = execution_arns(context, environment, pipeline_name) - known
        if len(new) > 1:
            raise ValueError(f"expected one new execution of {pipeline_name}, found {len(new)}: {sorted(new)}")
        if new:
            break
        if time.monotonic() > deadline:
            raise ValueError(f"no new execution of {pipeline_name} in {environment} within "
                             f"{FIND_STARTED_SECONDS:.0f}s: no rule started it")
        time.sleep(0.2)
    arn = new.pop()
    finished = _follow(context, environment, arn)
    return finished, _record(context, environment, pipeline_name, label, finished,
                             started_by=_started_by(context, environment, arn))


def _started_by(context: DemoContext, environment: str, execution_arn: str) -> str:
    """The EventBridge rule whose delivery started the execution (from the stack's delivery log)."""
    from localaws.tools.stack import read_deliveries

    deliveries = read_deliveries(context.require_target().endpoint, context.config(environment).account_id)
    context.facts.deliveries.extend(_describe_delivery(delivery) for delivery in deliveries
                                    if _describe_delivery(delivery) not in context.facts.deliveries)
    rules = [delivery["rule"] for delivery in deliveries if execution_arn in str(delivery.get("detail", ""))]
    if len(rules) != 1:
        raise ValueError(f"expected one EventBridge delivery to have started {execution_arn}, found {len(rules)}")
    return f"EventBridge rule {rules[0]}"


def _describe_delivery(delivery: dict[str, Any]) -> str:
    return f"rule {delivery['rule']} -> {delivery['kind']} {delivery['target_arn']}: {delivery['detail']}"
