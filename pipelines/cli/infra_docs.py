"""`python -m pipelines.cli.infra_docs [--check]`: rewrite the Inputs and Outputs tables of the Terraform READMEs
(pipelines.infra.docs), or only report the stale ones (exit 4)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from pipelines.cli.support import run_cli
from pipelines.infra.docs import PROG, check_readmes, write_readmes


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale READMEs (exit 4), write nothing")
    args = parser.parse_args(argv)

    def execute() -> int:
        if args.check:
            check_readmes()
            print("Terraform READMEs: up to date")
        else:
            written = write_readmes()
            print("\n".join(f"rewrote {path}" for path in written) or "Terraform READMEs: up to date")
        return 0

    return run_cli(execute, PROG)


if __name__ == "__main__":
    raise SystemExit(main())
