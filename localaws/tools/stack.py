"""The local AWS stack: a moto server subprocess (with the project's extensions) on a loopback port.

This module starts, stops and finds the server process; clients reach the stack through
`pipelines.aws.Target.local_stack(endpoint)` (or `Target.running_stack` for the one `mlops-local up` recorded),
which is nothing but an endpoint and fake credentials. Accounts are separated the way moto separates them: by
the account of the caller's credentials; `Target.session` assumes `mlops-local-admin` in another account.

The server keeps what must outlive a request (pipeline execution records, job folders) in its state folder:
`mlops-local up` uses `<MLOPS_LOCAL_DIR>/state`, so a restarted stack finds the records of the previous one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines import aws
from pipelines.aws import local_dir, stack_state_file
from pipelines.config import REPO_ROOT
from pipelines.errors import LocalStackError

log = logging.getLogger(__name__)

LOCAL_ADMIN_ROLE_NAME = aws.LOCAL_ADMIN_ROLE_NAME
RESET_PATH = "/moto-api/reset"
SERVER_MODULE = "localaws.server"
AUTHORIZATION_MODES = aws.AUTHORIZATION_MODES
DEFAULT_AUTHORIZATION = aws.DEFAULT_AUTHORIZATION
AUTHORIZATION_VARIABLE = "MLOPS_LOCAL_AUTHORIZATION"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
FREE_PORT_ATTEMPTS = 3


def free_loopback_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def is_healthy(endpoint: str, timeout: float = 2.0) -> bool:
    """True when a local stack with the project's extensions answers at `endpoint`."""
    return aws.stack_health(endpoint, timeout) is not None


# endpoint -> the management token of the server this process started or found recorded by `mlops-local up`.
_tokens: dict[str, str] = {}


def management_headers(endpoint: str) -> dict[str, str]:
    """The header that lets this process use the stack's own routes (/moto-api, /_mlops)."""
    endpoint = endpoint.rstrip("/")
    token = _tokens.get(endpoint)
    if token is None:
        try:
            state = json.loads(stack_state_file().read_text())
        except (OSError, ValueError):
            state = None
        if isinstance(state, dict) and state.get("endpoint") == endpoint and state.get("token"):
            token = _tokens[endpoint] = str(state["token"])
    return {aws.STACK_TOKEN_HEADER: token} if token else {}


def reset_stack(endpoint: str) -> None:
    """Forget every resource in every account (moto's reset, then the extensions' reset hooks)."""
    request = urllib.request.Request(endpoint + RESET_PATH, method="POST", data=b"",  # noqa: S310
                                     headers=management_headers(endpoint))
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
                 detached: bool = False, state_dir: Path | None = None, allow_remote: bool = False,
                 authorization: str | None = None, durable: bool = True):
        # None: MLOPS_LOCAL_AUTHORIZATION, so a whole test session can run its stacks in another mode (soft, off).
        authorization = authorization or os.environ.get(AUTHORIZATION_VARIABLE) or DEFAULT_AUTHORIZATION
        if authorization not in AUTHORIZATION_MODES:
            raise LocalStackError(f"authorization must be one of {', '.join(AUTHORIZATION_MODES)}, "
                                  f"got {authorization!r}")
        self.host = host
        self.allow_remote = allow_remote
        """Pass --allow-remote to the server (a non-loopback host; the server refuses one without it)."""
        self.port = port
        self.log_path = log_path
        self.detached = detached
        self.state_dir = state_dir
        """The server's state folder (execution records, job folders); None: a temporary one of its own."""
        self.durable = durable
        """With a state folder: keep every service's state there (off: `--no-durable`, executions records only)."""
        self.authorization = authorization
        """IAM authorization of the server: off, soft (record would-be denials) or enforce."""
        self.token = secrets.token_hex(16)
        """The management token the server's own routes require from this process's tools."""
        self.exit_with_pid = None if detached else os.getpid()
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        if not self.port:
            raise LocalStackError("the local stack has no port yet: call start() first")
        return f"http://[{self.host}]:{self.port}" if ":" in self.host else f"http://{self.host}:{self.port}"

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
        command = [sys.executable, "-m", SERVER_MODULE, "--host", self.host, "--port", str(self.port),
                   "--authorization", self.authorization]
        if self.exit_with_pid is not None:
            command += ["--exit-with-parent", str(self.exit_with_pid)]
        if self.allow_remote:
            command.append("--allow-remote")
        if self.state_dir is not None:
            command += ["--state-dir", str(Path(self.state_dir).resolve())]  # found by it (find_stack_servers)
            if not self.durable:
                command.append("--no-durable")
        log.info("starting the local AWS stack on %s", self.endpoint)
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                # cwd is on sys.path with -m: the server imports this checkout's package.
                cwd=REPO_ROOT, start_new_session=self.detached,
                env={**os.environ, aws.STACK_TOKEN_VARIABLE: self.token},
            )
        self._wait_until_healthy()
        # Only once it is up: a server that failed to start (a port in use) must not replace the token of the
        # one already answering there.
        _tokens[self.endpoint] = self.token
        if self.state_dir is not None:
            write_token(Path(self.state_dir), self.token)
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
            answer = aws.stack_health(self.endpoint, timeout=1.0)
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
        elif not pid_alive(pid):
            return
        time.sleep(0.05)
    log.warning("local stack process %d ignored SIGTERM; killing it", pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if process is not None:
        process.wait()


def pid_alive(pid: int) -> bool:
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
        return pid_alive(pid) and SERVER_MODULE in cmdline.read_bytes().decode(errors="replace")
    except OSError:
        return False


def find_stack_servers(state_dir: Path) -> list[int]:
    """Pids of the running stack servers that keep their state in `state_dir` (the servers `up` started for
    this MLOPS_LOCAL_DIR), found from their command lines: how `down` finds them without a usable record."""
    wanted = str(Path(state_dir).resolve())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if SERVER_MODULE not in arguments or "--state-dir" not in arguments:
            continue
        index = arguments.index("--state-dir") + 1
        if index < len(arguments) and str(Path(arguments[index]).resolve()) == wanted and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


@contextlib.contextmanager
def stack_lock() -> Iterator[None]:
    """Holds `<MLOPS_LOCAL_DIR>/stack.lock` (an fcntl lock, released by the kernel if the holder dies)."""
    path = local_dir() / "stack.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_state(endpoint: str, pid: int, token: str | None = None, authorization: str = DEFAULT_AUTHORIZATION
                ) -> Path:
    """Record the stack `mlops-local up` started (written atomically: a reader never sees half a file; readable by
    its owner alone, as it holds the management token)."""
    path = stack_state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".stack-", suffix=".json")  # mode 0600
    record = {"endpoint": endpoint, "pid": pid, "authorization": authorization}
    if token:
        record["token"] = token
    with os.fdopen(handle, "w") as stream:
        stream.write(json.dumps(record, indent=2) + "\n")
    os.replace(temporary, path)
    return path


