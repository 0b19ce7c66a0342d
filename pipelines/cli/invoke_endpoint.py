"""`invoke-endpoint`: invoke a workload account's endpoint with CSV rows, or smoke-test it (Jenkins).

Requests are CSV rows (the features without the label, as the built-in XGBoost container takes them); answers
are printed as the endpoint gives them (`--accept csv|json`). A multi-model endpoint needs `--version N` (or
`--target-model`); a single-model endpoint refuses one. `--failover` calls the primary region, then prod's
secondary region when the primary cannot answer. A payload the model refuses (a 4xx answer) exits 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from pipelines.aws import Target
from pipelines.cli.support import configure_logging, environment_name, process_env, run_cli, targets_local_stack
from pipelines.endpoints.invoke import ACCEPTS, InvokeRequest, run_invocation

PROG = "invoke-endpoint"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", required=True, type=environment_name, metavar="ENV", help="workload environment")
    p.add_argument("--endpoint", required=True, help="an endpoint of workload.serving.endpoints in the env file")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--csv", action="append", metavar="ROW", help="one CSV row of features (repeatable)")
    what.add_argument("--smoke", action="store_true",
                      help="send a known payload and check the answer (the Jenkins smoke test); a multi-model "
                           "endpoint is invoked with --version N, by default the newest version it serves")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--version", type=int, help="multi-model endpoints: the version to invoke")
    which.add_argument("--target-model", help="multi-model endpoints: the TargetModel, e.g. mammo-severity/v2.tar.gz")
    p.add_argument("--accept", choices=tuple(ACCEPTS), default="csv", help="the answer's format")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--region", help="the region of the endpoint (default: the env file's aws_region)")
    where.add_argument("--failover", action="store_true",
                       help="call the primary region, then the env file's secondary_region when the primary cannot "
                            "answer; the region that served is printed on stderr")
    p.add_argument("--local", action="store_true", help="use the running local AWS stack (mlops-local up)")
    return p


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    env = process_env(env)
    request = InvokeRequest(env=args.env, endpoint=args.endpoint, rows=tuple(args.csv or ()), smoke=args.smoke,
                            version=args.version, target_model=args.target_model, accept=ACCEPTS[args.accept],
                            region=args.region, failover=args.failover)

    def command() -> int:
        outcome = run_invocation(request, Target.for_cli(args.local, env))
        answer = outcome.invocation
        if outcome.smoke:
            print(f"smoke test of {args.endpoint} passed: scores {', '.join(map(str, answer.predictions))}"
                  + (f" (TargetModel {answer.target_model})" if answer.target_model else ""))
        else:
            print(answer.body.rstrip("\n"))
        return 0

    return run_cli(command, PROG, local=targets_local_stack(args.local, env))


if __name__ == "__main__":
    raise SystemExit(main())
