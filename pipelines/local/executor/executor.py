"""LocalPipelineExecutor: runs a SageMaker pipeline definition (the JSON that is upserted) on this machine.

The definition runs in ONE account of the local AWS stack, the account of the boto3 session given (get it
from `pipelines.aws.session_for_account`). Steps run one at a time in topological order; a step whose
dependency did not succeed, or that sits on the branch a Condition step did not take, is NotExecuted; a failed
step fails the execution while steps independent of it still run - as SageMaker does.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import string
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from pipelines.errors import MlopsError, UsageError
from pipelines.local.executor import s3
from pipelines.local.executor.errors import ExpressionError, PipelineDefinitionError, StepFailed
from pipelines.local.executor.expressions import ExpressionScope, select
from pipelines.local.executor.graph import StepNode, build_graph
from pipelines.local.executor.steps import STEP_HANDLERS
from pipelines.local.executor.steps.base import StepContext, StepHandler
from pipelines.local.executor.store import (
    EXECUTING,
    FAILED,
    NOT_EXECUTED,
    STOPPED,
    SUCCEEDED,
    ExecutionRecord,
    ExecutionStore,
    StepRecord,
    now,
)

logger = logging.getLogger(__name__)

StatusChangeHook = Callable[[dict[str, Any]], None]
"""Called with the DescribePipelineExecution-shaped description whenever the execution status changes."""

StepChangeHook = Callable[[str, str, dict[str, Any]], None]
"""Called with (step name, new status, its ListPipelineExecutionSteps entry) whenever a step's status changes."""

_ID_ALPHABET = string.ascii_lowercase + string.digits


@dataclass
class PreparedExecution:
    """A validated execution, named but not started: its record (status Executing) and its ordered steps."""

    record: ExecutionRecord
    nodes: list[StepNode]


class LocalPipelineExecutor:
    def __init__(
        self,
        session: boto3.Session,
        store: ExecutionStore | None = None,
        on_status_change: StatusChangeHook | None = None,
        handlers: Mapping[str, type[StepHandler]] | None = None,
        on_step_change: StepChangeHook | None = None,
    ):
        self.session = session
        self.region = session.region_name or "us-east-1"
        self.store = store if store is not None else ExecutionStore()
        self.on_status_change = on_status_change
        self.on_step_change = on_step_change
        self.handlers = {step_type: handler() for step_type, handler in (handlers or STEP_HANDLERS).items()}
        self._account_id: str | None = None
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    def client(self, service: str):
        """The session's client for `service`, created once: creating clients costs more than most calls."""
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = self.session.client(service, region_name=self.region)
            return self._clients[service]

    @property
    def account_id(self) -> str:
        if self._account_id is None:
            self._account_id = self.client("sts").get_caller_identity()["Account"]
        return self._account_id

    def start(self, pipeline_name: str, parameters: Mapping[str, Any] | None = None,
              display_name: str | None = None) -> ExecutionRecord:
        """Run the pipeline as it is stored in the account (the upserted definition); returns the finished record."""
        return self.execute(self.prepare_start(pipeline_name, parameters, display_name))

    def run_definition(self, definition: str | Mapping[str, Any], pipeline_name: str,
                       parameters: Mapping[str, Any] | None = None,
                       display_name: str | None = None) -> ExecutionRecord:
        """Run `definition` to its end; returns the record (status Succeeded or Failed).

        Raises PipelineDefinitionError/UsageError - before anything runs - for an unsupported step type, a
        reference to an unknown step, a cycle or a bad parameter value.
        """
        return self.execute(self.prepare(definition, pipeline_name, parameters, display_name))

    def prepare_start(self, pipeline_name: str, parameters: Mapping[str, Any] | None = None,
                      display_name: str | None = None) -> PreparedExecution:
        """`prepare` the definition stored in the account under `pipeline_name` (a name or a pipeline ARN)."""
        name = pipeline_name.rsplit("/", 1)[-1]
        sagemaker = self.client("sagemaker")
        try:
            definition = sagemaker.describe_pipeline(PipelineName=name)["PipelineDefinition"]
        except ClientError as error:  # AWS answers ResourceNotFound, moto ValidationException
            if error.response["Error"]["Code"] not in ("ResourceNotFound", "ValidationException"):
                raise
            raise UsageError(f"pipeline {name!r} does not exist in account {self.account_id}: "
                             "upsert it first (run-pipeline --local)") from None
        return self.prepare(definition, name, parameters, display_name)

    def prepare(self, definition: str | Mapping[str, Any], pipeline_name: str,
                parameters: Mapping[str, Any] | None = None,
                display_name: str | None = None) -> PreparedExecution:
        """Validate everything that can be checked before a step runs and name the execution (nothing runs)."""
        document = _parse_definition(definition)
        nodes = build_graph(document)
        self._check_steps(nodes)
        values = resolve_parameters(document, parameters or {})
        execution_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        pipeline_arn = f"arn:aws:sagemaker:{self.region}:{self.account_id}:pipeline/{pipeline_name.lower()}"
        record = ExecutionRecord(
            execution_arn=f"{pipeline_arn}/execution/{execution_id}", execution_id=execution_id,
            pipeline_name=pipeline_name, pipeline_arn=pipeline_arn, account_id=self.account_id,
            parameters=values, display_name=display_name,
        )
        return PreparedExecution(record, nodes)

    def execute(self, prepared: PreparedExecution) -> ExecutionRecord:
        """Run a prepared execution to its end; returns its record (status Succeeded or Failed)."""
        record = prepared.record
        self.store.save(record)
        logger.info("%s: execution %s started in account %s", record.pipeline_name, record.execution_id,
                    self.account_id)
        self._status_changed(record)

        with tempfile.TemporaryDirectory(prefix=f"mlops-execution-{record.execution_id}-") as work_root:
            run = _ExecutionRun(self, record, prepared.nodes, Path(work_root))
            try:
                run.run_steps()
            except KeyboardInterrupt:  # the record must not stay Executing forever
                self._stopped(record)
                raise

        failed = [step for step in record.steps if step.status == FAILED]
        record.status = FAILED if failed else SUCCEEDED
        if failed:
            record.failure_reason = f"Step '{failed[0].name}' failed: {failed[0].failure_reason}"
        record.end_time = now()
        self.store.save(record)
        logger.info("%s: execution %s %s%s", record.pipeline_name, record.execution_id, record.status,
                    f" - {record.failure_reason}" if record.failure_reason else "")
        self._status_changed(record)
        return record

    def _stopped(self, record: ExecutionRecord) -> None:
        for step in record.steps:
            if step.status == EXECUTING:
                step.status, step.end_time, step.failure_reason = STOPPED, now(), "interrupted"
        record.status, record.end_time, record.failure_reason = STOPPED, now(), "interrupted on this machine"
        self.store.save(record)
        logger.warning("%s: execution %s Stopped (interrupted)", record.pipeline_name, record.execution_id)

    def describe_execution(self, execution: str) -> dict[str, Any]:
        return self.store.describe(execution)

    def list_execution_steps(self, execution: str, sort_order: str = "Descending") -> dict[str, Any]:
        return self.store.list_steps(execution, sort_order)

    def _check_steps(self, nodes: list[StepNode]) -> None:
        unsupported = [node for node in nodes if node.type not in self.handlers]
        if unsupported:
            names = ", ".join(f"{node.name!r} ({node.type})" for node in unsupported)
            raise PipelineDefinitionError(
                f"unsupported step type in step(s) {names}; the local executor supports: "
                f"{', '.join(sorted(self.handlers))}")
        for node in nodes:
            self.handlers[node.type].check(node)

    def _status_changed(self, record: ExecutionRecord) -> None:
        if self.on_status_change is not None:
            self.on_status_change(record.to_description())


