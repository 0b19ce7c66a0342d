"""LocalPipelineExecutor: runs a SageMaker pipeline definition (the JSON that is upserted) on this machine.

The definition runs in ONE account of the local AWS stack, the account of the boto3 session given (inside the
stack: `localaws.inprocess.session`, as the pipeline's role). As in SageMaker, steps whose dependencies
are done run concurrently, at most ParallelismConfiguration.MaxParallelExecutionSteps of them per execution,
and container steps (processing, training, transform, quality check) at most one per CPU across the process;
a step whose dependency did not succeed, or that sits on the branch a Condition step did not take, is
NotExecuted; a failed step fails the execution while steps independent of it still run. `PreparedExecution.stop`
stops an execution: running steps end Stopped, steps not started NotExecuted, the execution Stopped.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import queue
import secrets
import shutil
import string
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from localaws.sagemaker_pipelines import policies, s3
from localaws.sagemaker_pipelines.errors import StepFailed, StepStopped
from localaws.sagemaker_pipelines.steps import STEP_HANDLERS
from localaws.sagemaker_pipelines.steps.base import StepContext, StepHandler
from localaws.sagemaker_pipelines.store import (
    EXECUTING,
    FAILED,
    NOT_EXECUTED,
    STARTING,
    STOPPED,
    STOPPING,
    SUCCEEDED,
    ExecutionRecord,
    ExecutionStore,
    StepRecord,
    now,
)
from pipelines.errors import MlopsError, UsageError
from pipelines.pipeline_definition.errors import ExpressionError, PipelineDefinitionError
from pipelines.pipeline_definition.expressions import ExpressionScope, evaluate, select
from pipelines.pipeline_definition.graph import StepNode, build_graph, sorter
from pipelines.pipeline_definition.parameters import resolve_parameters
from pipelines.pipeline_definition.step_checks import check_step, unsupported_steps

logger = logging.getLogger(__name__)

StatusChangeHook = Callable[[dict[str, Any], "str | None"], None]
"""Called with (DescribePipelineExecution response, previous status) whenever the execution status changes."""

StepChangeHook = Callable[[dict[str, Any], dict[str, Any], "str | None"], None]
"""Called with (DescribePipelineExecution response, the step's ListPipelineExecutionSteps entry, the step's
previous status) whenever a step's status changes."""

_ID_ALPHABET = string.ascii_lowercase + string.digits

DEFAULT_MAX_PARALLEL_STEPS = 50
"""MaxParallelExecutionSteps when neither the pipeline nor the execution sets a ParallelismConfiguration."""

CONTAINER_STEP_TYPES = frozenset({"Processing", "Training", "Tuning", "Transform", "QualityCheck"})
"""Steps that run a job's container; the others (Condition, Fail, Model, RegisterModel, Lambda) only call APIs."""

CONTAINER_SLOTS = threading.BoundedSemaphore(os.cpu_count() or 1)
"""Container steps running at once across every execution of this process: one per CPU."""

SLOT_POLL_SECONDS = 0.2


@dataclass
class PreparedExecution:
    """A validated execution, named but not started: its record (status Executing) and its steps."""

    record: ExecutionRecord
    nodes: list[StepNode]
    stop_requested: threading.Event = field(default_factory=threading.Event)
    earlier_attempts: dict[str, int] = field(default_factory=dict)
    """Steps a retry runs again, with how many times they ran before."""

    @property
    def max_parallel_steps(self) -> int:
        return self.record.max_parallel_steps or DEFAULT_MAX_PARALLEL_STEPS


