"""The stack under concurrent load (small numbers; benchmarks/stack_under_load.py runs the full ones): executions
started at once in several accounts and regions all finish, each recorded once and each status-change event
delivered once; InvokeEndpoint at a steady rate answers every request; after `down` nothing is left running and no
job or temporary folder remains. The server's peak memory is recorded as a test property."""

from __future__ import annotations

from localaws.persistence import layout
from localaws.tools import load
from localaws.tools.stack import LocalAwsStack, pid_alive

PIPELINES_PER_PAIR = 5  # x 4 (account, region) pairs = 20 executions at once
RATE, SECONDS = 20, 5


def test_concurrent_executions_and_invocations_finish_once_each_and_leave_nothing_behind(
        tmp_path, record_testsuite_property, monkeypatch):
    state, temporary = tmp_path / "state", tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))  # the server's own temporary folder: what it leaves is seen
    stack = LocalAwsStack(state_dir=state, log_path=tmp_path / "server.log").start()
    try:
        executions = load.run_executions(stack.endpoint, PIPELINES_PER_PAIR)
        name = load.serve_model(stack.endpoint)
        invocations = load.run_invocations(stack.endpoint, name, RATE, SECONDS)
        figures = load.server_figures(stack.pid)
        pid = stack.pid
    finally:
        stack.stop()

    record_testsuite_property("server_peak_rss_mb", round(figures["peak_rss"] / 1e6, 1))
    record_testsuite_property("executions_per_minute", round(executions.per_minute, 1))
    record_testsuite_property("invocation_p50_ms", round(invocations.median * 1000, 1))
    assert executions.started == 4 * PIPELINES_PER_PAIR
    assert executions.problems() == []
    assert invocations.errors == []
    assert len(invocations.latencies) == RATE * SECONDS
    assert not pid_alive(pid)
    assert [child for child in figures["children"] if pid_alive(child)] == []
    assert list((state / "jobs").glob("*")) == []
    assert list(temporary.iterdir()) == []
    assert layout.state_file(state).exists()  # and what the run made was kept
