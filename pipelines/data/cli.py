"""`prepare-data`: validate the raw data set, write the four files the pipelines read, upload them."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

from pipelines.aws import Target
from pipelines.aws_calls import explained_aws_errors
from pipelines.cli_support import configure_logging, run_cli
from pipelines.config import REPO_ROOT, WORKLOAD_ENVIRONMENTS, load_config
from pipelines.data.prepare import accounting, prepare, upload
from pipelines.data.raw import read_raw

DEFAULT_RAW = REPO_ROOT / "data" / "mammographic_masses.data"
DEFAULT_OUTPUT = REPO_ROOT / "build" / "data"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prepare-data", description=__doc__)
    p.add_argument("--env", required=True, choices=WORKLOAD_ENVIRONMENTS, help="workload account to upload to")
    p.add_argument("--local", action="store_true", help="use the running local AWS stack (mlops-local up)")
    p.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="raw UCI file (default: data/...)")
    p.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT, help="where to write the CSV files")
    p.add_argument("--no-upload", action="store_true", help="write the files locally only")
    return p


def prepare_data(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    config = load_config(args.env)
    raw = read_raw(args.raw)
    prepared = prepare(raw, args.output_dir)
    for line in accounting(raw, prepared):
        print(line)
    for path in sorted(prepared.files.values()):
        print(f"wrote {path}")
    if not args.no_upload:
        target = Target.for_cli(args.local, env)
        with explained_aws_errors(f"uploading to s3://{config.require_workload().data_bucket_name}"):
            for uri in upload(config, prepared.files, target):
                print(f"uploaded {uri}")
    return 0


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    return run_cli(lambda: prepare_data(args, os.environ if env is None else env), "prepare-data")


if __name__ == "__main__":
    raise SystemExit(main())
