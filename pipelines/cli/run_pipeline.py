"""`run-pipeline`: upload the pipelines' scripts, upsert the pipelines, optionally start and follow them.

Flags compatible with the AWS sample's `run-pipeline` (--module-name, --role-arn, --kwargs, --tags,
--description) plus --env, --pipeline, --local, --start, --wait, --parameters NAME=VALUE and
--execution-arn ARN (follow an execution already started: the execution runs in SageMaker, or in the local
stack, whatever happens to this command). Exit codes: pipelines/errors.py EXIT_CODES.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from pipelines.aws import Target
from pipelines.cli.support import (
    configure_logging,
    environment_name,
    print_progress,
    process_env,
    run_cli,
    targets_local_stack,
)
from pipelines.execution import TERMINAL_STATUSES
from pipelines.run_pipeline import PIPELINE_CHOICES, RunRequest, run_pipelines

PROG = "run-pipeline"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", type=environment_name, metavar="ENV", help="workload environment (or \"env\" in --kwargs)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--pipeline", choices=PIPELINE_CHOICES, help="which pipeline(s) (default: all)")
    which.add_argument("--module-name", help="module with get_pipeline(**kwargs), e.g. pipelines.train.pipeline")
    p.add_argument("--role-arn", help="pipeline execution role (default: the environment's SageMaker role)")
    p.add_argument("--kwargs", help="JSON object of get_pipeline keyword arguments (env, role, pipeline_name)")
    p.add_argument("--tags", help='JSON tags: [{"Key": "k", "Value": "v"}] or {"k": "v"} (applied on create)')
    p.add_argument("--description", help="pipeline description")
    p.add_argument("--local", action="store_true", help="use the local AWS stack (mlops-local up)")
    p.add_argument("--start", action="store_true", help="start an execution after the upsert")
    p.add_argument("--wait", action="store_true", help="with --start or --execution-arn: follow the execution to its "
                                                       "end, logging step statuses")
    p.add_argument("--execution-arn", metavar="ARN",
                   help="with --wait: follow this execution (re-attach after an interrupted --wait); no upsert")
    p.add_argument("--parameters", action="append", default=[], metavar="NAME=VALUE",
                   help="pipeline parameter for the execution (repeatable)")
    return p


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    env = process_env(env)
    request = RunRequest(**{**vars(args), "parameters": tuple(args.parameters)})

    def command() -> int:
        target = Target.for_cli(args.local, env, progress=print_progress)
        for run in run_pipelines(request, target):
            if run.status in TERMINAL_STATUSES:
                print(f"{run.pipeline_name}: execution {run.status}")
        return 0

    return run_cli(command, PROG, local=targets_local_stack(args.local, env))


if __name__ == "__main__":
    raise SystemExit(main())
