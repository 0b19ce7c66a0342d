"""`prepare-data`: validate the raw data set, write the four files the pipelines read, upload them."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from pipelines.aws import Target
from pipelines.cli.support import configure_logging, environment_name, process_env, run_cli, targets_local_stack
from pipelines.data.prepare import DEFAULT_OUTPUT, DEFAULT_RAW, PrepareRequest, prepare_data

PROG = "prepare-data"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__)
    p.add_argument("--env", required=True, type=environment_name, metavar="ENV",
                   help="workload environment to upload to")
    p.add_argument("--local", action="store_true", help="use the running local AWS stack (mlops-local up)")
    p.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="raw UCI file (default: data/...)")
    p.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT, help="where to write the CSV files")
    p.add_argument("--no-upload", action="store_true", help="write the files locally only")
    return p


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    env = process_env(env)
    request = PrepareRequest(env=args.env, raw=args.raw, output_dir=args.output_dir, upload=not args.no_upload)

    def command() -> int:
        target = Target.for_cli(args.local, env) if request.upload else None
        result = prepare_data(request, target)
        for line in result.accounting:
            print(line)
        for path in result.files:
            print(f"wrote {path}")
        for uri in result.uploaded:
            print(f"uploaded {uri}")
        return 0

    return run_cli(command, PROG, local=targets_local_stack(args.local, env))


if __name__ == "__main__":
    raise SystemExit(main())
