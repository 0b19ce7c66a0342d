"""The local AWS stack: a moto server subprocess (with the project's extensions) on a loopback port.

Local mode is signalled by the environment variable AWS_ENDPOINT_URL: boto3, the SageMaker SDK and the
project's commands all honour it. `activate(endpoint)` sets it together with fake credentials and removes
every variable that could lead a client to real AWS credentials or endpoints.

Accounts are separated the way moto separates them: by the account of the caller's credentials. The fake
keys belong to moto's default account (the tooling account, 123456789012); `pipelines.aws.session_for_account`
assumes `mlops-local-admin` in another account to act there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from pipelines.config import REPO_ROOT
from pipelines.errors import LocalStackError

log = logging.getLogger(__name__)

DEFAULT_REGION = "us-east-1"
FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - moto's documented fake secret, not a credential
LOCAL_ADMIN_ROLE_NAME = "mlops-local-admin"
HEALTH_PATH = "/_mlops/health"
RESET_PATH = "/moto-api/reset"
SERVER_MODULE = "pipelines.local.server"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
FREE_PORT_ATTEMPTS = 3

# Variables that would let a client find real credentials, a profile, or a service-specific endpoint that
# bypasses AWS_ENDPOINT_URL. Every AWS_ENDPOINT_URL_<SERVICE> variable is removed as well.
_REAL_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


def local_dir() -> Path:
    """Where `mlops-local` keeps its state file and server log (MLOPS_LOCAL_DIR, default `<repo>/.local`)."""
    return Path(os.environ.get("MLOPS_LOCAL_DIR") or REPO_ROOT / ".local")


def state_file() -> Path:
    return local_dir() / "stack.json"


def is_local_mode() -> bool:
    return bool(os.environ.get("AWS_ENDPOINT_URL"))


def local_environment_variables(endpoint: str) -> tuple[dict[str, str], list[str]]:
    """(variables to set, variables to remove) that point every AWS client at `endpoint`."""
    to_set = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_REGION": DEFAULT_REGION,
        # No shared config or credentials file may add a profile, a role or an endpoint of its own.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    to_remove = sorted(
        set(_REAL_AWS_VARIABLES) | {name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")}
    )
    return to_set, to_remove


def activate(endpoint: str) -> dict[str, str | None]:
    """Put this process in local mode against `endpoint`; return the previous values for `restore_environment`."""
    to_set, to_remove = local_environment_variables(endpoint)
    previous = {name: os.environ.get(name) for name in [*to_set, *to_remove]}
    for name in to_remove:
        os.environ.pop(name, None)
    os.environ.update(to_set)
    return previous


def restore_environment(previous: dict[str, str | None]) -> None:
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextlib.contextmanager
def local_environment(endpoint: str) -> Iterator[None]:
    """Local mode against `endpoint` for the duration of the block; the environment is restored afterwards."""
    previous = activate(endpoint)
    try:
        yield
    finally:
        restore_environment(previous)


def free_loopback_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def health(endpoint: str, timeout: float = 2.0) -> dict | None:
    """The health answer of a local stack at `endpoint` ({"status", "pid", "extensions"}), None if none answers."""
    try:
        with urllib.request.urlopen(endpoint + HEALTH_PATH, timeout=timeout) as response:  # noqa: S310 - http only
            answer = json.load(response)
    except (OSError, ValueError):
        return None
    return answer if isinstance(answer, dict) and answer.get("status") == "ok" else None


def is_healthy(endpoint: str, timeout: float = 2.0) -> bool:
    """True when a local stack with the project's extensions answers at `endpoint`."""
    return health(endpoint, timeout) is not None


def reset_stack(endpoint: str) -> None:
    """Forget every resource in every account (moto's reset, then the extensions' reset hooks)."""
    request = urllib.request.Request(endpoint + RESET_PATH, method="POST", data=b"")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
    except OSError as error:
        raise LocalStackError(f"could not reset the local stack at {endpoint}: {error}") from None


