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
    from pipelines.config import REPO_ROOT
    from pipelines.local.stack import local_dir

    assert local_dir() != REPO_ROOT / ".local"