class _ExecutionRun:
    """The running state of one execution: which steps finished how, and what expressions can see."""

    def __init__(self, executor: LocalPipelineExecutor, record: ExecutionRecord, nodes: list[StepNode],
                 work_root: Path):
        self.executor, self.record, self.nodes, self.work_root = executor, record, nodes, work_root
        self.nodes_by_name = {node.name: node for node in nodes}
        self.outcomes: dict[str, bool] = {}
        self.property_files: dict[tuple[str, str], Any] = {}
        self.scope = ExpressionScope(
            parameters=record.parameters,
            execution_variables={
                "PipelineExecutionId": record.execution_id,
                "PipelineExecutionArn": record.execution_arn,
                "PipelineName": record.pipeline_name,
                "PipelineArn": record.pipeline_arn,
                "StartDateTime": record.creation_time,
                "CurrentDateTime": record.creation_time,
            },
            step_properties=self._step_properties,
            read_property_file=self._read_property_file,
            read_s3_json=lambda uri: json.loads(s3.read_bytes(self._s3, uri)),
        )
        self._s3 = executor.client("s3")

    def run_steps(self) -> None:
        finished: dict[str, StepRecord] = {}
        for node in self.nodes:
            step = StepRecord(node.name, node.type)
            self.record.steps.append(step)
            finished[node.name] = step
            blocked_by = self._blocked_by(node, finished)
            if blocked_by:
                step.status = NOT_EXECUTED
                logger.info("%s: step %s NotExecuted (%s)", self.record.pipeline_name, node.name, blocked_by)
                self._step_changed(step)
                continue
            self._run_step(node, step)

    def _blocked_by(self, node: StepNode, finished: Mapping[str, StepRecord]) -> str | None:
        for dependency in node.depends_on:
            if finished[dependency].status != SUCCEEDED:
                return f"step {dependency} is {finished[dependency].status}"
        if node.branch and self.outcomes.get(node.branch.condition_step) != node.branch.outcome:
            return f"not on the branch condition {node.branch.condition_step} took"
        return None

    def _run_step(self, node: StepNode, step: StepRecord) -> None:
        step.status, step.start_time = EXECUTING, now()
        self._step_changed(step)
        logger.info("%s: step %s (%s) Executing", self.record.pipeline_name, node.name, node.type)
        work_dir = self.work_root / f"step-{len(self.record.steps):03d}"
        work_dir.mkdir()
        context = StepContext(
            node=node, account_id=self.executor.account_id, region=self.executor.region,
            execution_id=self.record.execution_id, work_dir=work_dir, scope=self.scope, client=self.executor.client,
        )
        try:
            result = self.executor.handlers[node.type].run(context)
        except StepFailed as failure:
            step.status, step.failure_reason = FAILED, failure.reason
            step.properties, step.metadata = failure.properties, failure.metadata
        except MlopsError as error:  # an expression or a call the step needs: the step fails, others continue
            step.status, step.failure_reason = FAILED, str(error)
        except Exception as error:  # a bug or an unexpected answer: keep the traceback in the log
            logger.exception("step %s raised", node.name)
            step.status, step.failure_reason = FAILED, f"{type(error).__name__}: {error}"
        else:
            step.status, step.properties, step.metadata = SUCCEEDED, result.properties, result.metadata
            if result.outcome is not None:
                self.outcomes[node.name] = result.outcome
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
        step.end_time = now()
        self._step_changed(step)
        logger.info("%s: step %s %s%s", self.record.pipeline_name, node.name, step.status,
                    f" - {step.failure_reason}" if step.failure_reason else "")

    def _step_changed(self, step: StepRecord) -> None:
        self.executor.store.save(self.record)
        if self.executor.on_step_change is not None:
            self.executor.on_step_change(step.name, step.status, step.to_summary())

    def _step_properties(self, name: str) -> Mapping[str, Any]:
        for step in self.record.steps:
            if step.name == name and step.status == SUCCEEDED:
                return step.properties
        if name not in self.nodes_by_name:
            raise ExpressionError(f"reference to unknown step {name!r}")
        raise ExpressionError(f"step {name!r} has not succeeded, its properties are not available")

    def _read_property_file(self, step_name: str, file_name: str) -> Any:
        key = (step_name, file_name)
        if key not in self.property_files:
            node = self.nodes_by_name.get(step_name)
            declared = {entry.get("PropertyFileName"): entry for entry in (node.definition.get("PropertyFiles") or [])
                        } if node else {}
            if file_name not in declared:
                raise ExpressionError(f"step {step_name!r} declares no property file {file_name!r} "
                                      f"(it declares: {', '.join(map(str, declared)) or 'none'})")
            entry = declared[file_name]
            outputs = self._step_properties(step_name)
            uri = select(outputs, f"ProcessingOutputConfig.Outputs['{entry['OutputName']}'].S3Output.S3Uri",
                         f"Steps.{step_name}")
            file_uri = f"{uri.rstrip('/')}/{entry['FilePath']}"
            try:
                self.property_files[key] = json.loads(s3.read_bytes(self._s3, file_uri))
            except json.JSONDecodeError as error:
                raise ExpressionError(f"property file {step_name}.{file_name} ({file_uri}) is not JSON: {error}"
                                      ) from None
        return self.property_files[key]


