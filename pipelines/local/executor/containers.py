"""Container emulation by image family: what runs locally in place of a SageMaker container image.

- scikit-learn and xgboost (framework) processing images: the job's script, run with this Python in a
  subprocess, every /opt/ml/processing path remapped under a temporary folder (scripts take every path as an
  argument - interface 6);
- the model-monitor analyzer: the project's local data-quality analyzer (pipelines.local.monitor);
- the built-in XGBoost algorithm (training, batch transform): see steps/training.py and steps/transform.py.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipelines.local.executor.errors import PipelineDefinitionError, StepFailed, StepStopped
from pipelines.local.monitor.container import MonitoringResult, run_data_quality_container

SKLEARN, XGBOOST, MODEL_MONITOR = "scikit-learn", "xgboost", "model-monitor-analyzer"
# ECR repository name -> family. The account and tag vary by region and version; the repository does not.
_REPOSITORIES = {
    "sagemaker-scikit-learn": SKLEARN,
    "sagemaker-xgboost": XGBOOST,
    "sagemaker-model-monitor-analyzer": MODEL_MONITOR,
}
SCRIPT_FAMILIES = (SKLEARN, XGBOOST)
CONTAINER_ROOT = "/opt/ml"
STDERR_TAIL_LINES = 15
STOP_POLL_SECONDS = 0.2
TERMINATE_GRACE_SECONDS = 5.0

# Every container process still running, so a stopping server can end them (they run in their own session).
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _die_with_parent() -> None:
    """In the container's process before it runs: SIGKILL when the server's thread that started it dies, so a
    server killed hard leaves no container behind (Linux; prepared in the parent, only a C call here)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def image_family(image_uri: str) -> str | None:
    """'683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1' -> 'xgboost'; None if unknown."""
    if not isinstance(image_uri, str):
        return None
    repository = image_uri.split("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    return _REPOSITORIES.get(repository)


def check_literal_image(image_uri, allowed: Sequence[str], step_name: str, what: str) -> None:
    """Before anything runs: an image written into the definition must be one the executor emulates.

    An image given by an expression (a Lambda output, a parameter) is checked when the step runs.
    """
    if isinstance(image_uri, str) and image_family(image_uri) not in allowed:
        raise PipelineDefinitionError(
            f"step {step_name!r}: the local executor cannot run image {image_uri!r} for {what}: "
            f"it emulates the {', '.join(allowed)} image families")


def require_family(image_uri: str, allowed: Sequence[str], what: str) -> str:
    family = image_family(image_uri)
    if family not in allowed:
        raise StepFailed(f"ClientError: the local executor cannot run image {image_uri!r} for {what}: "
                         f"it emulates the {', '.join(allowed)} image families")
    return family


class ContainerPaths:
    """Maps container paths (/opt/ml/...) to a folder on this machine, in arguments and environment values."""

    def __init__(self, root: Path):
        self.root = root

    def local(self, container_path: str) -> Path:
        if not container_path.startswith(CONTAINER_ROOT):
            raise StepFailed(f"ClientError: local path {container_path!r} must be under {CONTAINER_ROOT}")
        return Path(str(self.root) + container_path)

    def remap(self, text: str) -> str:
        """Every occurrence of /opt/ml in an argument (also '--x=/opt/ml/...') points into the local root."""
        return text.replace(CONTAINER_ROOT, str(self.root) + CONTAINER_ROOT) if isinstance(text, str) else text


def run_script(entrypoint: Sequence[str], arguments: Sequence[str], environment: Mapping[str, str],
               paths: ContainerPaths, cwd: Path, stop: threading.Event | None = None) -> subprocess.CompletedProcess:
    """Run a processing script as its container would, with this machine's Python.

    A non-zero exit fails the step with the exit code and the tail of stderr (what CloudWatch would show).
    When `stop` is set while the script runs, the script's process group is terminated and StepStopped raised.
    """
    if not entrypoint:
        raise StepFailed("ClientError: the processing job has no ContainerEntrypoint: the local executor runs "
                         "framework images by their entry point (python3 <script>)")
    command = [paths.remap(part) for part in [*entrypoint, *arguments]]
    if Path(command[0]).name in ("python", "python3"):
        command[0] = sys.executable
    env = {**os.environ, **{key: paths.remap(str(value)) for key, value in environment.items()}}
    stop = stop or threading.Event()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True,
                               preexec_fn=_die_with_parent if _libc is not None else None)
    with _running_lock:
        _running.add(process)
    try:
        while True:
            if stop.is_set():
                _terminate(process)
                raise StepStopped(f"the processing job's container was stopped (pid {process.pid})")
            try:
                stdout, stderr = process.communicate(timeout=STOP_POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        with _running_lock:
            _running.discard(process)
    if process.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-STDERR_TAIL_LINES:])
        raise StepFailed(f"AlgorithmError: script {Path(command[1]).name if len(command) > 1 else command[0]} "
                         f"exited with code {process.returncode}; stderr tail:\n{tail}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _terminate(process: subprocess.Popen) -> None:
    """SIGTERM to the script's process group (its children too), SIGKILL if it has not ended in time."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.communicate(timeout=TERMINATE_GRACE_SECONDS)
            break
        except subprocess.TimeoutExpired:
            continue


def terminate_all() -> None:
    """End every container process still running (the server is stopping)."""
    with _running_lock:
        processes = list(_running)
    for process in processes:
        _terminate(process)


def run_data_quality_analyzer(environment: Mapping[str, str], input_dir: Path, output_dir: Path) -> MonitoringResult:
    """The model-monitor analyzer image: the local analyzer's container entry point (statistics/constraints/
    constraint_violations in AWS's formats). Returns its MonitoringResult (status, violations)."""
    return run_data_quality_container(environment, input_dir, output_dir)
