"""`get-pipeline-definition`: print or write a pipeline's definition JSON. Pure: no AWS call.

Either `--env ENV --pipeline train|inference`, or the AWS sample's `--module-name M --kwargs '<json>'`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from pipelines.cli.support import configure_logging, environment_name, run_cli
from pipelines.get_pipeline_definition import DefinitionRequest, get_pipeline_definition

PROG = "get-pipeline-definition"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__)
    p.add_argument("--env", type=environment_name, metavar="ENV",
                   help="workload environment (default: the first of the promotion, or kwargs env)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--pipeline", choices=("train", "inference"), help="the pipeline to define")
    which.add_argument("--module-name", help="module with get_pipeline(**kwargs), e.g. pipelines.train.pipeline")
    p.add_argument("--kwargs", help="JSON object of get_pipeline keyword arguments (env, role, pipeline_name)")
    p.add_argument("--output", "-o", type=Path, help="write the JSON to this file instead of stdout")
    return p


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()

    def command() -> int:
        built = get_pipeline_definition(DefinitionRequest(**vars(args)))
        if args.output:
            print(f"wrote the {built.name} definition to {args.output}", file=sys.stderr)
        else:
            print(built.definition)
        return 0

    return run_cli(command, PROG)


if __name__ == "__main__":
    raise SystemExit(main())
