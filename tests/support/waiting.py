"""Polling for work the local stack does in its own threads (executions, event deliveries, endpoint updates)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
TERMINAL = ("Succeeded", "Failed", "Stopped")  # the pipeline execution statuses that do not change again


def wait_for(condition: Callable[[], T], what: str, timeout: float = 60.0, interval: float = 0.1) -> T:
    """Poll until `condition()` is truthy and return that value; AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def wait_for_end(sagemaker, execution_arn: str, timeout: float = 180.0, interval: float = 0.2) -> dict:
    """DescribePipelineExecution of `execution_arn` once its status is terminal."""
    def ended():
        description = sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
        return description if description["PipelineExecutionStatus"] in TERMINAL else None

    return wait_for(ended, f"{execution_arn} to end", timeout, interval)
