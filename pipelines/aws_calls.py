"""Turn an AWS error met by a command into one clear message (exit status 1) instead of a traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import botocore.exceptions

from pipelines.errors import MlopsError

# What usually causes these answers when a command runs before its environment is ready.
HINTS = {
    "NoSuchBucket": "is the environment's infrastructure applied (mlops-infra apply --env ...)?",
    "AccessDenied": "do the current credentials act in the right account with the needed permissions?",
    "AccessDeniedException": "do the current credentials act in the right account with the needed permissions?",
}


@contextlib.contextmanager
def explained_aws_errors(action: str) -> Iterator[None]:
    try:
        yield
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "unknown")
        message = error.response.get("Error", {}).get("Message", str(error))
        hint = f" ({HINTS[code]})" if code in HINTS else ""
        raise MlopsError(f"{action}: AWS answered {code}: {message}{hint}") from None
    except botocore.exceptions.BotoCoreError as error:
        raise MlopsError(f"{action}: {error}") from None
