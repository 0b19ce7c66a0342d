"""`approve-model`: list the central group's model versions with their evaluation metrics; approve or reject one.

Acts in the registry account, where the model package group lives, as its approver role
(`model_registry.approver_role_name`): the only principal that may approve or reject a version. The current
credentials are used as they are when they already are that role, otherwise the command assumes it. The metrics
come from each version's registered model-quality report (the train pipeline's evaluation.json), so the
approver sees them first.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from pipelines.approve_model import ApprovalRequest, ApprovalResult, approve_model, format_version
from pipelines.aws import Target
from pipelines.cli.support import configure_logging, environment_name, process_env, run_cli, targets_local_stack

PROG = "approve-model"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__)
    p.add_argument("--env", required=True, type=environment_name, metavar="ENV",
                   help="any environment file: it names the registry")
    p.add_argument("--local", action="store_true", help="use the running local AWS stack (mlops-local up)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--version", type=int, help="model package version number to approve or reject")
    which.add_argument("--latest", action="store_true", help="the newest version")
    p.add_argument("--reject", action="store_true", help="reject instead of approve")
    p.add_argument("--list", action="store_true", help="list the versions with their metrics")
    p.add_argument("--description", help="approval description recorded on the version")
    return p


def lines(result: ApprovalResult) -> list[str]:
    out = []
    if result.listed is not None:
        out.append(f"model package group {result.group_arn}: {len(result.listed)} version(s)")
        out.extend(format_version(version.package, version.metrics) for version in result.listed)
    if result.chosen is not None:
        out.append(format_version(result.chosen.package, result.chosen.metrics))
        out.append(f"version {result.chosen.package['ModelPackageVersion']}: {result.previous_status} -> "
                   f"{result.new_status}")
    return out


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    env = process_env(env)
    request = ApprovalRequest(**{name: value for name, value in vars(args).items() if name != "local"})

    def command() -> int:
        for line in lines(approve_model(request, Target.for_cli(args.local, env))):
            print(line)
        return 0

    return run_cli(command, PROG, local=targets_local_stack(args.local, env))


if __name__ == "__main__":
    raise SystemExit(main())
