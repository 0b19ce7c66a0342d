"""Container emulation by image family: what runs locally in place of a SageMaker container image.

- scikit-learn and xgboost (framework) processing images: the job's script, run with this Python in a
  subprocess that sees the job's own folder as /opt/ml (a private mount namespace per job on Linux, util-linux
  `unshare`; as root, or as a normal user through a user namespace), so hard-coded /opt/ml paths, relative
  paths and the working directory behave as in the container. Without namespaces (macOS, a kernel that
  refuses them) every /opt/ml in the arguments and environment values is remapped instead;
- the model-monitor analyzer: the project's local data-quality analyzer (localaws.monitor);
- the built-in XGBoost algorithm (training, batch transform): see steps/training.py and steps/transform.py.
"""

from __future__ import annotations

import ctypes
import functools
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localaws.cloudwatch.logs import put_log_lines
from localaws.sagemaker_pipelines.errors import StepFailed, StepStopped
from pipelines.pipeline_definition.images import image_family

if TYPE_CHECKING:
    from localaws.monitor.container import MonitoringResult

logger = logging.getLogger(__name__)

CONTAINER_ROOT = "/opt/ml"
STDERR_TAIL_LINES = 15
STOP_POLL_SECONDS = 0.2
TERMINATE_GRACE_SECONDS = 5.0
# What SageMaker records on a job that ran longer than its StoppingCondition.MaxRuntimeInSeconds.
MAX_RUNTIME_REASON = ("MaxRuntimeExceeded: Job exceeded the maximum allowed runtime "
                      "(StoppingCondition.MaxRuntimeInSeconds)")

# Every container process still running, so a stopping server can end them (they run in their own session).
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _die_with_parent() -> None:
    """In the container's process before it runs: SIGKILL when the server's thread that started it dies, so a
    server killed hard leaves no container behind (Linux; prepared in the parent, only a C call here)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def require_family(image_uri: str, allowed: Sequence[str], what: str) -> str:
    family = image_family(image_uri)
    if family not in allowed:
        raise StepFailed(f"ClientError: the local executor cannot run image {image_uri!r} for {what}: "
                         f"it emulates the {', '.join(allowed)} image families")
    return family


# Runs inside the job's new mount namespace, then execs the container's command. /opt/ml is the job's folder
# ($1). A machine without /opt/ml gets a private /opt (tmpfs) holding its own /opt entries (bind mounts, so
# paths do not change) and an empty ml/ to mount on: nothing is created on the machine's file system.
_NAMESPACE_SETUP = r"""
set -eu
job=$1 host_opt=$2 workdir=$3
shift 3
if [ ! -d /opt/ml ]; then
  mount --rbind /opt "$host_opt"
  mount -t tmpfs -o mode=755 tmpfs /opt
  for entry in "$host_opt"/* "$host_opt"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=${entry##*/}
    if [ -L "$entry" ]; then cp -P "$entry" "/opt/$name"
    elif [ -d "$entry" ]; then mkdir "/opt/$name" && mount --rbind "$entry" "/opt/$name"
    else touch "/opt/$name" && mount --bind "$entry" "/opt/$name"
    fi
  done
  mkdir /opt/ml
