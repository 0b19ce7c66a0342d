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
import sys
from collections.abc import Mapping
from pathlib import Path

from pipelines.ack.export import PROG, ExportRequest, export_manifests
from pipelines.cli.support import configure_logging, environment_name, run_cli
from pipelines.config import workload_environments
from pipelines.errors import UsageError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", type=environment_name, metavar="ENV", help="workload environment to export")
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


def check_manifests(paths: list[Path]) -> int:
    from pipelines.ack.check import load_files

    for document in load_files(paths):
        print(f"{document.source}: ok ({document.kind} {document.data['metadata']['name']})")
    return 0


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()

    def command() -> int:
        if args.check:
            return check_manifests(args.check)
        if args.env is None:
            raise UsageError(f"give --env ({', '.join(workload_environments())}) to export, or --check FILE...")
        request = ExportRequest(**{**{name: value for name, value in vars(args).items() if name != "check"},
                                   "parameters": tuple(args.parameters)})
        manifests = export_manifests(request)
        if request.out is None:
            sys.stdout.write("---\n".join(manifest.text() for manifest in manifests))
        else:
            for manifest in manifests:
                print(f"wrote {manifest.kind} {manifest.name} to {request.out / manifest.file_name}",
                      file=sys.stderr)
        return 0

    return run_cli(command, PROG)


if __name__ == "__main__":
    raise SystemExit(main())
