"""`python -m pipelines.cli.jenkins_job [--check]`: regenerate jenkins/jobs.yaml from the environment files
(pipelines.infra.jenkins_job), or only report that the committed file is stale (exit 4)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from pipelines.cli.support import run_cli
from pipelines.infra.jenkins_job import JOBS_YAML, PROG, check, write


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report a stale jenkins/jobs.yaml (exit 4)")
    args = parser.parse_args(argv)

    def execute() -> int:
        if args.check:
            check()
            print(f"{JOBS_YAML}: up to date")
        else:
            print(f"rewrote {JOBS_YAML}" if write() else f"{JOBS_YAML}: up to date")
        return 0

    return run_cli(execute, PROG)


if __name__ == "__main__":
    raise SystemExit(main())
