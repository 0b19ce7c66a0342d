"""Point the TEST process's environment at a local stack, as `eval "$(mlops-local env)"` does for a shell.

The library never does this (it is handed a `pipelines.aws.Target`); tests do, so that code reading the standard
AWS variables (console scripts run in-process, the SageMaker SDK, child processes) reaches the test stack.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from pipelines.aws import local_environment_variables


def activate(endpoint: str) -> dict[str, str | None]:
    """Set the local stack's variables; return the previous values for `restore_environment`."""
    to_set, to_remove = local_environment_variables(endpoint)
    previous = {name: os.environ.get(name) for name in [*to_set, *to_remove]}
    for name in to_remove:
        os.environ.pop(name, None)
    os.environ.update(to_set)
    return previous


def restore_environment(previous: dict[str, str | None]) -> None:
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextlib.contextmanager
def local_environment(endpoint: str) -> Iterator[None]:
    previous = activate(endpoint)
    try:
        yield
    finally:
        restore_environment(previous)
