"""Running the Groovy harness on the Jenkinsfile, and reading its report (used by conftest.py and the tests)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path

import yaml

from pipelines.config import load_config
from pipelines.infra.jenkins_job import JOBS_YAML

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

REPO_ROOT = Path(__file__).resolve().parents[2]
JENKINSFILE = REPO_ROOT / "Jenkinsfile"
HARNESS = Path(__file__).resolve().parent / "harness" / "run_jenkinsfile.groovy"
# Evaluating the Jenkinsfile takes seconds; executing stages may run terraform for minutes.
HARNESS_TIMEOUT_SECONDS = 1200

JENKINS_ROLE = "cross-account-jenkins-role"
PROD_APPLY = {"targetAccount": ACCOUNTS.prod, "TARGET_ENV": "prod", "TERRAFORM_ACTION": "apply"}
DEV_PLAN = {"targetAccount": ACCOUNTS.dev, "TARGET_ENV": "dev", "TERRAFORM_ACTION": "plan"}
# Jenkins Job Builder's parameter types, and the parameters { } steps that declare the same.
PARAMETER_STEPS = {"string": "string", "choice": "choice", "bool": "booleanParam"}


def job_parameters(jobs_yaml: str) -> list[dict]:
    """The parameters of the one job of a Jenkins Job Builder file, in the form the harness records a Jenkinsfile's
    parameters { } block: [{"name": step, "args": [{"name", "defaultValue" | "choices", "trim", ...}]}]."""
    (entry,) = yaml.safe_load(jobs_yaml)
    definitions = []
    for parameter in entry["job"]["parameters"]:
        ((kind, fields),) = parameter.items()
        args = {("defaultValue" if key == "default" else key): value for key, value in fields.items()}
        definitions.append({"name": PARAMETER_STEPS[kind], "args": [args]})
    return definitions


JOB_PARAMETERS = job_parameters(JOBS_YAML.read_text())


def java_home() -> str | None:
    """A JAVA_HOME for /usr/bin/groovy: Debian's launcher insists on one and defaults to default-java, which
    a machine with only a versioned JDK (openjdk-17) lacks; derive it from the `java` on PATH then."""
    configured = os.environ.get("JAVA_HOME")
    if configured and (Path(configured) / "bin" / "java").exists():
        return configured
    java = shutil.which("java")
    if java is None:
        return None
    return str(Path(java).resolve().parent.parent)


class HarnessError(AssertionError):
    """The harness rejected the Jenkinsfile or broke; carries its JSON report or its output."""

    def __init__(self, message: str, report: dict | None = None):
        super().__init__(message)
        self.report = report


class HarnessServer:
    """One `groovy run_jenkinsfile.groovy --serve` process answering requests one line at a time: the JVM starts
    and the harness compiles once per test session instead of once per request."""

    def __init__(self, groovy: str, java_home: str, log_path: Path):
        # stderr to a file: a pipe nobody reads would block the JVM once its buffer is full.
        self.log_path = log_path
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [groovy, str(HARNESS), "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, text=True, env={**os.environ, "JAVA_HOME": java_home},
            )
        self.replies: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read_replies, daemon=True).start()

    def _read_replies(self) -> None:
        for line in self.process.stdout:
            self.replies.put(line)
        self.replies.put("")  # end of output: the process died

    def evaluate(self, request: dict) -> dict:
        """The harness report for `request`; HarnessError when the Jenkinsfile is invalid or the harness broke."""
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        try:
            line = self.replies.get(timeout=HARNESS_TIMEOUT_SECONDS)
        except queue.Empty:
            raise HarnessError(f"the harness did not answer within {HARNESS_TIMEOUT_SECONDS} s") from None
        if not line:
            raise HarnessError(f"the harness exited ({self.process.wait()}):\n{self.log_path.read_text()}")
        report = json.loads(line)
        if report["exitStatus"] != 0 or not report.get("valid"):
            raise HarnessError("the Jenkinsfile is invalid:\n" + "\n".join(report.get("errors", [])), report)
        return report

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def stage(report: dict, name: str) -> dict:
    matches = [entry for entry in report["stages"] if entry["name"] == name]
    assert len(matches) == 1, f"stage {name!r} not found once in {[s['name'] for s in report['stages']]}"
    return matches[0]


def scripts_by_stage(report: dict) -> dict[str, list[str]]:
    """{stage: [sh commands]} for the stage steps, in the order they ran."""
    scripts: dict[str, list[str]] = {}
    for command in report["commands"]:
        if command["section"] == "steps":
            scripts.setdefault(command["stage"], []).append(command["script"])
    return scripts

