"""Writing a job's or a function's log to CloudWatch Logs through the API, as the service writes it for them."""

from __future__ import annotations

import contextlib
import time


def put_log_lines(logs, group: str, stream: str, lines: list[str], create_group: bool = True) -> None:
    """`lines` as one new stream of `group`, stamped now; AWS errors propagate. `create_group`: create the group
    first (an existing one is fine)."""
    if create_group:
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now, "message": line} for line in lines])