class LocalPipelineExecutor:
    def __init__(
        self,
        session: boto3.Session,
        store: ExecutionStore,
        on_status_change: StatusChangeHook | None = None,
        handlers: Mapping[str, type[StepHandler]] | None = None,
        on_step_change: StepChangeHook | None = None,
        account_id: str | None = None,
        work_root: Path | None = None,
    ):
        """`work_root`: where job folders are made (one per step, removed when the step ends); default: temp."""
        self.session = session
        self.region = session.region_name or "us-east-1"
        self.store = store
        self.on_status_change = on_status_change
        self.on_step_change = on_step_change
        self.handler_classes = handlers or STEP_HANDLERS
        self._handlers: dict[str, StepHandler] = {}
        self._handlers_lock = threading.Lock()
        self.work_root = work_root
        self._account_id = account_id
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self._runs: dict[str, _ExecutionRun] = {}

    def handler(self, step_type: str) -> StepHandler:
        """The executor's one handler of `step_type`, made when a step of the type first runs."""
        with self._handlers_lock:
            if step_type not in self._handlers:
                self._handlers[step_type] = self.handler_classes[step_type]()
            return self._handlers[step_type]

    def role_environment(self) -> dict[str, str]:
        """What a job's process needs to call the stack as the pipeline's role: in SageMaker a container gets
        the role's credentials from its credential endpoint and its region in AWS_REGION; here the session's
        (assumed-role) credentials, the region and the stack's endpoint, as environment variables."""
        credentials = self.session.get_credentials().get_frozen_credentials()
        environment = {"AWS_ACCESS_KEY_ID": credentials.access_key, "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
                       "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region,
                       "AWS_ENDPOINT_URL": self.client("sts").meta.endpoint_url}
        if credentials.token:
            environment["AWS_SESSION_TOKEN"] = credentials.token
        return environment

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
            pipeline = sagemaker.describe_pipeline(PipelineName=name)
        except ClientError as error:  # AWS answers ResourceNotFound, moto ValidationException
            if error.response["Error"]["Code"] not in ("ResourceNotFound", "ValidationException"):
                raise
            raise UsageError(f"pipeline {name!r} does not exist in account {self.account_id}: "
                             "create it first") from None
        parallelism = pipeline.get("ParallelismConfiguration") or {}
        return self.prepare(pipeline["PipelineDefinition"], name, parameters, display_name,
                            pipeline_arn=pipeline["PipelineArn"], role_arn=pipeline.get("RoleArn"),
                            max_parallel_steps=parallelism.get("MaxParallelExecutionSteps"))

    def prepare(self, definition: str | Mapping[str, Any], pipeline_name: str,
                parameters: Mapping[str, Any] | None = None,
                display_name: str | None = None, *, pipeline_arn: str | None = None,
                description: str | None = None, role_arn: str | None = None,
                max_parallel_steps: int | None = None, client_request_token: str | None = None,
                ) -> PreparedExecution:
        """Validate everything that can be checked before a step runs and name the execution (nothing runs)."""
        document = _parse_definition(definition)
        nodes = build_graph(document)
        self._check_steps(nodes)
        values = resolve_parameters(document, parameters or {})
        execution_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        pipeline_arn = pipeline_arn or f"arn:aws:sagemaker:{self.region}:{self.account_id}:pipeline/{pipeline_name}"
        record = ExecutionRecord(
            execution_arn=f"{pipeline_arn}/execution/{execution_id}", execution_id=execution_id,
            pipeline_name=pipeline_name, pipeline_arn=pipeline_arn, account_id=self.account_id,
            parameters=values, display_name=display_name, description=description, region=self.region,
            role_arn=role_arn, max_parallel_steps=max_parallel_steps, client_request_token=client_request_token,
            definition=definition if isinstance(definition, str) else json.dumps(definition),
        )
        return PreparedExecution(record, nodes)

    def prepare_retry(self, record: ExecutionRecord, max_parallel_steps: int | None = None) -> PreparedExecution:
        """The same execution again: steps that succeeded keep their results, the others run again."""
        nodes = build_graph(_parse_definition(record.definition or ""))
        self._check_steps(nodes)
        earlier = {step.name: step.attempt_count for step in record.steps if step.status != SUCCEEDED}
        record.steps = [step for step in record.steps if step.status == SUCCEEDED]
        record.status, record.end_time, record.failure_reason = EXECUTING, None, None
        if max_parallel_steps is not None:
            record.max_parallel_steps = max_parallel_steps
        return PreparedExecution(record, nodes, earlier_attempts=earlier)

    def execute(self, prepared: PreparedExecution, previous_status: str | None = None) -> ExecutionRecord:
        """Run a prepared execution to its end in this thread; returns its record (Succeeded, Failed or Stopped).

        `previous_status`: the status before this run (a retry's Failed or Stopped), for the status-change event.
        """
        self.begin(prepared, previous_status)
        return self.run_to_end(prepared)

    def begin(self, prepared: PreparedExecution, previous_status: str | None = None) -> None:
        """Record the execution as Executing (saved and reported); from now on `stop` reaches it."""
        record = prepared.record
        run = _ExecutionRun(self, prepared)
        self._runs[record.execution_arn] = run
        with run.lock:
            self.store.save(record)
            self._status_changed(record, previous_status)
        logger.info("%s: execution %s started in account %s", record.pipeline_name, record.execution_id,
                    record.account_id)

    def run_to_end(self, prepared: PreparedExecution) -> ExecutionRecord:
        """Run the steps of an execution `begin` recorded, then record how it ended."""
        record = prepared.record
        run = self._runs[record.execution_arn]
        try:
            if self.work_root is not None:
                self.work_root.mkdir(parents=True, exist_ok=True)
            run.work_root = Path(tempfile.mkdtemp(prefix=f"{record.execution_id}-", dir=self.work_root))
            error = None
            try:
                run.run_steps()
            except Exception as raised:  # a bug in the executor: the record must not stay Executing
                logger.exception("execution %s: the executor failed", record.execution_arn)
                error = f"the local executor failed: {type(raised).__name__}: {raised}"
            finally:
                shutil.rmtree(run.work_root, ignore_errors=True)
            run.finish(error)
        finally:
            self._runs.pop(record.execution_arn, None)
        logger.info("%s: execution %s %s%s", record.pipeline_name, record.execution_id, record.status,
                    f" - {record.failure_reason}" if record.failure_reason else "")
        return record

    def stop(self, prepared: PreparedExecution) -> bool:
        """Ask a running execution to stop (status Stopping at once); False if it is not running here."""
        run = self._runs.get(prepared.record.execution_arn)
        if run is None:
            return False
        return run.request_stop()

    def describe_execution(self, execution: str) -> dict[str, Any]:
        return self.store.describe(execution)

    def list_execution_steps(self, execution: str, sort_order: str = "Descending") -> dict[str, Any]:
        return self.store.list_steps(execution, sort_order)

    def _check_steps(self, nodes: list[StepNode]) -> None:
        unsupported = unsupported_steps(nodes, self.handler_classes)
        if unsupported:
            raise PipelineDefinitionError(
                f"unsupported step type in step(s) {unsupported}; the local executor supports: "
                f"{', '.join(sorted(self.handler_classes))}")
        for node in nodes:
            check_step(node)
            policies.retry_policies(node)
            policies.cache_config(node)

    def _status_changed(self, record: ExecutionRecord, previous_status: str | None) -> None:
        if self.on_status_change is None:
            return
        try:
            self.on_status_change(record.to_description(), previous_status)
        except Exception:  # a status listener must never break the execution
            logger.exception("status-change listener failed for %s", record.execution_arn)

    def _step_changed(self, record: ExecutionRecord, step: StepRecord, previous_status: str | None) -> None:
        if self.on_step_change is None:
            return
        try:
            self.on_step_change(record.to_description(), step.to_summary(), previous_status)
        except Exception:  # as for status changes: a listener must never break the execution
            logger.exception("step-change listener failed for %s step %s", record.execution_arn, step.name)


