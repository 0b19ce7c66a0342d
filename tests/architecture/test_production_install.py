"""`pip install .` is what production installs: the platform's commands, without the local stack's dependencies.

The wheel is built from a copy of the sources and installed without extras into a fresh venv; the commands a
Jenkins agent runs against real AWS must work there, and the emulator's heavy dependencies must be absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.config import REPO_ROOT

pytestmark = pytest.mark.slow

SOURCES = ("setup.py", "pyproject.toml", "requirements.txt", "requirements-local.txt", "pipelines", "localaws",
           "mlops_demo")
# What only the local stack and the demo need (requirements-local.txt): none may come with the plain install.
# matplotlib and scikit-learn are not listed: SDK v3 brings them (sagemaker-train requires MLflow, which needs both).
LOCAL_ONLY = ("moto", "xgboost", "xgboost-cpu", "optuna", "psycopg", "pyawscron")


def _uv() -> str:
    beside_python = Path(sys.executable).parent / "uv"
    found = str(beside_python) if beside_python.exists() else shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed in the project's venv: run `make install`")
    return found


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def production_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("production-install")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, source / name)
    uv = _uv()
    _run([uv, "build", "--wheel", "--quiet", "--native-tls", "--out-dir", str(work / "dist"), str(source)])
    (wheel,) = (work / "dist").glob("*.whl")
    venv = work / "venv"
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
    _run([uv, "pip", "install", "--quiet", "--native-tls", "--python", str(venv / "bin" / "python"),
          "-c", str(REPO_ROOT / "constraints.txt"), str(wheel)])
    return venv


def _installed(venv: Path) -> set[str]:
    listing = _run([_uv(), "pip", "list", "--format", "json", "--python", str(venv / "bin" / "python")])
    return {package["name"].lower() for package in json.loads(listing.stdout)}


def test_the_plain_install_has_none_of_the_local_stacks_dependencies(production_venv):
    installed = _installed(production_venv)
    assert {"mlops-sagemaker-platform", "boto3", "sagemaker-core", "sagemaker-mlops"} <= installed
    assert "sagemaker" not in installed  # the v2 SDK
    assert installed.isdisjoint(LOCAL_ONLY), sorted(installed & set(LOCAL_ONLY))


@pytest.mark.parametrize("command", [
    ["run-pipeline", "--help"],
    ["approve-model", "--help"],
    ["get-pipeline-definition", "--env", "dev", "--pipeline", "train"],
], ids=lambda command: " ".join(command))
def test_production_commands_run_from_the_plain_install(production_venv, tmp_path, command):
    # As a Jenkins agent runs the installed package: in the job's workspace, a checkout of the repository (its
    # environment files are all a definition needs), with no variable pointing at it.
    workspace = tmp_path / "workspace"
    shutil.copytree(REPO_ROOT / "environments", workspace / "environments")
    env = {"PATH": f"{production_venv / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "AWS_EC2_METADATA_DISABLED": "true"}
    result = _run([str(production_venv / "bin" / command[0]), *command[1:]], cwd=workspace, env=env)
    if command[0] == "get-pipeline-definition":
        definition = json.loads(result.stdout)
        assert {step["Type"] for step in definition["Steps"]} >= {"Processing", "Training"}
    else:
        assert result.stdout.startswith(f"usage: {command[0]}")


@pytest.mark.parametrize("command", [["mlops-local", "up"], ["mlops-demo"]], ids=lambda command: " ".join(command))
def test_the_local_stack_and_the_demo_name_the_missing_extra_and_start_nothing(production_venv, tmp_path, command):
    workspace = tmp_path / "workspace"
    shutil.copytree(REPO_ROOT / "environments", workspace / "environments")
    env = {"PATH": f"{production_venv / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    result = subprocess.run([str(production_venv / "bin" / command[0]), *command[1:]], cwd=workspace, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 5, result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"{command[0]}: error: {command[0]} needs the platform's `local` "
                                                     "extra (moto")
    assert "Traceback" not in result.stderr
    assert sorted(path.name for path in workspace.iterdir()) == ["environments"]  # no .local, no reports
