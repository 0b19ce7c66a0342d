"""What every console script shares: logging set-up and turning MlopsError into one message and an exit code.

A CLI module only parses arguments and calls a library function; `run_cli` wraps that call.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from pipelines.errors import EXIT_INTERRUPTED, MlopsError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    # boto and the SDK are chatty at INFO; their progress is not ours to report.
    for noisy in ("botocore", "boto3", "urllib3", "sagemaker", "s3transfer", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_cli(command: Callable[[], int], prog: str) -> int:
    """Run a CLI's library call; print an MlopsError once (no traceback) and return its exit code."""
    try:
        return command()
    except MlopsError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
