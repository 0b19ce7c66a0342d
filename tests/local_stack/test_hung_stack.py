"""A local stack that accepts connections but never answers: commands end with exit 5, not a long wait."""

from __future__ import annotations

import json
import socket

import pytest

from pipelines.cli import approve_model, run_pipeline
from pipelines.errors import EXIT_LOCAL_STACK_UNAVAILABLE


@pytest.fixture
def hung_endpoint():
    """A listening socket nobody reads from: the kernel completes connections, no HTTP answer ever comes."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_command_pointed_at_a_hung_stack_exits_5(hung_endpoint, capsys):
    status = approve_model.main(["--env", "dev", "--list"], env={"AWS_ENDPOINT_URL": hung_endpoint})
    assert status == EXIT_LOCAL_STACK_UNAVAILABLE
    assert capsys.readouterr().err.splitlines() == [
        f"approve-model: error: the local stack does not answer at {hung_endpoint}: restart it with "
        "`mlops-local down` and `mlops-local up`"]


def test_local_flag_with_a_recorded_hung_stack_exits_5(hung_endpoint, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(tmp_path))
    (tmp_path / "stack.json").write_text(json.dumps({"endpoint": hung_endpoint, "pid": 1}))
    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--local"])
    assert status == EXIT_LOCAL_STACK_UNAVAILABLE
    assert f"does not answer at {hung_endpoint}" in capsys.readouterr().err