def _parse_definition(definition: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(definition, Mapping):
        return definition
    try:
        document = json.loads(definition)
    except json.JSONDecodeError as error:
        raise PipelineDefinitionError(f"the pipeline definition is not valid JSON: {error}") from None
    if not isinstance(document, Mapping):
        raise PipelineDefinitionError("the pipeline definition must be a JSON object")
    return document


_PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")


def resolve_parameters(definition: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Values of the declared parameters: given (as text, as StartPipelineExecution passes them) or default."""
    declared = {parameter.get("Name"): parameter for parameter in definition.get("Parameters") or []}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise UsageError(f"unknown pipeline parameter(s) {', '.join(unknown)}: "
                         f"the pipeline declares {', '.join(map(str, declared)) or 'none'}")
    values: dict[str, Any] = {}
    for name, parameter in declared.items():
        kind = parameter.get("Type", "String")
        if kind not in _PARAMETER_TYPES:
            raise PipelineDefinitionError(f"parameter {name!r} has unsupported type {kind!r}: "
                                          f"use one of {', '.join(_PARAMETER_TYPES)}")
        value = given[name] if name in given else parameter.get("DefaultValue")
        if value is None:
            raise UsageError(f"pipeline parameter {name!r} has no default value: pass it (--parameter {name}=...)")
        values[name] = _cast_parameter(name, kind, value)
        allowed = parameter.get("EnumValues")
        if allowed and values[name] not in allowed:
            raise UsageError(f"pipeline parameter {name!r} is {values[name]!r}: use one of {', '.join(allowed)}")
    return values


def _cast_parameter(name: str, kind: str, value: Any) -> Any:
    try:
        if kind == "Integer":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if kind == "Float":
            return float(value)
        if kind == "Boolean":
            if isinstance(value, bool):
                return value
            if str(value).lower() not in ("true", "false"):
                raise ValueError(value)
            return str(value).lower() == "true"
        return str(value)
    except ValueError:
        raise UsageError(f"pipeline parameter {name!r} must be of type {kind}, got {value!r}") from None
