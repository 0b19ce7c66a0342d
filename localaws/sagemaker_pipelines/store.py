"""State of pipeline executions, kept apart from running them.

An `ExecutionRecord` holds what SageMaker reports about an execution and its steps; it renders the shapes of
DescribePipelineExecution, ListPipelineExecutions' summaries and ListPipelineExecutionSteps. The
`ExecutionStore` keeps every record as a snapshot in memory and in `<store dir>/<execution id>.json`
(written atomically), so the records outlive the process that ran them: the local stack keeps them under
`<state dir>/executions`.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.errors import UsageError

logger = logging.getLogger(__name__)

# Pipeline execution and step statuses as SageMaker names them, plus NotExecuted for steps that did not run (a
# dependency did not succeed, the branch was not taken, or the execution stopped before they started): the
# executor records why, but ListPipelineExecutionSteps leaves such steps out, as SageMaker does.
STARTING, EXECUTING, STOPPING = "Starting", "Executing", "Stopping"
SUCCEEDED, FAILED, STOPPED = "Succeeded", "Failed", "Stopped"
NOT_EXECUTED = "NotExecuted"
RUNNING_STATUSES = (EXECUTING, STOPPING)
SORT_ORDERS = ("Ascending", "Descending")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class StepRecord:
    name: str
    type: str
    status: str = STARTING
    start_time: str | None = None
    end_time: str | None = None
    failure_reason: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    outcome: bool | None = None
    """A Condition step's outcome (kept so a retry knows which branch it took)."""
    attempt_count: int = 1
    display_name: str | None = None
    description: str | None = None
    cache_key: str | None = None
    """With CacheConfig: what a later run of the step must match to reuse this one's results."""
    cache_source: str | None = None
    """A cache hit: the execution whose results the step reused."""
    training_jobs: list[dict[str, Any]] = field(default_factory=list)
    """DescribeTrainingJob answers of the training jobs the step launched besides its own (a tuning step's)."""

    def to_summary(self) -> dict[str, Any]:
        """One entry of ListPipelineExecutionSteps' PipelineExecutionSteps."""
        summary: dict[str, Any] = {"StepName": self.name, "StepDisplayName": self.display_name or self.name,
                                   "StepStatus": self.status}
        if self.description:
            summary["StepDescription"] = self.description
        if self.start_time:
            summary["StartTime"] = self.start_time
        if self.end_time:
            summary["EndTime"] = self.end_time
        if self.failure_reason:
            summary["FailureReason"] = self.failure_reason
        if self.metadata:
            summary["Metadata"] = self.metadata
        if self.cache_source:
            summary["CacheHitResult"] = {"SourcePipelineExecutionArn": self.cache_source}
        if self.status != NOT_EXECUTED:
            summary["AttemptCount"] = self.attempt_count
        return summary


