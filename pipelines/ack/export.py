"""What `export-ack-manifests` does: the pipelines as manifests for the ACK SageMaker controller (pure: no AWS
call, the same bytes for the same inputs), each checked as a person's manifests are checked before anything is
written. The CLI is pipelines/cli/export_ack_manifests.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import MlopsError, UsageError
from pipelines.files import check_output_dir, write_files

PROG = "export-ack-manifests"


@dataclass(frozen=True)
class ExportRequest:
    env: str
    pipeline: str = "all"
    out: Path | None = None
    namespace: str | None = None
    description: str | None = None
    max_parallel_steps: int | None = None
    execution: bool = False
    parameters: tuple[str, ...] = ()
    """With execution: NAME=VALUE items."""


def export_manifests(request: ExportRequest) -> list:
    """Build and check the manifests, and write them to `request.out` when it is given (every file or none);
    returns them (`manifests.Manifest`)."""
    # Imported here so `--help`, `--check` and argument errors stay fast: the SDK takes seconds to import.
    from pipelines.ack.manifests import ManifestOptions, manifests_for
    from pipelines.config import load_config
    from pipelines.definitions import PIPELINE_MODULES, build_pipeline
    from pipelines.run_pipeline import parse_parameters

    if request.out is not None:
        check_output_dir(request.out, "--out")
    if request.max_parallel_steps is not None and request.max_parallel_steps < 1:
        raise UsageError(f"--max-parallel-steps must be 1 or more, got {request.max_parallel_steps}")
    options = ManifestOptions(namespace=request.namespace, description=request.description,
                              max_parallel_steps=request.max_parallel_steps, execution=request.execution,
                              parameters=parse_parameters(request.parameters))
    config = load_config(request.env)
    config.require_workload()
    selected = list(PIPELINE_MODULES) if request.pipeline == "all" else [request.pipeline]
    built = [build_pipeline(PIPELINE_MODULES[name], request.env, {}) for name in selected]
    manifests = manifests_for(config, built, options)
    verify_exported(manifests, {pipeline.name: pipeline.definition for pipeline in built})
    if request.out is not None:
        write_files(request.out, {manifest.file_name: manifest.text() for manifest in manifests}, "--out")
    return manifests


def verify_exported(manifests, definitions: dict[str, str]) -> None:
    """Check exported manifests as a person's would be checked, and that each definition reads back byte for
    byte; a failure is a bug of the exporter, not bad input."""
    from pipelines.ack.check import check_documents
    from pipelines.ack.documents import ManifestInvalid, load_documents

    try:
        documents = [document for manifest in manifests
                     for document in load_documents(manifest.text(), manifest.file_name)]
        check_documents(documents)
    except ManifestInvalid as invalid:
        raise MlopsError(f"an exported manifest is invalid (a bug of {PROG}):\n{invalid}") from None
    for document in documents:
        if document.kind == "Pipeline":
            spec = document.data["spec"]
            if spec["pipelineDefinition"] != definitions[spec["pipelineName"]]:
                raise MlopsError(f"{document.source}: the definition does not read back as built (a bug of {PROG})")
