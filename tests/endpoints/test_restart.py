"""Endpoints outlive the stack's server: one InService before a stop (clean or SIGKILL) answers the same predictions
after a restart, its models loaded again from their artifacts; a deployment in progress when the server stopped
fails as SageMaker reports an internal failure (a creation Failed, an update rolled back), naming the stop."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from shell_environment import local_environment

from localaws.tools.stack import LocalAwsStack, call_route
from pipelines.aws import session_for_account

from .conftest import DEV, REGION, Hosting

STOPPED = "The local stack stopped"


def _scores(runtime, name: str, body: bytes) -> np.ndarray:
    answer = runtime.invoke_endpoint(EndpointName=name, Body=body, ContentType="text/csv")["Body"].read().decode()
    return np.array([float(line) for line in answer.splitlines()])


def _stop(stack: LocalAwsStack, how: str, last_call_sent: str) -> None:
    if how == "clean":
        stack.stop()
        return
    # SIGKILL once a durable write taken after the last mutating call is on disk (the writer's bound: ~1 s)
    deadline = time.monotonic() + 10
    while (call_route(stack.endpoint, "state").get("last_write") or "") < last_call_sent:
        assert time.monotonic() < deadline, "no durable write within 10 s of the last mutating call"
        time.sleep(0.1)
    os.kill(stack.pid, signal.SIGKILL)
    stack.process.wait()
    stack.process = None


@pytest.mark.parametrize("how", ["clean", "kill"])
def test_endpoints_come_back_serving_and_interrupted_deployments_fail(tmp_path: Path, mammo, how):
    state = tmp_path / "state"
    first = LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log").start()
    try:
        with local_environment(first.endpoint):
            hosting = Hosting(first.endpoint, mammo)
            for name, version in (("steady", "v1"), ("creating", "v1"), ("updating", "v1"), ("next", "v2")):
                hosting.model(f"{name}-model", version)
                hosting.config(f"{name}-config", ("AllTraffic", f"{name}-model", 1.0))
            hosting.endpoint("steady", "steady-config")
            hosting.endpoint("updating", "updating-config")
            before = hosting.scores("steady")
            hosting.sm.create_endpoint(EndpointName="creating", EndpointConfigName="creating-config")
            last_call_sent = datetime.now(UTC).isoformat(timespec="milliseconds")
            hosting.sm.update_endpoint(EndpointName="updating", EndpointConfigName="next-config")
            assert [hosting.describe(name)["EndpointStatus"] for name in ("creating", "updating")] == \
                ["Creating", "Updating"]
            _stop(first, how, last_call_sent)
    finally:
        first.stop()

    with LocalAwsStack(state_dir=state, log_path=tmp_path / "second.log") as second, \
            local_environment(second.endpoint):
        session = session_for_account(DEV, REGION)
        sm, runtime = session.client("sagemaker"), session.client("sagemaker-runtime")
        steady = sm.describe_endpoint(EndpointName="steady")
        creating = sm.describe_endpoint(EndpointName="creating")
        updating = sm.describe_endpoint(EndpointName="updating")
        after = _scores(runtime, "steady", mammo.csv())
        after_update = _scores(runtime, "updating", mammo.csv())

    assert (steady["EndpointStatus"], steady.get("FailureReason")) == ("InService", None)
    np.testing.assert_array_equal(after, before)  # the same model, loaded again from its artifact
    np.testing.assert_allclose(after, mammo.scores("v1"), rtol=0, atol=1e-6)
    assert creating["EndpointStatus"] == "Failed"
    assert creating["FailureReason"] == (f"{STOPPED} while endpoint configuration creating-config was being "
                                         "deployed. Delete the endpoint and create it again.")
    assert (updating["EndpointStatus"], updating["EndpointConfigName"]) == ("InService", "updating-config")
    assert updating["FailureReason"] == (f"{STOPPED} while endpoint configuration next-config was being deployed; "
                                         "rolled back to endpoint configuration updating-config.")
    assert "PendingDeploymentSummary" not in updating
    np.testing.assert_allclose(after_update, mammo.scores("v1"), rtol=0, atol=1e-6)  # the old fleet serves
