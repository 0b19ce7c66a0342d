"""State of local executions, kept apart from running them.

An `ExecutionRecord` holds what SageMaker would report about an execution and its steps; it renders the
shapes of DescribePipelineExecution and ListPipelineExecutionSteps. The `ExecutionStore` keeps records in
memory and in `<store dir>/<execution id>.json` (default: `<mlops-local dir>/executions`, i.e.
`.local/executions`), so another process (a CLI, the demo report) can read them.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.errors import UsageError
from pipelines.local.stack import local_dir

logger = logging.getLogger(__name__)

# Pipeline execution statuses and step statuses as SageMaker names them (plus NotExecuted for skipped steps).
EXECUTING, SUCCEEDED, FAILED, STOPPED = "Executing", "Succeeded", "Failed", "Stopped"
NOT_EXECUTED = "NotExecuted"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class StepRecord:
    name: str
    type: str
    status: str = "Starting"
    start_time: str | None = None
    end_time: str | None = None
    failure_reason: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_summary(self) -> dict[str, Any]:
        """One entry of ListPipelineExecutionSteps' PipelineExecutionSteps."""
        summary: dict[str, Any] = {"StepName": self.name, "StepDisplayName": self.name, "StepStatus": self.status}
        if self.start_time:
            summary["StartTime"] = self.start_time
        if self.end_time:
            summary["EndTime"] = self.end_time
        if self.failure_reason:
            summary["FailureReason"] = self.failure_reason
        if self.metadata:
            summary["Metadata"] = self.metadata
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
        if self.failure_reason:
            description["FailureReason"] = self.failure_reason
        if self.end_time:
            description["EndTime"] = self.end_time
        return description

    def to_step_list(self, sort_order: str = "Descending") -> dict[str, Any]:
        """The ListPipelineExecutionSteps response: steps by start, newest first unless sort_order='Ascending'."""
        if sort_order not in ("Ascending", "Descending"):
            raise UsageError(f"sort_order must be Ascending or Descending, got {sort_order!r}")
        steps = [step.to_summary() for step in self.steps]
        return {"PipelineExecutionSteps": steps if sort_order == "Ascending" else steps[::-1]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExecutionRecord:
        steps = [StepRecord(**step) for step in data.pop("steps", [])]
        return cls(**data, steps=steps)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ExecutionStore:
    """Execution records by ARN, persisted as JSON (one file per execution, written atomically)."""

    def __init__(self, directory: Path | None = None):
        """Records under `directory` (default `<mlops-local dir>/executions`)."""
        self.directory = Path(directory) if directory is not None else local_dir() / "executions"
        self._records: dict[str, ExecutionRecord] = {}
        self._lock = threading.Lock()

    def save(self, record: ExecutionRecord) -> None:
        record.last_modified_time = now()
        with self._lock:
            self._records[record.execution_arn] = record
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / f"{record.execution_id}.json"
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".json")
            with os.fdopen(handle, "w") as stream:
                json.dump(asdict(record), stream, indent=1, default=str)
            os.replace(temporary, target)

    def get(self, execution: str) -> ExecutionRecord:
        """A record by execution ARN or id, from memory or from the store directory."""
        execution_id = execution.rsplit("/", 1)[-1]
        with self._lock:
            for record in self._records.values():
                if execution in (record.execution_arn, record.execution_id):
                    return record
        path = self.directory / f"{execution_id}.json"
        if not path.is_file():
            raise UsageError(f"no local pipeline execution {execution!r} in {self.directory}")
        return ExecutionRecord.from_json(json.loads(path.read_text()))

    def list(self, pipeline_name: str | None = None) -> list[ExecutionRecord]:
        """Records (of one pipeline if named), newest first."""
        records = {record.execution_arn: record for record in self._records.values()}
        if self.directory.is_dir():
            for path in self.directory.glob("*.json"):
                if path.name.startswith("."):  # a file still being written
                    continue
                record = ExecutionRecord.from_json(json.loads(path.read_text()))
                records.setdefault(record.execution_arn, record)
        chosen = [r for r in records.values() if pipeline_name in (None, r.pipeline_name)]
        return sorted(chosen, key=lambda record: record.creation_time, reverse=True)

    def describe(self, execution: str) -> dict[str, Any]:
        return self.get(execution).to_description()

    def list_steps(self, execution: str, sort_order: str = "Descending") -> dict[str, Any]:
        return self.get(execution).to_step_list(sort_order)
