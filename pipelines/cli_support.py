"""What every console script shares: logging set-up and turning MlopsError into one message and an exit code.

A CLI module only parses arguments and calls a library function; `run_cli` wraps that call.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from pipelines.errors import EXIT_INTERRUPTED, MlopsError, UsageError

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


def read_text_file(path: Path, what: str, error: type[UsageError] = UsageError) -> str:
    """The UTF-8 text of `path`; every way of failing is one `error` (exit 2) naming the file and the fix."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory; give the path of the {what}") from None
    except PermissionError:
        raise error(f"{path}: {what} is not readable (permission denied): fix its permissions") from None
    except UnicodeDecodeError as decode:
        raise error(f"{path}: {what} is not UTF-8 text (byte {decode.start}: {decode.reason}): "
                    "save it as UTF-8") from None
    except OSError as other:
        raise error(f"{path}: cannot read the {what}: {other.strerror or other}") from None
