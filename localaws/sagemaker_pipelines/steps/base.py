"""What every step handler shares: the context of one step run, its result, and the handler base class."""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from localaws.sagemaker_pipelines.errors import StepStopped
from pipelines.pipeline_definition.expressions import ExpressionScope, evaluate
from pipelines.pipeline_definition.graph import StepNode


@dataclass
class StepResult:
    """Describe-shaped properties ({"Get": "Steps.X.<path>"} reads them) and ListPipelineExecutionSteps metadata."""

    properties: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    outcome: bool | None = None
    """A Condition step's result: which branch runs."""
    training_jobs: list[dict[str, Any]] = field(default_factory=list)
    """DescribeTrainingJob answers of the training jobs a step launched besides its own job (a tuning job's)."""


@dataclass
class StepContext:
    node: StepNode
    account_id: str
    region: str
    execution_id: str
    work_dir: Path
    scope: ExpressionScope
    client: Callable[[str], Any]
    """A boto3 client of the execution's session for a service (shared by the execution's steps)."""
    stop: threading.Event = field(default_factory=threading.Event)
    """Set when the execution is being stopped: long work checks it and ends with StepStopped."""
    role_environment: Callable[[], dict[str, str]] = dict
    """The environment variables through which a job's process acts as the pipeline's role on the stack."""
    execution_arn: str = ""
    """The pipeline execution ARN (SageMaker records it as a registered version's MetadataProperties.GeneratedBy)."""

    def raise_if_stopped(self) -> None:
        if self.stop.is_set():
            raise StepStopped(f"step {self.node.name} was stopped")

    def resolve(self, value: Any) -> Any:
        """The value of a part of the step's definition with every expression inside it evaluated."""
        return evaluate(value, self.scope)

    @property
    def arguments(self) -> dict[str, Any]:
        return self.resolve(self.node.definition.get("Arguments") or {})

    @property
    def job_name(self) -> str:
        """The job/model name a real pipeline would generate: pipelines-<execution id>-<step name>, <= 63 chars."""
        step = re.sub(r"[^A-Za-z0-9-]", "-", self.node.name)
        return f"pipelines-{self.execution_id}-{step}"[:63].rstrip("-")

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


class StepHandler(ABC):
    """Runs one step `Type` (its static checks, made before the execution starts, are
    pipelines.pipeline_definition.step_checks)."""

    step_type: ClassVar[str]

    @abstractmethod
    def run(self, context: StepContext) -> StepResult:
        """Run the step; raise StepFailed with the reason SageMaker would record."""
