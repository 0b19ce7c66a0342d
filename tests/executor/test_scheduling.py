"""Stopping a running execution, and the status changes the executor reports on the way (to the event path)."""

from __future__ import annotations

import threading
import time
from textwrap import dedent

from support import wait_for

from localaws.sagemaker_pipelines import LocalPipelineExecutor

from .helpers import definition, processing_step, statuses

SLEEPER = dedent("""
    import argparse, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--output-dir")
    parser.add_argument("--sleep", type=float)
    time.sleep(parser.parse_args().sleep)
""")


def test_stop_ends_running_steps_stopped_and_never_reports_failed(dev_session, store, put, bucket):
    changes: list[tuple[str, str | None]] = []
    step_changes: list[tuple[str, str, str | None]] = []
    executor = LocalPipelineExecutor(
        dev_session, store=store,
        on_status_change=lambda description, previous: changes.append(
            (description["PipelineExecutionStatus"], previous)),
        on_step_change=lambda description, step, previous: step_changes.append(
            (step["StepName"], step["StepStatus"], previous)))
    script = put("code/sleeper/step.py", SLEEPER)
    prepared = executor.prepare(definition(
        processing_step("Sleep", script, f"s3://{bucket}/out", arguments=["--sleep", "120"]),
        processing_step("After", script, f"s3://{bucket}/after", arguments=["--sleep", "0"], DependsOn=["Sleep"]),
    ), "sleepy")
    runner = threading.Thread(target=executor.execute, args=(prepared,))
    runner.start()
    wait_for(lambda: ("Sleep", "Executing", "Starting") in step_changes, "Sleep to execute", interval=0.05)
    time.sleep(0.5)  # the script has started (its input is staged quickly)

    started = time.monotonic()
    assert executor.stop(prepared)
    runner.join(timeout=30)

    assert not runner.is_alive()
    assert time.monotonic() - started < 20  # the script's 120 s sleep was cut short
    record = store.get(prepared.record.execution_arn)
    assert record.status == "Stopped"
    assert record.failure_reason is None
    assert statuses(record) == {"Sleep": "Stopped", "After": "NotExecuted"}
    assert changes == [("Executing", None), ("Stopping", "Executing"), ("Stopped", "Stopping")]
    assert ("Sleep", "Stopping", "Executing") in step_changes
    assert ("Sleep", "Stopped", "Stopping") in step_changes
    assert not [change for change in step_changes if change[1] == "Failed"]
    assert not executor.stop(prepared)  # no longer running
