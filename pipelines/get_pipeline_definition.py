"""`get-pipeline-definition`: print or write a pipeline's definition JSON. Pure: no AWS call.

Either `--env ENV --pipeline train|inference`, or the AWS sample's `--module-name M --kwargs '<json>'`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.cli_support import configure_logging, run_cli
from pipelines.config import WORKLOAD_ENVIRONMENTS
from pipelines.errors import UsageError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="get-pipeline-definition", description=__doc__)
    p.add_argument("--env", choices=WORKLOAD_ENVIRONMENTS, help="workload environment (default: dev, or kwargs env)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--pipeline", choices=("train", "inference"), help="the pipeline to define")
    which.add_argument("--module-name", help="module with get_pipeline(**kwargs), e.g. pipelines.train.pipeline")
    p.add_argument("--kwargs", help="JSON object of get_pipeline keyword arguments (env, role, pipeline_name)")
    p.add_argument("--output", "-o", type=Path, help="write the JSON to this file instead of stdout")
    return p


def get_pipeline_definition(args: argparse.Namespace) -> int:
    # Imported here so `--help` and argument errors stay fast: the SDK takes seconds to import.
    from pipelines.definitions import PIPELINE_MODULES, build_pipeline, parse_kwargs

    if not args.pipeline and not args.module_name:
        raise UsageError("give --pipeline train|inference or --module-name MODULE")
    kwargs = parse_kwargs(args.kwargs)
    env = kwargs.pop("env", None) or args.env or "dev"
    module_name = args.module_name or PIPELINE_MODULES[args.pipeline]
    if args.output and args.output.is_dir():
        raise UsageError(f"--output {args.output} is a directory: give the path of the JSON file to write")
    built = build_pipeline(module_name, env, kwargs)
    if args.output:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(built.definition)
        except OSError as error:
            raise UsageError(f"--output {args.output}: cannot write it ({error.strerror or error}): "
                             "give a writable file path") from None
        print(f"wrote the {built.name} definition to {args.output}", file=sys.stderr)
    else:
        print(built.definition)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    return run_cli(lambda: get_pipeline_definition(args), "get-pipeline-definition")


if __name__ == "__main__":
    raise SystemExit(main())
