"""Pipeline executions inside the local stack server: what StartPipelineExecution and friends do.

One `PipelineExecutionService` per server process (`execution_service()`). `start` reads the pipeline that
CreatePipeline stored in moto's backend of the account and region (definition, RoleArn,
ParallelismConfiguration), validates the definition before anything runs, records the execution (Executing)
and runs it on a worker thread with an in-process session acting as the pipeline's role. Every execution and
step status change is put on the account's default event bus (localaws.events.delivery).

Records live under `<state dir>/executions`, job folders under `<state dir>/jobs`. When the service opens a
state folder, executions that were still running when the previous server died become Failed, with a reason
that says so, and the job folders they left are removed.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ConflictException, ResourceNotFound, ValidationError

from localaws import inprocess
from localaws.events import delivery
from localaws.sagemaker_pipelines import containers
from localaws.sagemaker_pipelines.executor import LocalPipelineExecutor, PreparedExecution
from localaws.sagemaker_pipelines.store import (
    EXECUTING,
    FAILED,
    RUNNING_STATUSES,
    STARTING,
    STOPPED,
    STOPPING,
    ExecutionRecord,
    ExecutionStore,
    now,
)
from pipelines.errors import MlopsError

logger = logging.getLogger(__name__)

STOPPED_WITH_STACK = "The local stack stopped while the execution was running"
RETRYABLE_STATUSES = (FAILED, STOPPED)
EXECUTOR_REUSE_SECONDS = 15 * 60  # well within the one hour an assumed-role session lasts
_PIPELINE_MARKER = ":pipeline/"


@dataclass
class _Running:
    executor: LocalPipelineExecutor
    prepared: PreparedExecution
    thread: threading.Thread


class PipelineExecutionService:
    def __init__(self, state_dir: Path | str):
        self.state_dir = Path(state_dir)
        self.jobs_dir = self.state_dir / "jobs"
        shutil.rmtree(self.jobs_dir, ignore_errors=True)  # left by a server that died mid-step
        self.jobs_dir.mkdir(parents=True)
        self.store = ExecutionStore(self.state_dir / "executions")
        self._running: dict[str, _Running] = {}
        self._tokens: dict[tuple[str, str], str] = {}
        self._executors: dict[tuple[str, str, str | None], tuple[float, LocalPipelineExecutor]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._muted = False
        self._interrupted: list[tuple[dict[str, Any], str]] = []
        """Executions failed by `_fail_interrupted`: their status-change events, sent by `announce_interrupted`."""
        self._fail_interrupted()

    # -- the API ---------------------------------------------------------------------------------------------

    def start(self, account_id: str, region: str, pipeline: str, parameters: Mapping[str, str],
              display_name: str | None = None, role_arn: str | None = None, description: str | None = None,
              client_request_token: str | None = None, max_parallel_steps: int | None = None) -> str:
        """Start the stored pipeline (a name or an ARN; an ARN's account and region win); the execution ARN."""
        account_id, region, name = _pipeline_location(pipeline, account_id, region)
        stored = _stored_pipeline(account_id, region, name)
        if client_request_token:
            with self._lock:
                known = self._tokens.get((stored.arn, client_request_token))
            if known is not None:  # idempotent: the same token starts the execution once
                return known
        parallelism = max_parallel_steps or (stored.parallelism_configuration or {}).get("MaxParallelExecutionSteps")
        role = role_arn or stored.role_arn
        executor = self._executor(account_id, region, role, stored.arn)
        try:
            prepared = executor.prepare(
                stored.pipeline_definition, stored.pipeline_name, dict(parameters), display_name,
                pipeline_arn=stored.arn, description=description, role_arn=role,
                max_parallel_steps=parallelism, client_request_token=client_request_token)
        except MlopsError as error:
            raise ValidationError(str(error)) from None
        stored.last_execution_time = utcnow()
        arn = prepared.record.execution_arn
        if client_request_token:
            with self._lock:
                self._tokens[(stored.arn, client_request_token)] = arn
        self._launch(executor, prepared, None)
        return arn

    def stop(self, account_id: str, region: str, execution_arn: str) -> str:
        record = self._record(account_id, region, execution_arn)
        with self._lock:
            running = self._running.get(record.execution_arn)
        if running is None or not running.executor.stop(running.prepared):
            record = self.store.get(record.execution_arn)  # as it is now: it may have just ended
            if record.status in (STOPPING, STOPPED):
                return record.execution_arn  # stopping twice is not an error
            raise ConflictException(f"Pipeline execution {record.execution_arn} is in status "
                                    f"{record.status} and cannot be stopped: only an Executing one can")
        return record.execution_arn

    def update(self, account_id: str, region: str, execution_arn: str, display_name: str | None = None,
               description: str | None = None) -> str:
        """UpdatePipelineExecution: a new display name or description, also while the execution runs."""
        record = self._record(account_id, region, execution_arn)
        with self._lock:
            running = self._running.get(record.execution_arn)
        # A running execution's own record is the one its executor keeps saving: change that one.
        changed = running.prepared.record if running is not None else record
        if display_name is not None:
            changed.display_name = display_name
        if description is not None:
            changed.description = description
        self.store.save(changed)
        return record.execution_arn

    def retry(self, account_id: str, region: str, execution_arn: str, max_parallel_steps: int | None = None) -> str:
        record = self._record(account_id, region, execution_arn)
        if record.status not in RETRYABLE_STATUSES:
            raise ConflictException(f"Pipeline execution {record.execution_arn} is in status {record.status}: "
                                    f"only a {' or '.join(RETRYABLE_STATUSES)} execution can be retried")
        with self._lock:
            if record.execution_arn in self._running:
                raise ConflictException(f"Pipeline execution {record.execution_arn} is still finishing")
        previous = record.status
        executor = self._executor(record.account_id, record.region, record.role_arn, record.pipeline_arn)
        try:
            prepared = executor.prepare_retry(record, max_parallel_steps)
        except MlopsError as error:
            raise ValidationError(str(error)) from None
        self._launch(executor, prepared, previous)
        return record.execution_arn

    def describe(self, account_id: str, region: str, execution_arn: str) -> ExecutionRecord:
        return self._record(account_id, region, execution_arn)

    def executions(self, account_id: str, region: str, pipeline: str) -> list[ExecutionRecord]:
        """The pipeline's executions, newest first; ResourceNotFound when the pipeline does not exist."""
        account_id, region, name = _pipeline_location(pipeline, account_id, region)
        stored = _stored_pipeline(account_id, region, name)
        return self.store.list(stored.arn)

    def tuning_job(self, account_id: str, region: str, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A tuning job a Tuning step ran: (DescribeHyperParameterTuningJob answer, its training jobs'
        DescribeTrainingJob answers); ResourceNotFound with AWS's message otherwise."""
        for step in self._steps(account_id, region):
            if step.type == "Tuning" and step.properties.get("HyperParameterTuningJobName") == name:
                description = {k: v for k, v in step.properties.items() if k != "TrainingJobSummaries"}
                return description, step.training_jobs
        raise ResourceNotFound(f"Amazon SageMaker can't find a tuning job with name {name}")

    def training_job(self, account_id: str, region: str, name: str) -> dict[str, Any] | None:
        """The DescribeTrainingJob answer of a training job a Training or Tuning step ran, or None."""
        for step in self._steps(account_id, region):
            if step.type == "Training" and step.properties.get("TrainingJobName") == name:
                return step.properties
            for job in step.training_jobs:
                if job.get("TrainingJobName") == name:
                    return job
        return None

    def _steps(self, account_id: str, region: str):
        for record in self.store.list():
            if (record.account_id, record.region) == (account_id, region):
                yield from record.steps

    def delete_pipeline(self, account_id: str, region: str, pipeline: str) -> None:
        """Before DeletePipeline: refused while an execution runs; afterwards its executions are gone."""
        account_id, region, name = _pipeline_location(pipeline, account_id, region)
        stored = _stored_pipeline(account_id, region, name)
        records = self.store.list(stored.arn)
        running = [record.execution_arn for record in records if record.status in RUNNING_STATUSES]
        if running:
            raise ConflictException(f"Pipeline {stored.arn} has running executions ({', '.join(running)}): "
                                    "stop them (StopPipelineExecution) before deleting the pipeline")
        for record in records:
            self.store.delete(record.execution_arn)

    def reset(self) -> None:
        """After moto's reset: running executions are stopped and every execution is forgotten."""
        with self._lock:
            running = list(self._running.values())
        self._muted = True  # what the stopped executions report is forgotten with them
        for entry in running:
            entry.executor.stop(entry.prepared)
        for entry in running:
            entry.thread.join(timeout=30)
        for record in self.store.list():
            self.store.delete(record.execution_arn)
        self._muted = False
        with self._lock:
            self._tokens.clear()
            self._executors.clear()  # their role sessions were reset with STS

    def close(self) -> None:
        """The server is stopping: end container processes; records stay as they are (the next start fails
        the running ones)."""
        self._closed = True
        self.store.closed = True
        containers.terminate_all()

    # -- running ---------------------------------------------------------------------------------------------

    def _executor(self, account_id: str, region: str, role_arn: str | None, pipeline_arn: str) -> LocalPipelineExecutor:
        """The executor acting as `role_arn` in the account, reused while its role session is fresh: an assumed
        role and the clients of a session cost more than a short execution. SageMaker assumes the role for the
        pipeline (aws:SourceArn), so the role's trust policy decides as in AWS."""
        key = (account_id, region, role_arn, pipeline_arn)
        with self._lock:
            cached = self._executors.get(key)
            if cached is not None and time.monotonic() - cached[0] < EXECUTOR_REUSE_SECONDS:
                return cached[1]
        try:
            session = inprocess.session(account_id, region, role_arn=role_arn,
                                        service=inprocess.SAGEMAKER_PRINCIPAL, source_arn=pipeline_arn)
        except (ClientError, BotoCoreError) as error:  # e.g. a role ARN STS refuses
            raise ValidationError(f"cannot act as the pipeline's role {role_arn}: {error}") from None
        executor = LocalPipelineExecutor(session, store=self.store, account_id=account_id, work_root=self.jobs_dir,
                                         on_status_change=self._status_changed, on_step_change=self._step_changed)
        with self._lock:
            self._executors[key] = (time.monotonic(), executor)
        return executor

    def _launch(self, executor: LocalPipelineExecutor, prepared: PreparedExecution, previous: str | None) -> None:
        executor.begin(prepared, previous)
        arn = prepared.record.execution_arn
        thread = threading.Thread(target=self._run, args=(executor, prepared), daemon=True,
                                  name=f"execution-{prepared.record.execution_id}")
        with self._lock:
            self._running[arn] = _Running(executor, prepared, thread)
        thread.start()

    def _run(self, executor: LocalPipelineExecutor, prepared: PreparedExecution) -> None:
        try:
            executor.run_to_end(prepared)
        except Exception:
            logger.exception("execution %s ended on an error", prepared.record.execution_arn)
        finally:
            with self._lock:
                self._running.pop(prepared.record.execution_arn, None)

    def _status_changed(self, description: dict[str, Any], previous_status: str | None) -> None:
        if self._closed or self._muted:
            return
        delivery.put_event(delivery.pipeline_status_change_event(description, previous_status))

    def _step_changed(self, description: dict[str, Any], step: dict[str, Any], previous_status: str | None) -> None:
        if self._closed or self._muted:
            return
        delivery.put_event(delivery.step_status_change_event(description, step, previous_status))

    def announce_interrupted(self) -> int:
        """Put the status-change event of each execution failed by the restart, once (the server calls it when
        the rules are loaded and it can deliver); how many."""
        interrupted, self._interrupted = self._interrupted, []
        for description, previous_status in interrupted:
            self._status_changed(description, previous_status)
        return len(interrupted)

    # -- records ---------------------------------------------------------------------------------------------

    def _record(self, account_id: str, region: str, execution_arn: str) -> ExecutionRecord:
        """The record of an execution ARN of this account and region; ResourceNotFound otherwise (as AWS)."""
        record = self.store.find(execution_arn) if _PIPELINE_MARKER in (execution_arn or "") else None
        if record is None or (record.account_id, record.region) != (account_id, region):
            raise ResourceNotFound(f"Pipeline execution '{execution_arn}' does not exist.")
        return record

    def _fail_interrupted(self) -> None:
        for record in self.store.list():
            if record.status not in RUNNING_STATUSES:
                continue
            for step in record.steps:
                if step.status in (STARTING, EXECUTING, STOPPING):
                    step.status, step.end_time, step.failure_reason = FAILED, now(), STOPPED_WITH_STACK
            previous_status = record.status
            record.status, record.end_time, record.failure_reason = FAILED, now(), STOPPED_WITH_STACK
            self.store.save(record)
            self._interrupted.append((record.to_description(), previous_status))
            logger.warning("execution %s was running when the local stack stopped: Failed", record.execution_arn)


def _pipeline_location(pipeline: str, account_id: str, region: str) -> tuple[str, str, str]:
    """(account, region, name) of a pipeline named by name or by ARN (the ARN's account and region win)."""
    if pipeline.startswith("arn:") and _PIPELINE_MARKER in pipeline:
        _, _, _, arn_region, arn_account, resource = pipeline.split(":", 5)
        return arn_account, arn_region, resource.split("/", 1)[1]
    return account_id, region, pipeline


def _stored_pipeline(account_id: str, region: str, name: str):
    """moto's record of a pipeline (CreatePipeline's); ResourceNotFound with AWS's message when missing."""
    from moto.sagemaker.models import sagemaker_backends

    pipeline = sagemaker_backends[account_id][region].pipelines.get(name)
    if pipeline is None:
        arn = f"arn:aws:sagemaker:{region}:{account_id}:pipeline/{name}"
        raise ResourceNotFound(f"Pipeline '{arn}' does not exist.")
    return pipeline


_service: PipelineExecutionService | None = None
_service_lock = threading.Lock()


def configure(state_dir: Path | str) -> PipelineExecutionService:
    """The server's service, on its state folder (called once at server start, before serving)."""
    global _service
    with _service_lock:
        if _service is not None:
            raise RuntimeError(f"the execution service is already open on {_service.state_dir}")
        _service = PipelineExecutionService(state_dir)
        atexit.register(_service.close)
        return _service


def execution_service() -> PipelineExecutionService:
    """The process's service; one on a temporary state folder when the server did not configure one."""
    global _service
    with _service_lock:
        if _service is None:
            state_dir = tempfile.mkdtemp(prefix="mlops-local-state-")
            _service = PipelineExecutionService(state_dir)
            atexit.register(shutil.rmtree, state_dir, True)
            atexit.register(_service.close)
        return _service
