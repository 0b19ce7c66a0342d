"""Writing a job's or a function's log to CloudWatch Logs through the API, as the service writes it for them."""

from __future__ import annotations

import time


def put_log_lines(logs, group: str, stream: str, lines: list[str]) -> None:
    """`lines` as one new stream of `group` (created when missing), stamped now; AWS errors propagate."""
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now, "message": line} for line in lines])
