"""`mlops-infra`: terraform for one environment, configured from environments/<env>.tfvars.json.

  mlops-infra bootstrap --env dev          the account's state bucket (once per account; idempotent)
  mlops-infra plan --env dev [--out F]     prints whether there are changes (exit 0; 6 with --detailed-exitcode)
  mlops-infra apply --env dev [--plan F]   applies a saved plan, or plans and applies with -auto-approve
  mlops-infra destroy|init|output --env dev
  mlops-infra force-unlock --env dev [--lock-id ID]   release the state lock a crashed run left
  mlops-infra check [--plans [--local]]    terraform fmt -check, validate of every root, checkov; with --plans
                                           also checkov on each (bootstrapped) account's rendered plan, its
                                           report beside the plan (<env>.checkov.json)

`--local` runs against the local AWS stack started by `mlops-local up` (the same as having AWS_ENDPOINT_URL
set); otherwise terraform acts with the current AWS credentials, which must be for the environment's account.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from pipelines.aws import Target
from pipelines.cli.support import configure_logging, environment_name, process_env, run_cli, targets_local_stack
from pipelines.config import environments
from pipelines.errors import EXIT_PLAN_HAS_CHANGES
from pipelines.infra import plan_scan, static_checks, terraform

PROG = "mlops-infra"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0],
                                     epilog="\n".join(__doc__.splitlines()[2:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    def environment_command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--env", required=True, type=environment_name, metavar="ENV",
                         help="the account to act in: registry or a workload environment")
        sub.add_argument("--local", action="store_true", help="use the local AWS stack (`mlops-local up`)")
        return sub

    environment_command("bootstrap", "create the account's terraform state bucket")
    environment_command("init", "initialise the S3 backend for the account")
    plan = environment_command("plan", "plan the account's changes")
    plan.add_argument("--out", type=Path, help="save the plan to this file (for `apply --plan`)")
    plan.add_argument("--destroy", action="store_true", help="plan the destruction of everything")
    plan.add_argument("--detailed-exitcode", action="store_true",
                      help=f"exit {EXIT_PLAN_HAS_CHANGES} when the plan has changes")
    apply = environment_command("apply", "apply a saved plan, or plan and apply")
    apply.add_argument("--plan", type=Path, help="a plan saved by `plan --out`")
    environment_command("destroy", "destroy everything the account's state holds")
    output = environment_command("output", "print the outputs as JSON")
    output.add_argument("name", nargs="?", help="print only this output")
    unlock = environment_command("force-unlock", "release the state lock a crashed run left")
    unlock.add_argument("--lock-id", help="the lock's ID (default: the one held now, read from its lock file)")
    check = commands.add_parser("check", help="terraform fmt -check, validate every root, checkov (no credentials)")
    check.add_argument("--plans", action="store_true",
                       help="also plan every bootstrapped account (the others are named) and run checkov on its "
                            "rendered plan JSON")
    check.add_argument("--local", action="store_true", help="with --plans: plan against the local AWS stack")
    return parser


def execute(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if args.command == "check":
        static_checks.check(planned=args.plans)
        if args.plans:
            target = Target.for_cli(args.local, env)
            scans, unplanned = plan_scan.scan_bootstrapped_plans(
                [terraform.runner_for(environment, target) for environment in environments()])
            for runner in unplanned:
                print(f"{runner.config.environment}: not planned: state bucket {runner.config.terraform_state_bucket} "
                      f"does not exist (mlops-infra bootstrap --env {runner.config.environment} creates it)")
            for scan in scans:
                print(f"{scan.plan.environment}: {'the plan has changes' if scan.plan.has_changes else 'no changes'}; "
                      f"checkov passed the plan {scan.plan.plan_json} ({scan.passed} checks passed, {scan.skipped} "
                      f"skipped with a reason; report {scan.report})")
        print("terraform fmt, validate, checkov and README tables: all passed")
        return 0
    runner = terraform.runner_for(args.env, Target.for_cli(args.local, env))
    if args.command == "bootstrap":
        runner.bootstrap()
        print(f"{args.env}: state bucket {runner.config.terraform_state_bucket} is in place")
    elif args.command == "init":
        runner.init(force=True)
    elif args.command == "plan":
        changes = runner.plan(out=args.out, destroy=args.destroy)
        print(f"{args.env}: {'the plan has changes' if changes else 'no changes'}"
              + (f" (saved to {args.out})" if args.out else ""))
        if changes and args.detailed_exitcode:
            return EXIT_PLAN_HAS_CHANGES
    elif args.command == "apply":
        runner.apply(plan=args.plan)
        print(f"{args.env}: applied")
    elif args.command == "destroy":
        runner.destroy()
        print(f"{args.env}: destroyed")
    elif args.command == "force-unlock":
        lock_id = runner.force_unlock(args.lock_id)
        print(f"{args.env}: state lock {lock_id} released")
    elif args.command == "output":
        print(json.dumps(runner.output(args.name), indent=2, sort_keys=True))
    return 0


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    env = process_env(env)
    return run_cli(lambda: execute(args, env), PROG, local=targets_local_stack(args.local, env))


if __name__ == "__main__":
    sys.exit(main())