@dataclass
class ExecutionRecord:
    execution_arn: str
    execution_id: str
    pipeline_name: str
    pipeline_arn: str
    account_id: str
    parameters: dict[str, Any]
    status: str = EXECUTING
    creation_time: str = field(default_factory=now)
    last_modified_time: str = field(default_factory=now)
    end_time: str | None = None
    failure_reason: str | None = None
    display_name: str | None = None
    description: str | None = None
    region: str = "us-east-1"
    role_arn: str | None = None
    max_parallel_steps: int | None = None
    """ParallelismConfiguration.MaxParallelExecutionSteps of this execution, when one was given."""
    definition: str | None = None
    """The definition the execution runs (DescribePipelineDefinitionForExecution; a retry runs it again)."""
    client_request_token: str | None = None
    steps: list[StepRecord] = field(default_factory=list)

    def step(self, name: str) -> StepRecord:
        for record in self.steps:
            if record.name == name:
                return record
        raise KeyError(name)

    def to_description(self) -> dict[str, Any]:
        """The DescribePipelineExecution response for this execution."""
        description: dict[str, Any] = {
            "PipelineArn": self.pipeline_arn,
            "PipelineExecutionArn": self.execution_arn,
            "PipelineExecutionDisplayName": self.display_name or f"execution-{self.execution_id}",
            "PipelineExecutionStatus": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "PipelineParameters": [{"Name": name, "Value": _as_text(value)} for name, value in self.parameters.items()],
        }
        if self.description:
            description["PipelineExecutionDescription"] = self.description
        if self.failure_reason:
            description["FailureReason"] = self.failure_reason
        if self.end_time:
            description["EndTime"] = self.end_time
        if self.max_parallel_steps is not None:
            description["ParallelismConfiguration"] = {"MaxParallelExecutionSteps": self.max_parallel_steps}
        if self.role_arn:
            description["RoleArn"] = self.role_arn
        return description

    def to_summary(self) -> dict[str, Any]:
        """One entry of ListPipelineExecutions' PipelineExecutionSummaries."""
        summary: dict[str, Any] = {
            "PipelineExecutionArn": self.execution_arn,
            "StartTime": self.creation_time,
            "PipelineExecutionStatus": self.status,
            "PipelineExecutionDisplayName": self.display_name or f"execution-{self.execution_id}",
        }
        if self.description:
            summary["PipelineExecutionDescription"] = self.description
        if self.failure_reason:
            summary["PipelineExecutionFailureReason"] = self.failure_reason
        return summary

    def to_step_list(self, sort_order: str = "Descending") -> dict[str, Any]:
        """The ListPipelineExecutionSteps response: steps by start, newest first unless sort_order='Ascending'."""
        if sort_order not in SORT_ORDERS:
            raise UsageError(f"sort_order must be Ascending or Descending, got {sort_order!r}")
        steps = [step.to_summary() for step in self.steps if step.status != NOT_EXECUTED]
        return {"PipelineExecutionSteps": steps if sort_order == "Ascending" else steps[::-1]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExecutionRecord:
        data = dict(data)
        steps = [StepRecord(**step) for step in data.pop("steps", [])]
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known}, steps=steps)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ExecutionStore:
    """Execution records by ARN: snapshots in memory, persisted as JSON (one file per execution).

    `save` takes a snapshot of the record: readers (`get`, `list`) get copies, never the record a worker is
    still changing.
    """

    def __init__(self, directory: Path | str):
        """Records under `directory`; the records already there are loaded."""
        self.directory = Path(directory)
        self._snapshots: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.closed = False
        """Set when the process is stopping: records keep the state they had (nothing half-written)."""
        self._deleted: set[str] = set()
        self.load()

    def load(self) -> None:
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.json")):
            if path.name.startswith("."):  # a file that was being written when its writer died
                path.unlink(missing_ok=True)
                continue
            try:
                data = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as error:
                logger.warning("ignoring unreadable execution record %s: %s", path, error)
                continue
            self._snapshots[data["execution_arn"]] = data

    def save(self, record: ExecutionRecord) -> None:
        if self.closed:
            return
        record.last_modified_time = now()
        snapshot = asdict(record)
        with self._lock:
            if record.execution_arn in self._deleted:  # a deleted execution's worker still finishing
                return
            self._snapshots[record.execution_arn] = snapshot
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / f"{record.execution_id}.json"
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".json")
            with os.fdopen(handle, "w") as stream:
                json.dump(snapshot, stream, default=str)
            os.replace(temporary, target)

    def find(self, execution: str) -> ExecutionRecord | None:
        """A copy of the record with this execution ARN (or id), or None."""
        with self._lock:
            snapshot = self._snapshots.get(execution)
            if snapshot is None:
                snapshot = next((data for data in self._snapshots.values()
                                 if execution == data["execution_id"]), None)
            snapshot = copy.deepcopy(snapshot)
        return None if snapshot is None else ExecutionRecord.from_json(snapshot)

    def get(self, execution: str) -> ExecutionRecord:
        """A copy of the record by execution ARN or id; UsageError when there is none."""
        record = self.find(execution)
        if record is None:
            raise UsageError(f"no pipeline execution {execution!r} in {self.directory}")
        return record

    def list(self, pipeline_arn: str | None = None) -> list[ExecutionRecord]:
        """Copies of the records (of one pipeline, by ARN, if given), newest first."""
        with self._lock:
            chosen = [copy.deepcopy(data) for data in self._snapshots.values()
                      if pipeline_arn in (None, data["pipeline_arn"])]
        records = [ExecutionRecord.from_json(data) for data in chosen]
        return sorted(records, key=lambda record: record.creation_time, reverse=True)

    def delete(self, execution_arn: str) -> None:
        with self._lock:
            snapshot = self._snapshots.pop(execution_arn, None)
            self._deleted.add(execution_arn)
        if snapshot is not None:
            (self.directory / f"{snapshot['execution_id']}.json").unlink(missing_ok=True)

    def describe(self, execution: str) -> dict[str, Any]:
        return self.get(execution).to_description()

    def list_steps(self, execution: str, sort_order: str = "Descending") -> dict[str, Any]:
        return self.get(execution).to_step_list(sort_order)