TOKEN_FILE = "management-token"  # noqa: S105 - a file name, not a secret


def write_token(state_dir: Path, token: str) -> None:
    """Keep the server's management token in its state folder (owner-only), so a tool that finds the running server
    by its folder, without stack.json, can still use the stack's own routes."""
    state_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=state_dir, prefix=".token-")  # mode 0600
    with os.fdopen(handle, "w") as stream:
        stream.write(token)
    os.replace(temporary, state_dir / TOKEN_FILE)


def read_token(state_dir: Path) -> str | None:
    try:
        return (state_dir / TOKEN_FILE).read_text().strip() or None
    except OSError:
        return None


def default_state_dir() -> Path:
    """The state folder of the stack `mlops-local up` starts."""
    return local_dir() / "state"




# ---------------------------------------------------------------------------------------------- the stack's own routes
# Read-backs and controls that are not AWS APIs: what was published to a topic, what EventBridge delivered,
# the schedule clock. Only tests, the demo and `mlops-local` use them; pipelines and commands never do.

ROUTE_TIMEOUT_SECONDS = 30.0


def call_route(endpoint: str, path: str, *, query: dict[str, str] | None = None, body: dict | None = None) -> dict:
    """GET (or POST with a JSON `body`) `{endpoint}/_mlops/{path}`; its JSON answer."""
    if not aws.is_loopback_endpoint(endpoint):
        raise LocalStackError(f"{endpoint} is not a local stack endpoint (expected http://127.0.0.1:PORT)")
    url = f"{endpoint.rstrip('/')}/_mlops/{path.strip('/')}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",  # noqa: S310
                                     headers={"Content-Type": "application/json", **management_headers(endpoint)})
    try:
        with urllib.request.urlopen(request, timeout=ROUTE_TIMEOUT_SECONDS) as response:  # noqa: S310 (loopback)
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        reason = error.read().decode(errors="replace")
        raise LocalStackError(f"the local stack answered HTTP {error.code} to {path}: {reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise LocalStackError(f"the local stack at {endpoint} does not answer ({error}); is it running? "
                              "(mlops-local up)") from None


def advance_clock(endpoint: str, seconds: float) -> dict:
    """Move the stack's schedule clock forward; every schedule due in between fires, once per occurrence."""
    return call_route(endpoint, "clock/advance", body={"seconds": seconds})


def read_deliveries(endpoint: str, account_id: str) -> list[dict]:
    """What EventBridge delivered in `account_id`, oldest first (rule, target, kind, detail)."""
    return call_route(endpoint, "events/deliveries", query={"account": account_id})["deliveries"]


@dataclass(frozen=True)
class Notification:
    """One message published to an SNS topic of the local stack."""

    subject: str | None
    message: str
    timestamp: str | None
    message_id: str = ""


def read_notifications(endpoint: str, topic_arn: str) -> list[Notification]:
    """Every message published to `topic_arn` on the local stack at `endpoint`, oldest first."""
    body = call_route(endpoint, "sns/notifications", query={"topic_arn": topic_arn})
    return [Notification(subject=n.get("subject"), message=n["message"], timestamp=n.get("timestamp"),
                         message_id=n.get("message_id", "")) for n in body["notifications"]]