fi
mount --bind "$job" /opt/ml
cd "$workdir"
exec "$@"
"""


@functools.cache
def namespace_prefix() -> tuple[str, ...] | None:
    """The command that starts a process in its own mount namespace, or None (logged once) when this machine
    cannot: not Linux, no util-linux `unshare`, no /opt, or a kernel that refuses (user) namespaces."""
    unshare, setpriv = shutil.which("unshare"), shutil.which("setpriv")
    if sys.platform != "linux" or not unshare or not setpriv or not os.path.isdir("/opt"):
        reason = "not Linux" if sys.platform != "linux" else (
            "no util-linux unshare/setpriv on PATH" if not (unshare and setpriv) else "no /opt folder")
    else:
        # A normal user gets mount rights in a user namespace in which it is root (files stay its own).
        user = () if os.geteuid() == 0 else ("--user", "--map-root-user")
        # setpriv: the user namespace clears the parent-death signal; set it again after entering it.
        prefix = (unshare, *user, "--mount", "--propagation", "private", "--", setpriv, "--pdeathsig", "KILL",
                  "--", "sh", "-c", _NAMESPACE_SETUP, "sh")
        with tempfile.TemporaryDirectory(prefix="mlops-namespace-probe-") as probe:
            job, host_opt = Path(probe, "ml"), Path(probe, "host-opt")
            job.mkdir(), host_opt.mkdir()
            (job / "probe").write_text("ok")
            completed = subprocess.run([*prefix, str(job), str(host_opt), "/", "cat", "/opt/ml/probe"],
                                       capture_output=True, text=True, check=False)
        if completed.returncode == 0 and completed.stdout == "ok":
            return prefix
        reason = completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "the probe failed"
    logger.warning("container jobs run without a private /opt/ml (%s): only /opt/ml paths in arguments and "
                   "environment values are remapped to the job's folder", reason)
    return None


class ContainerPaths:
    """A job's container file system: its /opt/ml is the folder `root`/opt/ml on this machine.

    With a mount namespace the process sees that folder as /opt/ml; without one, remap() rewrites /opt/ml in
    arguments and environment values to it.
    """

    def __init__(self, root: Path):
        self.root = root

    @property
    def opt_ml(self) -> Path:
        return Path(str(self.root) + CONTAINER_ROOT)

    def write_json(self, container_path: str, document: Any) -> None:
        """A file SageMaker puts into the container (/opt/ml/config/..., /opt/ml/input/config/...)."""
        path = self.local(container_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, default=str))

    def local(self, container_path: str) -> Path:
        if not container_path.startswith(CONTAINER_ROOT):
            raise StepFailed(f"ClientError: local path {container_path!r} must be under {CONTAINER_ROOT}")
        return Path(str(self.root) + container_path)

    def remap(self, text: str) -> str:
        """Every occurrence of /opt/ml in an argument (also '--x=/opt/ml/...') points into the local root."""
        return text.replace(CONTAINER_ROOT, str(self.root) + CONTAINER_ROOT) if isinstance(text, str) else text


def run_script(entrypoint: Sequence[str], arguments: Sequence[str], environment: Mapping[str, str],
               paths: ContainerPaths, work_dir: Path, stop: threading.Event | None = None,
               working_directory: str = CONTAINER_ROOT + "/processing", max_runtime: float | None = None,
               what: str = "processing job", on_output: Callable[[str], None] | None = None,
               ) -> subprocess.CompletedProcess:
    """Run a container's command as its container would, with this machine's Python.

    The process sees `paths` as /opt/ml (mount namespace) and starts in `working_directory` (a container path);
    without namespaces /opt/ml is remapped in the arguments and environment and it starts in `work_dir`.
    A non-zero exit fails the step with the exit code and the tail of stderr (what CloudWatch would show).
    When `stop` is set while it runs, its process group is terminated and StepStopped raised; after
    `max_runtime` seconds (StoppingCondition.MaxRuntimeInSeconds) it is terminated and the job fails.
    `on_output` gets the process's output (stdout, then stderr) when it ends, however it ends.
    """
    if not entrypoint:
        raise StepFailed(f"ClientError: the {what} has no ContainerEntrypoint: the local executor runs "
                         "framework images by their entry point (python3 <script>)")
    prefix = namespace_prefix()
    rewrite = (lambda text: text) if prefix else paths.remap
    command = [rewrite(part) for part in [*entrypoint, *arguments]]
    if Path(command[0]).name in ("python", "python3"):
        command[0] = sys.executable
    env = {**os.environ, **{key: rewrite(str(value)) for key, value in environment.items()}}
    # `python` in a container's shell script (FrameworkProcessor's runproc.sh) is this Python.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    cwd = work_dir
    if prefix:
        host_opt = work_dir / "host-opt"
        host_opt.mkdir(parents=True, exist_ok=True)
        paths.local(working_directory).mkdir(parents=True, exist_ok=True)
        command = [*prefix, str(paths.opt_ml), str(host_opt), working_directory, *command]
    stop = stop or threading.Event()
    deadline = time.monotonic() + max_runtime if max_runtime else None
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True,
                               preexec_fn=_die_with_parent if _libc is not None else None)
    with _running_lock:
        _running.add(process)
    try:
        while True:
            if stop.is_set():
                _terminate(process)
                raise StepStopped(f"the {what}'s container was stopped (pid {process.pid})")
            if deadline is not None and time.monotonic() > deadline:
                _terminate(process)
                raise StepFailed(MAX_RUNTIME_REASON)
            try:
                stdout, stderr = process.communicate(timeout=STOP_POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        with _running_lock:
            _running.discard(process)
    if on_output is not None:
        on_output(stdout + stderr)
    if process.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-STDERR_TAIL_LINES:])
        program = next((Path(part).name for part in command if part.endswith((".py", ".sh"))), Path(command[0]).name)
        raise StepFailed(f"AlgorithmError: script {program} exited with code {process.returncode}; "
                         f"stderr tail:\n{tail}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def write_job_log(client: Callable[[str], Any], kind: str, job_name: str, lines: Sequence[str]) -> None:
    """The job's output in CloudWatch Logs where SageMaker writes it: /aws/sagemaker/<kind> (TrainingJobs,
    ProcessingJobs ...), stream <job name>/algo-1-<epoch seconds>. A log that cannot be written is logged
    and dropped, as SageMaker drops it when the role may not write logs."""
    lines = [line for line in lines if line.strip()]
    if not lines:
        return
    group, stream = f"/aws/sagemaker/{kind}", f"{job_name}/algo-1-{int(time.time())}"
    try:
        put_log_lines(client("logs"), group, stream, lines)
    except Exception as error:
        logger.warning("the log of %s could not be written to %s: %s", job_name, group, error)


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
    # Imported here: the analyzer brings pandas, which only a model-monitor job needs.
    from localaws.monitor.container import run_data_quality_container

    return run_data_quality_container(environment, input_dir, output_dir)
