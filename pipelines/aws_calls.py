"""Turn an AWS error met by a command into one clear message instead of a traceback.

An answer from AWS (ClientError) is an MlopsError (exit 1); a connection that failed (refused, reset, timed out,
DNS, proxy) is EndpointUnreachable naming the endpoint, which the CLI layer reports as the local stack being
unavailable when the command's target is the local stack.
"""

from __future__ import annotations

import contextlib
import socket
import urllib.error
from collections.abc import Iterator

import botocore.exceptions
import urllib3.exceptions

from pipelines.errors import EndpointUnreachable, MlopsError

# What usually causes these answers when a command runs before its environment is ready.
HINTS = {
    "NoSuchBucket": "is the environment's infrastructure applied (mlops-infra apply --env ...)?",
    "AccessDenied": "do the current credentials act in the right account with the needed permissions?",
    "AccessDeniedException": "do the current credentials act in the right account with the needed permissions?",
}

# Every way a call can fail to get an answer at all. botocore wraps urllib3's failures in its ConnectionError
# (refused, DNS, connect timeout, proxy) and HTTPClientError (reset, read timeout) families; urllib3's and the
# socket layer's own are there for calls made without botocore (the stack's /_mlops routes).
CONNECTION_FAILURES: tuple[type[BaseException], ...] = (
    botocore.exceptions.ConnectionError,
    botocore.exceptions.HTTPClientError,
    urllib3.exceptions.HTTPError,
    urllib.error.URLError,
    socket.gaierror,
    ConnectionError,
    TimeoutError,
)


def is_connection_failure(error: BaseException) -> bool:
    return isinstance(error, CONNECTION_FAILURES)


def failed_endpoint(error: BaseException) -> str | None:
    """The URL a connection failure was for, when the error names it."""
    kwargs = getattr(error, "kwargs", None) or {}
    return kwargs.get("endpoint_url") or kwargs.get("proxy_url") or getattr(error, "url", None)


def unreachable(error: BaseException, action: str | None = None) -> EndpointUnreachable:
    """An EndpointUnreachable for a connection failure: one line naming the endpoint and what was being done."""
    url = failed_endpoint(error)
    reason = type(error).__name__ if url else str(error) or type(error).__name__
    where = f"AWS endpoint {url}" if url else "the AWS endpoint"
    return EndpointUnreachable(f"{action + ': ' if action else ''}cannot reach {where} ({reason}): check the network "
                               "and the endpoint", url, action, reason)


@contextlib.contextmanager
def explained_aws_errors(action: str) -> Iterator[None]:
    try:
        yield
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "unknown")
        message = error.response.get("Error", {}).get("Message", str(error))
        hint = f" ({HINTS[code]})" if code in HINTS else ""
        raise MlopsError(f"{action}: AWS answered {code}: {message}{hint}") from None
    except CONNECTION_FAILURES as error:
        raise unreachable(error, action) from None
    except botocore.exceptions.BotoCoreError as error:
        raise MlopsError(f"{action}: {error}") from None
