"""`export-ack-manifests`: the pipelines as manifests for the ACK SageMaker controller, or a check of manifests.

Export (pure: no AWS call, the same bytes for the same inputs):
  export-ack-manifests --env dev [--pipeline train|inference|all] [--out DIR] [--namespace NS]
                       [--max-parallel-steps N] [--execution [--parameters NAME=VALUE ...]]
Every exported manifest is checked as `--check` checks before anything is written.

Check manifests written by hand (files or folders of *.yaml):
  export-ack-manifests --check FILE...
Exit codes: 0 valid, 2 a problem (each named by file, line and field), 1 anything else.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.cli_support import configure_logging, run_cli
from pipelines.config import WORKLOAD_ENVIRONMENTS
from pipelines.errors import MlopsError, UsageError

PROG = "export-ack-manifests"


@dataclass
class ExportRequest:
    env: str
    pipeline: str = "all"
    out: Path | None = None
    namespace: str | None = None
    description: str | None = None
    max_parallel_steps: int | None = None
    execution: bool = False
    parameters: list[str] = field(default_factory=list)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", choices=WORKLOAD_ENVIRONMENTS, help="workload environment to export")
    p.add_argument("--pipeline", choices=("train", "inference", "all"), default="all",
                   help="which pipeline(s) (default: all)")
    p.add_argument("--out", type=Path, help="write one file per resource to this folder (default: stdout)")
    p.add_argument("--namespace", help="metadata.namespace of the resources (default: none, kubectl's)")
    p.add_argument("--description", help="spec.pipelineDescription")
    p.add_argument("--max-parallel-steps", type=int, metavar="N",
                   help="spec.parallelismConfiguration.maxParallelExecutionSteps (default: not set)")
    p.add_argument("--execution", action="store_true", help="also a PipelineExecution per pipeline")
    p.add_argument("--parameters", action="append", default=[], metavar="NAME=VALUE",
                   help="with --execution: a pipeline parameter of the execution (repeatable)")
    p.add_argument("--check", nargs="+", type=Path, metavar="FILE",
                   help="check these manifests (files or folders) instead of exporting")
    return p


def export_manifests(request: ExportRequest) -> list:
    """Build, check and write (or print) the manifests; returns them (`manifests.Manifest`)."""
    # Imported here so `--help`, `--check` and argument errors stay fast: the SDK takes seconds to import.
    from pipelines.ack.manifests import ManifestOptions, manifests_for
    from pipelines.config import load_config
    from pipelines.definitions import PIPELINE_MODULES, build_pipeline
    from pipelines.run_pipeline import parse_parameters

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
    if request.out is None:
        sys.stdout.write("---\n".join(manifest.text() for manifest in manifests))
    else:
        write_files(request.out, {manifest.file_name: manifest.text() for manifest in manifests})
        for manifest in manifests:
            print(f"wrote {manifest.kind} {manifest.name} to {request.out / manifest.file_name}", file=sys.stderr)
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


def write_files(directory: Path, texts: dict[str, str]) -> None:
    """Write every file or none: each is written to a temporary name first, then renamed into place."""
    directory.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, text in texts.items():
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
            with os.fdopen(handle, "w") as stream:
                stream.write(text)
            staged.append((temporary, directory / name))
        for temporary, final in staged:
            os.replace(temporary, final)
    finally:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)


def check_manifests(paths: list[Path]) -> int:
    from pipelines.ack.check import load_files

    for document in load_files(paths):
        print(f"{document.source}: ok ({document.kind} {document.data['metadata']['name']})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()

    def command() -> int:
        if args.check:
            return check_manifests(args.check)
        if args.env is None:
            raise UsageError(f"give --env ({', '.join(WORKLOAD_ENVIRONMENTS)}) to export, or --check FILE...")
        request = ExportRequest(**{name: value for name, value in vars(args).items() if name != "check"})
        export_manifests(request)
        return 0

    return run_cli(command, PROG)


if __name__ == "__main__":
    raise SystemExit(main())
