"""`mlops-demo`: the whole multi-account MLOps loop on this machine, offline (what `make demo` runs)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from localaws.extra import require_local_extra
from mlops_demo.environments import OPTION, parse_environments
from mlops_demo.paths import DEFAULT_REPORT, DEFAULT_WORK_DIR
from pipelines.cli.support import configure_logging, run_cli
from pipelines.config import DRIFT_CHECK_ENGINES, TRAINING_DATA_SOURCES
from pipelines.errors import UsageError


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="mlops-demo",
        description="Start the local AWS stack, apply the registry and workload accounts, train and approve a "
                    "model in the first environment, promote it to the last (production), run batch inference, "
                    "trip the drift check, retrain on the EventBridge rule, approve the new version and infer with "
                    "it; print a summary and write a report.",
    )
    result.add_argument("--endpoint", help="use this running local stack (e.g. from `mlops-local up`) instead of "
                                           "starting a fresh one; it is left running afterwards")
    result.add_argument("--reuse-applied", action="store_true",
                        help="with --endpoint: leave an account the stack already holds applied as it is when a plan "
                             "without refresh has no changes (e.g. after `mlops-local snapshot restore`); drift made "
                             "outside Terraform is not looked for")
    result.add_argument("--report", type=Path, default=DEFAULT_REPORT,
                        help=f"where to write the HTML report (default: {DEFAULT_REPORT})")
    result.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR,
                        help=f"scratch directory for prepared data and plans (default: {DEFAULT_WORK_DIR})")
    result.add_argument(OPTION, metavar="ENV,ENV[,...]",
                        help="the workload environments to walk, in promotion order, starting with its first: "
                             "trained there, applied and served with a smoke test in each one between, "
                             "production's loop in the last (e.g. dev,staging,prod; default: the promotion's "
                             "first and last)")
    result.add_argument("--drift-check-engine", choices=DRIFT_CHECK_ENGINES,
                        help="run the loop with this drift-check engine in every workload environment (default: what "
                             "environments/*.tfvars.json say); the demo works on copies of those files")
    result.add_argument("--training-data", choices=TRAINING_DATA_SOURCES,
                        help="where the first environment's train pipeline reads its rows (default: what the "
                             "files say, s3); warehouse starts a local PostgreSQL (Debian's postgresql package) for "
                             "the run")
    result.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return result


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging(args.verbose)
    # The demo acts on the local stack alone: a lost connection is the stack going away.
    return run_cli(lambda: _run(args), "mlops-demo", local=True)


def _run(args: argparse.Namespace) -> int:
    if args.reuse_applied and args.endpoint is None:
        raise UsageError("--reuse-applied needs --endpoint: a stack the demo starts holds no applied account")
    walked = parse_environments(args.environments) if args.environments is not None else None
    require_local_extra("mlops-demo")
    from mlops_demo.run import run_demo  # after the check: it needs the `local` extra (matplotlib, jinja2)

    return run_demo(args.endpoint, args.report, args.work_dir, args.drift_check_engine, args.training_data, walked,
                    args.reuse_applied)