class LocalAwsStack:
    """A moto server with the project's extensions, in a subprocess on `host`:`port` (0 = a free port).

    `detached=True` starts it in its own session so it outlives this process (`mlops-local up`); otherwise
    it stops with this process even if this process is killed without running `stop()`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log_path: Path | None = None,
                 detached: bool = False):
        self.host = host
        self.port = port
        self.log_path = log_path
        self.detached = detached
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        if not self.port:
            raise LocalStackError("the local stack has no port yet: call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> LocalAwsStack:
        if self.process is not None and self.process.poll() is None:
            raise LocalStackError(f"the local stack is already running at {self.endpoint}")
        if self.port:
            return self._start_on_port()
        # A free port can be taken by another process before the server binds it: try a few.
        for attempt in range(1, FREE_PORT_ATTEMPTS + 1):
            self.port = free_loopback_port(self.host)
            try:
                return self._start_on_port()
            except LocalStackError:
                if attempt == FREE_PORT_ATTEMPTS or self.process is None:
                    raise
                log.warning("port %d was taken before the server bound it; trying another", self.port)
                self.process, self.port = None, 0

    def _start_on_port(self) -> LocalAwsStack:
        if self.log_path is None:
            self.log_path = Path(tempfile.gettempdir()) / f"mlops-local-stack-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", SERVER_MODULE, "--host", self.host, "--port", str(self.port)]
        if not self.detached:
            command += ["--exit-with-parent", str(os.getpid())]
        log.info("starting the local AWS stack on %s", self.endpoint)
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                # cwd is on sys.path with -m: the server imports this checkout's package.
                cwd=REPO_ROOT, start_new_session=self.detached,
            )
        self._wait_until_healthy()
        log.info("local AWS stack ready at %s (pid %d)", self.endpoint, self.process.pid)
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalStackError(
                    f"the local stack server exited with status {self.process.returncode} while starting on "
                    f"{self.endpoint}; its log ({self.log_path}) ends with:\n{self.log_tail()}"
                )
            answer = health(self.endpoint, timeout=1.0)
            # Another server already on this port would answer too: only our own process counts.
            if answer is not None and answer.get("pid") == self.process.pid:
                return
            time.sleep(0.1)
        self.stop()
        raise LocalStackError(
            f"the local stack did not answer on {self.endpoint} within {START_TIMEOUT_SECONDS:.0f}s; "
            f"its log ({self.log_path}) ends with:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def reset(self) -> None:
        reset_stack(self.endpoint)

    def stop(self) -> None:
        if self.process is None:
            return
        stop_process(self.process.pid, self.process)
        self.process = None
        log.info("local AWS stack on port %d stopped", self.port)

    def __enter__(self) -> LocalAwsStack:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def stop_process(pid: int, process: subprocess.Popen | None = None) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT_SECONDS; reaps `process` when it is our child."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                return
        elif not _pid_alive(pid):
            return
        time.sleep(0.05)
    log.warning("local stack process %d ignored SIGTERM; killing it", pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if process is not None:
        process.wait()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is gone for our purposes.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def is_stack_server(pid: int) -> bool:
    """True when `pid` is a running local stack server (guards against signalling a recycled pid)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        return _pid_alive(pid) and SERVER_MODULE in cmdline.read_bytes().decode(errors="replace")
    except OSError:
        return False


def write_state(endpoint: str, pid: int) -> Path:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"endpoint": endpoint, "pid": pid}, indent=2) + "\n")
    return path


def read_state() -> dict | None:
    """The running stack's {"endpoint", "pid"} from `mlops-local up`, or None when there is no state file."""
    path = state_file()
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
        return {"endpoint": str(state["endpoint"]), "pid": int(state["pid"])}
    except (ValueError, KeyError, TypeError):
        raise LocalStackError(f"{path} is corrupt: run `mlops-local down` and `mlops-local up`") from None


def running_endpoint() -> str:
    """The endpoint of the stack started by `mlops-local up`, checked to answer."""
    state = read_state()
    if state is None:
        raise LocalStackError(f"the local stack is not running (no {state_file()}): start it with `mlops-local up`")
    if not is_healthy(state["endpoint"]):
        raise LocalStackError(
            f"the local stack recorded in {state_file()} does not answer at {state['endpoint']}: "
            "restart it with `mlops-local down` and `mlops-local up`"
        )
    return state["endpoint"]


def activate_running() -> str:
    """For CLIs given `--local`: activate the stack started by `mlops-local up`; return its endpoint."""
    endpoint = running_endpoint()
    activate(endpoint)
    return endpoint
