"""What every console script shares: logging set-up, and the one mapping from a failure to its message and exit
code (`run_cli`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping

from pipelines.aws import Target
from pipelines.aws_calls import CONNECTION_FAILURES, is_connection_failure, unreachable
from pipelines.config import ENVIRONMENT_HINT, valid_environment_name
from pipelines.errors import (
    EXIT_INTERRUPTED,
    EXIT_LOCAL_STACK_UNAVAILABLE,
    DemoStepFailed,
    EndpointUnreachable,
    MlopsError,
)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def environment_name(value: str) -> str:
    """The `type` of an --env option: any environment name; the command then reads environments/<name>.tfvars.json
    (a missing file is a configuration error naming it), so a new environment needs no code."""
    if not valid_environment_name(value):
        raise argparse.ArgumentTypeError(f"invalid environment name {value!r}: {ENVIRONMENT_HINT}")
    return value


def configure_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    # boto and the SDK are chatty at INFO; their progress is not ours to report.
    for noisy in ("botocore", "boto3", "urllib3", "sagemaker", "s3transfer", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def process_env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    """A main's `env` argument, by default the process environment (tests pass their own)."""
    return os.environ if env is None else env


def targets_local_stack(local_flag: bool, env: Mapping[str, str]) -> bool:
    """Whether a command acts on the local stack: `--local`, or AWS_ENDPOINT_URL naming it."""
    return local_flag or Target.from_environment(env).is_local


def print_progress(message: str) -> None:
    """The progress channel of a command whose progress is part of its output (run-pipeline)."""
    print(message, flush=True)


def failure(error: BaseException, local: bool) -> tuple[int, str] | None:
    """The exit code and one-line message of a failure; None for a bug (its traceback is the report).

    A connection failure is EXIT_LOCAL_STACK_UNAVAILABLE when the command's target is the local stack, and
    EXIT_AWS_UNREACHABLE otherwise, whichever library call met it and however it was wrapped.
    """
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED, str(error) or "interrupted"
    step = error if isinstance(error, DemoStepFailed) else None
    cause = step.cause if step else error
    if is_connection_failure(cause):
        cause = unreachable(cause)
    if isinstance(cause, EndpointUnreachable) and local:
        where = f" at {cause.endpoint_url}" if cause.endpoint_url else ""
        detail = ", ".join(filter(None, (cause.reason, cause.action and f"while {cause.action}"))) or str(cause)
        line = (f"the local stack does not answer{where} ({detail}): restart it with `mlops-local down` and "
                "`mlops-local up`")
        return EXIT_LOCAL_STACK_UNAVAILABLE, f"step '{step.step}' in account {step.account} failed: {line}" if step \
            else line
    if isinstance(error, MlopsError):
        return error.exit_code, str(error)
    if isinstance(cause, MlopsError):
        return cause.exit_code, str(cause)
    return None


def run_cli(command: Callable[[], int], prog: str, *, local: bool = False) -> int:
    """Run a CLI's library call; report a failure once (`prog: error: ...`, no traceback) and return its exit code.

    `local`: the command's target is the local stack (then a lost connection means the stack is unavailable).
    """
    try:
        return command()
    except (MlopsError, KeyboardInterrupt, *CONNECTION_FAILURES) as error:
        mapped = failure(error, local)
        if mapped is None:
            raise
        code, line = mapped
        print(f"{prog}: {line}" if code == EXIT_INTERRUPTED else f"{prog}: error: {line}", file=sys.stderr)
        return code

