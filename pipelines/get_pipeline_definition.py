"""What `get-pipeline-definition` does: build a pipeline's definition JSON, and write it to a file. Pure: no AWS
call. The CLI is pipelines/cli/get_pipeline_definition.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import UsageError
from pipelines.files import check_output_file, write_file


@dataclass(frozen=True)
class DefinitionRequest:
    env: str | None = None
    """Default: the first environment of the promotion, or "env" in kwargs."""
    pipeline: str | None = None
    """train or inference; or give module_name."""
    module_name: str | None = None
    kwargs: str | None = None
    """JSON object of get_pipeline keyword arguments."""
    output: Path | None = None
    """Write the JSON to this file (checked before the definition is built)."""


def get_pipeline_definition(request: DefinitionRequest):
    """The built pipeline (`definitions.BuiltPipeline`); written to `request.output` when it is given."""
    # Imported here so `--help` and argument errors stay fast: the SDK takes seconds to import.
    from pipelines.config import workload_environments
    from pipelines.definitions import PIPELINE_MODULES, build_pipeline, parse_kwargs

    if not request.pipeline and not request.module_name:
        raise UsageError("give --pipeline train|inference or --module-name MODULE")
    kwargs = parse_kwargs(request.kwargs)
    env = kwargs.pop("env", None) or request.env or workload_environments()[0]
    module_name = request.module_name or PIPELINE_MODULES[request.pipeline]
    if request.output:
        check_output_file(request.output, "--output")
    built = build_pipeline(module_name, env, kwargs)
    if request.output:
        write_file(request.output, built.definition, "--output")
    return built
