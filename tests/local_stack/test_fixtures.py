"""The shared fixtures' contract: a missing tool skips with its reason, or fails when CI requires every tool."""

from __future__ import annotations

import os
from pathlib import Path

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
    from pipelines.config import REPO_ROOT
    from pipelines.local.stack import local_dir

    assert local_dir() != REPO_ROOT / ".local"


# ---------------------------------------------------------------------- the shared platform's sharing
# Terraform is replaced by a stand-in here: what is tested is how the processes of one session share one applied
# platform (one apply, the record, the server's end); the real apply is tests/terraform_apply/test_platform.py.

def _stand_in_apply(calls: list, error: Exception | None = None):
    from applied_platform import AppliedAccount

    from pipelines.infra.terraform import runner_for

    def apply(target, work_dir):
        calls.append((target.endpoint, work_dir))
        if error is not None:
            raise error
        return {environment: AppliedAccount(runner_for(environment, target, work_dir=work_dir / environment),
                                            {"environment": environment})
                for environment in ("registry", "dev", "prod")}

    return apply


def test_the_shared_platform_is_applied_once_and_read_by_another_process(tmp_path, monkeypatch):
    import subprocess
    import sys

    import applied_platform
    from applied_platform import shared_platform, stop_shared_platform

    from pipelines.local.stack import is_healthy, is_stack_server

    calls: list = []
    monkeypatch.setattr(applied_platform, "bootstrap_and_apply_accounts", _stand_in_apply(calls))
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    first = shared_platform(tmp_path / "gw0")
    try:
        assert is_healthy(first.endpoint)
        assert shared_platform(tmp_path / "gw0").endpoint == first.endpoint
        assert calls == [(first.endpoint, tmp_path / "applied-platform" / "terraform")]
        assert first.accounts["dev"].outputs == {"environment": "dev"}
        assert first.accounts["dev"].runner.work_dir == tmp_path / "applied-platform" / "terraform" / "dev"
        # Another worker of the same session (its own basetemp beside this one) reads the record: no apply.
        tests_dir = Path(applied_platform.__file__).parent
        other = subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
             "from applied_platform import shared_platform; platform = shared_platform(Path(sys.argv[2])); "
             "print(platform.endpoint, sorted(platform.accounts))", str(tests_dir), str(tmp_path / "gw1")],
            capture_output=True, text=True, check=True, env={**os.environ, "PYTEST_XDIST_WORKER": "gw1"}, timeout=60)
        assert other.stdout.split(maxsplit=1) == [first.endpoint, "['dev', 'prod', 'registry']\n"]
    finally:
        pid = stop_shared_platform(tmp_path / "gw0")
    assert pid is not None
    assert not is_stack_server(pid)


def test_a_failed_apply_is_recorded_once_for_every_process(tmp_path, monkeypatch):
    import applied_platform
    from applied_platform import SharedPlatformError, shared_platform, stop_shared_platform

    from pipelines.errors import InfraError
    from pipelines.local.stack import is_stack_server

    calls: list = []
    failure = InfraError("terraform apply for dev (account 222222222222) failed (exit 1): AccessDenied")
    monkeypatch.setattr(applied_platform, "bootstrap_and_apply_accounts", _stand_in_apply(calls, failure))
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    try:
        for _ in range(2):
            with pytest.raises(SharedPlatformError, match=r"(?s)could not be applied.*AccessDenied"):
                shared_platform(tmp_path)
        assert len(calls) == 1
    finally:
        pid = stop_shared_platform(tmp_path)
    assert not is_stack_server(pid)


def test_a_stack_stops_with_the_process_it_was_told_to_exit_with(tmp_path):
    import subprocess
    import time

    from pipelines.local.stack import LocalAwsStack, is_stack_server, stop_process

    session = subprocess.Popen(["sleep", "60"])
    stack = LocalAwsStack(log_path=tmp_path / "server.log", detached=True, exit_with_pid=session.pid).start()
    try:
        assert is_stack_server(stack.pid)
        session.kill()
        session.wait()
        deadline = time.monotonic() + 30
        while stack.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stack.process.poll() is not None, "the server outlived the process it was told to exit with"
    finally:
        if stack.process.poll() is None:
            stop_process(stack.pid, stack.process)
