"""Fixtures of the Jenkins tests: the Groovy harness that evaluates the Jenkinsfile.

`run_jenkinsfile(params, ...)` evaluates the repository's Jenkinsfile with Groovy 2.4 (the Groovy Jenkins
embeds) and tests/jenkins/harness/run_jenkinsfile.groovy, a stub of the declarative DSL, and returns what the
build did as a dict (see the harness' header). Tools skip their tests with the reason when missing, and fail
them instead when MLOPS_REQUIRE_ALL_TOOLS=1 (the `require_tool` fixture of tests/conftest.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from jenkins_harness import JENKINSFILE, JOB_PARAMETERS, REPO_ROOT, HarnessServer, java_home


@pytest.fixture(scope="session")
def groovy(require_tool: Callable[[str], str]) -> dict[str, str]:
    """The command and environment that run Groovy scripts."""
    path = require_tool("groovy")
    home = java_home()
    if home is None:
        require_tool("java")
    return {"groovy": path, "JAVA_HOME": home}


@pytest.fixture(scope="session")
def harness_server(groovy: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[HarnessServer]:
    server = HarnessServer(groovy["groovy"], groovy["JAVA_HOME"], tmp_path_factory.mktemp("harness") / "groovy.log")
    yield server
    server.close()


@pytest.fixture(scope="session")
def run_jenkinsfile(harness_server: HarnessServer) -> Callable[..., dict]:
    """`run_jenkinsfile(params, fail_commands=(), input_response="proceed" (or {stage: "abort"}),
    jenkinsfile=JENKINSFILE, execute=(), credentials=None, build_number=1, workspace=REPO_ROOT,
    parameters=JOB_PARAMETERS)` -> the harness report; `parameters`: the job's (jenkins/jobs.yaml's by default).
    Runs that only record are cached per session."""
    cache: dict[str, dict] = {}

    def run(params: dict, fail_commands=(), input_response: str | dict[str, str] = "proceed",
            jenkinsfile: Path = JENKINSFILE, execute=(), credentials: dict | None = None, build_number: int = 1,
            workspace: Path = REPO_ROOT, parameters: list[dict] = JOB_PARAMETERS) -> dict:
        request = {
            "jenkinsfile": str(jenkinsfile), "workspace": str(workspace), "params": params,
            "failCommands": list(fail_commands), "inputResponse": input_response,
            "execute": list(execute), "credentials": credentials or {}, "buildNumber": build_number,
            "parameters": parameters,
            # Executed commands get this process' environment as it is now (local stack endpoint, work dirs).
            "processEnv": dict(os.environ) if execute else None,
        }
        key = json.dumps(request, sort_keys=True)
        if execute or key not in cache:
            cache[key] = harness_server.evaluate(request)
        return cache[key]

    return run
