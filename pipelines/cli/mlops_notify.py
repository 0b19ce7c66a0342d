"""mlops-notify: publish a message to a workload environment's alert topic.

Jenkins' `post { failure }` calls it (through scripts/notify-failure.sh) so a failed deployment reaches the
same people as a failed pipeline execution: the topic's e-mail subscription. It runs with credentials already
in the target account (Jenkins' cross-account role, or the local stack).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from pipelines.aws import Target
from pipelines.cli.support import configure_logging, environment_name, process_env, run_cli, targets_local_stack
from pipelines.config import load_config
from pipelines.notify import publish_alert

PROG = "mlops-notify"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--env", required=True, type=environment_name, metavar="ENV",
                   help="the workload environment whose alert topic receives the message")
    p.add_argument("--subject", required=True, help="one line, at most 100 characters (longer is shortened)")
    p.add_argument("--message", required=True, help="the message body")
    return p


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    env = process_env(env)

    def command() -> int:
        print(publish_alert(load_config(args.env), args.subject, args.message, Target.from_environment(env)))
        return 0

    return run_cli(command, PROG, local=targets_local_stack(False, env))


if __name__ == "__main__":
    raise SystemExit(main())
