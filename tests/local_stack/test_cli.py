"""`mlops-local up|status|env|down` as a person runs them: real subprocesses, state under MLOPS_LOCAL_DIR."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from localaws.tools.stack import find_stack_servers, is_stack_server
from pipelines.errors import LocalStackError

MLOPS_LOCAL = str(Path(sys.executable).parent / "mlops-local")


@pytest.fixture
def local_dir(tmp_path, monkeypatch):
    """A private state directory, so these tests never touch a stack the developer is running."""
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(tmp_path))
    yield tmp_path
    subprocess.run([MLOPS_LOCAL, "down"], capture_output=True, check=False, timeout=60)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MLOPS_LOCAL, *args], capture_output=True, text=True, timeout=60, check=False)


def test_up_status_env_down(local_dir):
    status = _run("status")
    assert (status.returncode, status.stdout.splitlines()[0]) == (1, "not running")

    up = _run("up")
    assert up.returncode == 0, up.stderr
    state = json.loads((local_dir / "stack.json").read_text())
    assert state["endpoint"].startswith("http://127.0.0.1:")
    assert is_stack_server(state["pid"])
    assert state["endpoint"] in up.stdout

    again = _run("up")
    assert again.returncode == 0
    assert "already running" in again.stdout
    assert json.loads((local_dir / "stack.json").read_text()) == state

    status = _run("status")
    assert status.returncode == 0
    assert state["endpoint"] in status.stdout

    env = _run("env")
    assert env.returncode == 0
    assert f"export AWS_ENDPOINT_URL={state['endpoint']}" in env.stdout.splitlines()
    # The printed lines really put a shell in local mode.
    shell = subprocess.run(
        ["bash", "-c", f'eval "$({MLOPS_LOCAL} env)"; {sys.executable} -c '
                       '"import boto3; print(boto3.client(\'sts\').get_caller_identity()[\'Account\'])"'],
        capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "AWS_PROFILE": "real-profile"},
    )
    assert shell.stdout.strip() == "123456789012"  # moto's default account: the fake keys replaced the profile

    down = _run("down")
    assert down.returncode == 0
    assert f"pid {state['pid']}" in down.stdout
    assert not is_stack_server(state["pid"])
    assert not (local_dir / "stack.json").exists()
    assert _run("status").returncode == 1
    assert _run("down").returncode == 0  # idempotent


def test_env_without_a_running_stack_is_a_clear_error(local_dir):
    result = _run("env")
    assert result.returncode == LocalStackError.exit_code
    assert "not running" in result.stderr
    assert "mlops-local up" in result.stderr


def test_a_stale_state_file_is_reported_and_replaced_by_up(local_dir):
    (local_dir / "stack.json").write_text(json.dumps({"endpoint": "http://127.0.0.1:9", "pid": 999999999}))
    status = _run("status")
    assert status.returncode == 1
    assert "not answering" in status.stdout
    up = _run("up")
    assert up.returncode == 0, up.stderr
    assert json.loads((local_dir / "stack.json").read_text())["endpoint"] != "http://127.0.0.1:9"


def test_a_corrupt_state_file_names_the_fix(local_dir):
    (local_dir / "stack.json").write_text("{")
    result = _run("status")
    assert result.returncode == 1
    assert "corrupt: run `mlops-local up`" in result.stderr


def _servers(local_dir: Path) -> list[int]:
    return find_stack_servers(local_dir / "state")


def test_two_concurrent_ups_start_one_server(local_dir):
    ups = [subprocess.Popen([MLOPS_LOCAL, "up"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
           for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in ups]
    assert [process.returncode for process in ups] == [0, 0], outputs
    state = json.loads((local_dir / "stack.json").read_text())
    assert _servers(local_dir) == [state["pid"]]
    assert sorted("already running" in out for out, _ in outputs) == [False, True]


def test_down_stops_the_server_whatever_the_state_file_says(local_dir):
    assert _run("up").returncode == 0
    pid = json.loads((local_dir / "stack.json").read_text())["pid"]
    (local_dir / "stack.json").write_text("{")  # corrupt
    down = _run("down")
    assert down.returncode == 0, down.stderr
    assert f"local AWS stack stopped (pid {pid})" in down.stdout
    assert "corrupt" in down.stderr
    assert not is_stack_server(pid)
    assert not (local_dir / "stack.json").exists()

    assert _run("up").returncode == 0
    pid = json.loads((local_dir / "stack.json").read_text())["pid"]
    (local_dir / "stack.json").write_text(json.dumps({"endpoint": "http://127.0.0.1:9", "pid": 999999999}))  # stale
    up = _run("up")  # replaces the stale record, re-attached to the server it lost track of: still one server
    assert up.returncode == 0, up.stderr
    assert "re-attached" in up.stdout
    assert json.loads((local_dir / "stack.json").read_text())["pid"] == pid
    assert _servers(local_dir) == [pid]
    assert _run("down").returncode == 0
    assert _servers(local_dir) == []


@pytest.mark.parametrize(("argv", "field"), [
    (["--port", "99999"], "--port"),
    (["--host", "256.1.1.1"], "--host"),
    (["--host", "0.0.0.0"], "--allow-remote"),  # noqa: S104 - the address under test
])
def test_up_refuses_an_address_it_must_not_bind_with_exit_2(local_dir, argv, field):
    # Regression: --port 99999 was recorded in stack.json; --host 256.1.1.1 ended in a socket.gaierror traceback.
    result = _run("up", *argv)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("mlops-local: error: ")
    assert field in line
    assert not (local_dir / "stack.json").exists()


@pytest.mark.parametrize(("argv", "field"), [
    (["--port", "99999"], "--port"),
    (["--port", "8080", "--host", "256.1.1.1"], "--host"),
    (["--port", "8080", "--host", "0.0.0.0"], "--allow-remote"),  # noqa: S104 - the address under test
])
def test_the_server_entry_refuses_the_same(argv, field):
    result = subprocess.run([sys.executable, "-m", "localaws.server", *argv], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2
    assert field in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr


def test_up_with_allow_remote_binds_beyond_loopback_and_warns(local_dir):
    up = _run("up", "--host", "0.0.0.0", "--allow-remote")  # noqa: S104 - the address under test
    assert up.returncode == 0, up.stderr
    assert "has no authentication: anyone on the network who can reach it can call it" in up.stderr
    assert json.loads((local_dir / "stack.json").read_text())["endpoint"].startswith("http://0.0.0.0:")
