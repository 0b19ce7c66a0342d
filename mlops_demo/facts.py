"""What the demo observed, step by step: the record the report is written from and the e2e test asserts on.

Every field is read back from the local stack (registry, executions, S3, SNS), never copied from what a step
intended to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelVersion:
    """One package of the central model package group, with the metrics of its evaluation.json."""

    version: int
    arn: str
    approval_status: str
    trained_in: str
    execution_arn: str
    input_data_uri: str
    metrics: dict[str, float]
    confusion_matrix: list[list[int]] | None


@dataclass(frozen=True)
class PipelineRun:
    """One pipeline execution as DescribePipelineExecution reports it, plus what the demo read around it."""

    label: str
    environment: str
    pipeline_name: str
    execution_arn: str
    status: str
    failure_reason: str
    parameters: dict[str, str]
    started_by: str = "mlops-demo"
    model_package_arn: str = ""
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notification:
    topic_arn: str
    subject: str
    message: str


@dataclass(frozen=True)
class EndpointServing:
    """What an endpoint served after a demo step, read back with DescribeEndpoint and its config's models."""

    step: str
    endpoint: str
    mode: str
    status: str
    config_name: str
    versions: tuple[int, ...]


@dataclass(frozen=True)
class EndpointInvocation:
    """One InvokeEndpoint of the demo: the CSV rows sent, the version asked for or served, the scores answered."""

    step: str
    endpoint: str
    version: int
    target_model: str | None
    rows: tuple[str, ...]
    predictions: tuple[float, ...]


@dataclass(frozen=True)
class RegionServing:
    """The same rows sent to one endpoint in both regions of prod, each serving the same version."""

    endpoint: str
    version: int
    primary_region: str
    secondary_region: str
    model_data_url: str
    """The secondary region's model artifact: the replica of the version's artifact."""
    rows: tuple[str, ...]
    primary: tuple[float, ...]
    secondary: tuple[float, ...]


@dataclass(frozen=True)
class CaptureCount:
    """The data capture objects written under the capture prefix by the demo's invocations, and their lines."""

    s3_uri: str
    sampling_percent: int
    objects: int
    lines: int
    invocations: int


@dataclass(frozen=True)
class RoleAccess:
    """One principal's access in the run (localaws.tools.access_report): actions used, granted actions left unused
    (None granted: not a role), and its distinct denied calls as (call, decision, message)."""

    arn: str
    used: tuple[str, ...]
    granted: int | None
    unused: tuple[str, ...]
    unexpanded: tuple[str, ...]
    denied_calls: int
    denied: tuple[tuple[str, str, str], ...]


@dataclass
class DemoFacts:
    """Filled in by the steps in order; a field stays empty when its step has not run."""

    endpoint: str = ""
    infrastructure: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploaded_data: dict[str, list[str]] = field(default_factory=dict)
    versions: list[ModelVersion] = field(default_factory=list)
    runs: list[PipelineRun] = field(default_factory=list)
    drift_check_engine: str = ""
    """The engine that ran the failing check: model-monitor or processing."""
    violations: list[dict[str, str]] = field(default_factory=list)
    violations_report_uri: str = ""
    baseline_statistics: dict[str, Any] | None = None
    batch_statistics: dict[str, Any] | None = None
    drift_batch_uri: str = ""
    deliveries: list[str] = field(default_factory=list)
    serving: list[EndpointServing] = field(default_factory=list)
    invocations: list[EndpointInvocation] = field(default_factory=list)
    capture: CaptureCount | None = None
    regions: list[RegionServing] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    authorization: str = ""
    """The stack's authorization mode (off, soft, enforce): off records no decision, so no access report."""
    access: list[RoleAccess] = field(default_factory=list)
    report_path: str = ""

    def run(self, label: str) -> PipelineRun:
        for run in self.runs:
            if run.label == label:
                return run
        raise KeyError(f"no pipeline run labelled {label!r}; runs: {', '.join(r.label for r in self.runs)}")

    def version(self, arn: str) -> ModelVersion:
        for version in self.versions:
            if version.arn == arn:
                return version
        raise KeyError(f"model package {arn} was not registered by this demo run")

    def invocation(self, step: str, endpoint: str, version: int) -> EndpointInvocation:
        for invocation in self.invocations:
            if (invocation.step, invocation.endpoint, invocation.version) == (step, endpoint, version):
                return invocation
        raise KeyError(f"step {step!r} did not invoke version {version} on endpoint {endpoint!r}")
