"""The shared fixtures' contract: a missing tool skips with its reason, or fails when CI requires every tool."""

from __future__ import annotations

import os

import pytest


def test_a_missing_tool_skips_with_the_reason(require_tool, monkeypatch):
    monkeypatch.delenv("MLOPS_REQUIRE_ALL_TOOLS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-mlops is not installed"):
        require_tool("no-such-tool-mlops")


def test_a_missing_tool_fails_when_every_tool_is_required(require_tool, monkeypatch):
    monkeypatch.setenv("MLOPS_REQUIRE_ALL_TOOLS", "1")
    with pytest.raises(pytest.fail.Exception, match="MLOPS_REQUIRE_ALL_TOOLS=1 forbids skipping"):
        require_tool("no-such-tool-mlops")


def test_an_installed_tool_is_found(require_tool):
    assert os.path.basename(require_tool("python3")) == "python3"


def test_the_session_never_uses_the_developers_local_dir():
    from localaws.tools.stack import local_dir
    from pipelines.config import REPO_ROOT

    assert local_dir() != REPO_ROOT / ".local"


# ---------------------------------------------------------------------- a stack outlives no killed owner

def test_a_stack_stops_when_the_process_that_started_it_is_killed(tmp_path):
    import subprocess
    import sys
    import time

    from localaws.tools.stack import is_stack_server, stop_process

    # The owner starts a stack and is killed without stopping it, as a test session killed hard would be.
    owner = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from localaws.tools.stack import LocalAwsStack; "
         "stack = LocalAwsStack(log_path=Path(sys.argv[1])).start(); print(stack.pid, flush=True); time.sleep(120)",
         str(tmp_path / "server.log")], stdout=subprocess.PIPE, text=True)
    server_pid = int(owner.stdout.readline())
    try:
        assert is_stack_server(server_pid)
        owner.kill()
        owner.wait()
        deadline = time.monotonic() + 30
        while is_stack_server(server_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not is_stack_server(server_pid), "the server outlived the process that started it"
    finally:
        if owner.poll() is None:
            owner.kill()
        if is_stack_server(server_pid):
            stop_process(server_pid)
