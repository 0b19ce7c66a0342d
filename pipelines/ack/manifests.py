"""`Pipeline` and `PipelineExecution` manifests built from the pure pipeline definitions.

The `pipelineDefinition` is the exact string `get-pipeline-definition` prints (a YAML literal block, so it
reads back byte for byte); the role is the environment's SageMaker execution role; the tags are the ones
Terraform puts on the environment's resources. Same inputs, same bytes: no clock, no random name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipelines.ack import yaml_text
from pipelines.ack.schema import API_VERSION
from pipelines.config import EnvConfig
from pipelines.errors import UsageError

_NOT_IN_A_NAME = re.compile(r"[^a-z0-9-]+")
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class Manifest:
    """One resource: the file it is written to and its document."""

    file_name: str
    document: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.document["kind"]

    @property
    def name(self) -> str:
        return self.document["metadata"]["name"]

    def text(self) -> str:
        return yaml_text.dump(self.document)


@dataclass(frozen=True)
class ManifestOptions:
    namespace: str | None = None
    description: str | None = None
    max_parallel_steps: int | None = None
    execution: bool = False
    parameters: Mapping[str, str] = field(default_factory=dict)


def resource_name(pipeline_name: str) -> str:
    """A Kubernetes object name (lowercase letters, digits and '-') for a SageMaker pipeline name."""
    name = _NOT_IN_A_NAME.sub("-", pipeline_name.lower()).strip("-")
    if not name:
        raise UsageError(f"pipeline name {pipeline_name!r} gives no valid Kubernetes object name")
    return name[:253]


def environment_tags(config: EnvConfig) -> list[dict[str, str]]:
    """The tags Terraform's default_tags put on the environment's resources, minus ManagedBy (ACK manages these)."""
    return [{"key": "Environment", "value": config.environment}, {"key": "Project", "value": config.project_name}]


def _metadata(name: str, options: ManifestOptions) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if options.namespace:
        metadata["namespace"] = options.namespace
    return metadata


def _parallelism(options: ManifestOptions) -> dict[str, Any]:
    if options.max_parallel_steps is None:
        return {}
    return {"parallelismConfiguration": {"maxParallelExecutionSteps": options.max_parallel_steps}}


def pipeline_manifest(config: EnvConfig, pipeline_name: str, definition: str, options: ManifestOptions) -> Manifest:
    name = resource_name(pipeline_name)
    spec: dict[str, Any] = {"pipelineName": pipeline_name, "pipelineDisplayName": pipeline_name}
    if options.description:
        spec["pipelineDescription"] = options.description
    spec["roleARN"] = config.sagemaker_execution_role_arn
    spec.update(_parallelism(options))
    spec["tags"] = environment_tags(config)
    spec["pipelineDefinition"] = yaml_text.LiteralText(definition)
    document = {"apiVersion": API_VERSION, "kind": "Pipeline", "metadata": _metadata(name, options), "spec": spec}
    return Manifest(f"pipeline-{name}.yaml", document)


def execution_manifest(pipeline_name: str, parameters: Mapping[str, str], options: ManifestOptions) -> Manifest:
    name = f"{resource_name(pipeline_name)}-execution"
    spec: dict[str, Any] = {"pipelineName": pipeline_name}
    spec.update(_parallelism(options))
    if parameters:
        spec["pipelineParameters"] = [{"name": key, "value": str(value)} for key, value in sorted(parameters.items())]
    document = {"apiVersion": API_VERSION, "kind": "PipelineExecution", "metadata": _metadata(name, options),
                "spec": spec}
    return Manifest(f"pipelineexecution-{name}.yaml", document)


def manifests_for(config: EnvConfig, built: Sequence[Any], options: ManifestOptions) -> list[Manifest]:
    """Manifests of the built pipelines (`pipelines.definitions.BuiltPipeline`): each Pipeline, then, with
    `options.execution`, a PipelineExecution given the parameters that pipeline declares."""
    if options.namespace and not _NAMESPACE.fullmatch(options.namespace):
        raise UsageError(f"--namespace {options.namespace!r} is not a Kubernetes namespace name: lowercase "
                         "letters, digits and '-', at most 63 characters")
    declared = {name for pipeline in built for name in pipeline.parameter_names}
    unknown = sorted(set(options.parameters) - declared)
    if unknown:
        raise UsageError(f"unknown pipeline parameter(s) {', '.join(unknown)}: "
                         f"the pipeline(s) declare {', '.join(sorted(declared))}")
    if options.parameters and not options.execution:
        raise UsageError("--parameters sets a PipelineExecution's parameters: add --execution")
    manifests = [pipeline_manifest(config, pipeline.name, pipeline.definition, options) for pipeline in built]
    if options.execution:
        for pipeline in built:
            own = {name: value for name, value in options.parameters.items() if name in pipeline.parameter_names}
            manifests.append(execution_manifest(pipeline.name, own, options))
    return manifests