@dataclass(frozen=True)
class _CacheHit:
    execution_arn: str
    step: StepRecord
    cache_source: str | None


class _ExecutionRun:
    """The running state of one execution: which steps finished how, and what expressions can see.

    Every change of the record happens under `lock` and is saved (and reported) before the lock is released,
    so readers and listeners see the changes in order.
    """

    def __init__(self, executor: LocalPipelineExecutor, prepared: PreparedExecution):
        self.executor, self.prepared = executor, prepared
        self.record, self.nodes = prepared.record, prepared.nodes
        self.nodes_by_name = {node.name: node for node in self.nodes}
        self.position = {node.name: index for index, node in enumerate(self.nodes)}
        self.lock = threading.RLock()
        self.property_files: dict[tuple[str, str], Any] = {}
        self.scope = ExpressionScope(
            parameters=self.record.parameters,
            execution_variables={
                "PipelineExecutionId": self.record.execution_id,
                "PipelineExecutionArn": self.record.execution_arn,
                "PipelineName": self.record.pipeline_name,
                "PipelineArn": self.record.pipeline_arn,
                "StartDateTime": self.record.creation_time,
                "CurrentDateTime": self.record.creation_time,
            },
            step_properties=self._step_properties,
            read_property_file=self._read_property_file,
            read_s3_json=lambda uri: json.loads(s3.read_bytes(self._s3, uri)),
        )
        # Execution variables stay symbolic in a cache key: an output path under the execution's id (the
        # SDK's default) is the same step in every execution.
        self.cache_scope = dataclasses.replace(self.scope, execution_variables={
            name: f"{{Execution.{name}}}" for name in self.scope.execution_variables})
        self._s3 = executor.client("s3")
        self.work_root: Path | None = None
        """The execution's job folder (set by LocalPipelineExecutor.execute); each step works in its own."""

    @property
    def stopping(self) -> bool:
        return self.prepared.stop_requested.is_set()

    def run_steps(self) -> None:
        """Start every step whose dependencies are done, as many at once as the execution allows."""
        graph = sorter(self.nodes)
        finished: queue.Queue[str] = queue.Queue()
        pending: list[StepNode] = []
        running = 0
        while graph.is_active():
            pending.extend(self.nodes_by_name[name] for name in graph.get_ready())
            pending.sort(key=lambda node: self.position[node.name])
            decided = False
            for node in list(pending):
                blocked_by = self._blocked_by(node)
                if blocked_by is not None:
                    if blocked_by:  # "" = succeeded in an earlier attempt (a retry): its results stay
                        self._not_executed(node, blocked_by)
                    pending.remove(node)
                    graph.done(node.name)
                    decided = True
                elif running < self.prepared.max_parallel_steps:
                    pending.remove(node)
                    step = self._starting(node)
                    running += 1
                    threading.Thread(target=self._run_and_report, args=(node, step, finished), daemon=True,
                                     name=f"{self.record.execution_id}-{node.name}"[:60]).start()
            if decided:
                continue  # the steps after those decided may be ready now
            if running == 0:
                raise RuntimeError(f"scheduler stalled with steps {[node.name for node in pending]} pending")
            name = finished.get()
            running -= 1
            graph.done(name)

    def _run_and_report(self, node: StepNode, step: StepRecord, finished: queue.Queue) -> None:
        try:
            self._run_step(node, step)
        finally:
            finished.put(node.name)

    def _blocked_by(self, node: StepNode) -> str | None:
        """Why the step does not run: None if it runs, "" if it already succeeded (a retry keeps it)."""
        own = self._record_of(node.name)
        if own is not None and own.status == SUCCEEDED:
            return ""
        if self.stopping:
            return "the execution is stopping"
        for dependency in node.depends_on:
            status = self._record_of(dependency).status
            if status != SUCCEEDED:
                return f"step {dependency} is {status}"
        if node.branch:
            condition = self._record_of(node.branch.condition_step)
            if condition.outcome != node.branch.outcome:
                return f"not on the branch condition {node.branch.condition_step} took"
        return None

    def _record_of(self, name: str) -> StepRecord | None:
        with self.lock:
            for step in self.record.steps:
                if step.name == name:
                    return step
        return None

    def _new_step(self, node: StepNode, status: str) -> StepRecord:
        """The step's record, listed from now on (steps are listed in the order they start or are skipped)."""
        step = StepRecord(node.name, node.type, status, display_name=node.definition.get("DisplayName"),
                          description=node.definition.get("Description"),
                          attempt_count=self.prepared.earlier_attempts.get(node.name, 0) + 1)
        with self.lock:
            self.record.steps.append(step)
            self._step_changed(step, None)
        return step

    def _not_executed(self, node: StepNode, reason: str) -> None:
        self._new_step(node, NOT_EXECUTED)
        logger.info("%s: step %s NotExecuted (%s)", self.record.pipeline_name, node.name, reason)

    def _starting(self, node: StepNode) -> StepRecord:
        return self._new_step(node, STARTING)

    def _run_step(self, node: StepNode, step: StepRecord) -> None:
        container = node.type in CONTAINER_STEP_TYPES
        if container and not self._acquire_container_slot():
            self._ended(node, step, STOPPED)
            return
        try:
            self._execute_step(node, step)
        finally:
            if container:
                CONTAINER_SLOTS.release()

    def _acquire_container_slot(self) -> bool:
        while not CONTAINER_SLOTS.acquire(timeout=SLOT_POLL_SECONDS):
            if self.stopping:
                return False
        return True

    def _execute_step(self, node: StepNode, step: StepRecord) -> None:
        with self.lock:
            if self.stopping:
                self._ended(node, step, STOPPED)
                return
            previous, step.status, step.start_time = step.status, EXECUTING, now()
            step.end_time = step.failure_reason = None
            self._step_changed(step, previous)
        logger.info("%s: step %s (%s) Executing", self.record.pipeline_name, node.name, node.type)
        status, reason, properties, metadata, outcome, jobs = FAILED, None, {}, {}, None, []
        cache = policies.cache_config(node)
        retry_policies = policies.retry_policies(node)
        first_failure, retries = None, 0
        while True:
            context = self._context(node)
            try:
                if cache is not None:
                    key = step.cache_key = policies.cache_key(node, evaluate(
                        node.definition.get("Arguments") or {}, self.cache_scope))
                    hit = self._cache_hit(node, key, cache)
                    if hit is not None:
                        step.cache_source = hit.cache_source or hit.execution_arn
                        status, properties, metadata = SUCCEEDED, hit.step.properties, hit.step.metadata
                        jobs = hit.step.training_jobs
                        logger.info("%s: step %s reuses the results of execution %s (cache hit)",
                                    self.record.pipeline_name, node.name, step.cache_source)
                        break
                result = self.executor.handler(node.type).run(context)
            except StepStopped:
                status = STOPPED
            except Exception as error:
                policy = policies.matching_policy(retry_policies, error)
                first_failure = first_failure or time.monotonic()
                if policy is not None and not self.stopping and retries < policy.max_attempts and (
                        policy.expire_after_minutes is None
                        or time.monotonic() - first_failure < policy.expire_after_minutes * 60):
                    retries += 1
                    delay = policy.delay(retries)
                    logger.info("%s: step %s failed (%s), retry %d in %.0f s", self.record.pipeline_name,
                                node.name, policies.exception_type(error), retries, delay)
                    with self.lock:  # the status does not change: saved, no status-change event
                        step.attempt_count += 1
                        self.executor.store.save(self.record)
                    if self.prepared.stop_requested.wait(delay):
                        status = STOPPED
                        break
                    continue
                reason, properties, metadata = self._failure(node, error)
            else:
                status, properties, metadata, outcome = SUCCEEDED, result.properties, result.metadata, result.outcome
                jobs = result.training_jobs
            finally:
                shutil.rmtree(context.work_dir, ignore_errors=True)
            break
        if status == FAILED and self.stopping:  # killed by the stop, not failed on its own
            status, reason = STOPPED, None
        self._ended(node, step, status, reason, properties, metadata, outcome, jobs)

    def _context(self, node: StepNode) -> StepContext:
        work_dir = Path(tempfile.mkdtemp(prefix=f"step-{self.position[node.name]:03d}-", dir=self.work_root))
        return StepContext(
            node=node, account_id=self.executor.account_id, region=self.executor.region,
            execution_id=self.record.execution_id, work_dir=work_dir, scope=self.scope, client=self.executor.client,
            stop=self.prepared.stop_requested, role_environment=self.executor.role_environment,
            execution_arn=self.record.execution_arn,
        )

    @staticmethod
    def _failure(node: StepNode, error: Exception) -> tuple[str, dict, dict]:
        """(reason, properties, metadata) the step keeps when it fails with `error`."""
        if isinstance(error, StepFailed):
            return error.reason, error.properties, error.metadata
        if isinstance(error, MlopsError):  # an expression or a call the step needs: the step fails, others go on
            return str(error), {}, {}
        logger.error("step %s raised", node.name, exc_info=error)  # a bug or an unexpected answer
        return f"{type(error).__name__}: {error}", {}, {}

    def _cache_hit(self, node: StepNode, key: str, cache: policies.CacheConfig) -> _CacheHit | None:
        """The latest Succeeded run of this step in another execution of the pipeline with the same key."""
        oldest = (datetime.now(UTC) - cache.expire_after).isoformat(timespec="milliseconds") \
            if cache.expire_after is not None else ""
        for record in self.executor.store.list(self.record.pipeline_arn):
            if record.execution_arn == self.record.execution_arn:
                continue
            for earlier in record.steps:
                if (earlier.name == node.name and earlier.status == SUCCEEDED and earlier.cache_key == key
                        and (earlier.end_time or "") >= oldest):
                    return _CacheHit(record.execution_arn, earlier, earlier.cache_source)
        return None

    def _ended(self, node: StepNode, step: StepRecord, status: str, reason: str | None = None,
               properties: dict | None = None, metadata: dict | None = None, outcome: bool | None = None,
               training_jobs: list | None = None) -> None:
        with self.lock:
            previous = step.status
            step.status, step.failure_reason, step.end_time = status, reason, now()
            step.properties, step.metadata, step.outcome = properties or {}, metadata or {}, outcome
            step.training_jobs = training_jobs or []
            self._step_changed(step, previous)
        logger.info("%s: step %s %s%s", self.record.pipeline_name, node.name, step.status,
                    f" - {step.failure_reason}" if step.failure_reason else "")

    def request_stop(self) -> bool:
        """Status Stopping, running steps Stopping, then every running step is told to stop."""
        with self.lock:
            if self.record.status != EXECUTING:
                return False
            previous, self.record.status = self.record.status, STOPPING
            self.executor.store.save(self.record)
            self.executor._status_changed(self.record, previous)
            for step in self.record.steps:
                if step.status in (STARTING, EXECUTING):
                    previous_step, step.status = step.status, STOPPING
                    self._step_changed(step, previous_step)
            self.prepared.stop_requested.set()
        logger.info("%s: execution %s Stopping", self.record.pipeline_name, self.record.execution_id)
        return True

    def finish(self, error: str | None = None) -> None:
        with self.lock:
            record = self.record
            previous = record.status
            failed = [step for step in record.steps if step.status == FAILED]
            if error:
                record.status, record.failure_reason = FAILED, error
            elif self.stopping:
                record.status = STOPPED
            elif failed:
                record.status = FAILED
                record.failure_reason = f"Step '{failed[0].name}' failed: {failed[0].failure_reason}"
            else:
                record.status = SUCCEEDED
            record.end_time = now()
            self.executor.store.save(record)
            self.executor._status_changed(record, previous)

    def _step_changed(self, step: StepRecord, previous_status: str | None) -> None:
        with self.lock:
            self.executor.store.save(self.record)
            self.executor._step_changed(self.record, step, previous_status)

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
