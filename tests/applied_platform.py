"""One applied platform per test session, shared by every test process (xdist workers) that only reads it.

The first process that asks for it, under a lock in the session's shared temp folder, starts a local stack
server of its own (its own state folder; it stops by itself when the session's main process exits), bootstraps
and applies registry, dev and prod side by side, and records the endpoint and the outputs in `platform.json`
there. Every other process reads that record. The main process stops the server at the end of the whole run
(`stop_shared_platform`, from tests/conftest.py's `pytest_sessionfinish`).

Readers only: terraform takes the state lock for a plan too, so the tests that run terraform on this platform
stay in one module (tests/terraform_apply/test_platform.py), which runs its tests one after another. A test
that changes resources uses a platform of its own (tests/terraform_apply/test_lifecycle.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipelines.aws import Target
from pipelines.config import EnvConfig
from pipelines.infra.terraform import TerraformRunner, runner_for
from pipelines.local.stack import LocalAwsStack, is_stack_server, stop_process

ACCOUNT_ENVIRONMENTS = ("registry", "dev", "prod")
FOLDER_NAME = "applied-platform"
RECORD_NAME = "platform.json"
SERVER_NAME = "server.json"
# Set by the session's main process (the xdist controller, or the only process): the shared server exits with it.
SESSION_PID_VARIABLE = "MLOPS_TEST_SESSION_PID"


@dataclass
class AppliedAccount:
    runner: TerraformRunner
    outputs: dict

    @property
    def config(self) -> EnvConfig:
        return self.runner.config


@dataclass
class AppliedPlatform:
    endpoint: str
    accounts: dict[str, AppliedAccount]


class SharedPlatformError(Exception):
    """The process that applied the shared platform failed; its error is recorded for every other process."""


def shared_folder(session_temp: Path) -> Path:
    """The platform's folder in the temp folder every process of the session shares: an xdist worker's
    basetemp is a child of the controller's."""
    return (session_temp.parent if os.environ.get("PYTEST_XDIST_WORKER") else session_temp) / FOLDER_NAME


def bootstrap_and_apply_accounts(target: Target, work_dir: Path) -> dict[str, AppliedAccount]:
    """Bootstrap and apply the three accounts side by side (each waits mostly on the provider's S3 waits)."""
    runners = [runner_for(environment, target, work_dir=work_dir / environment)
               for environment in ACCOUNT_ENVIRONMENTS]

    def apply(runner: TerraformRunner) -> AppliedAccount:
        runner.bootstrap_and_apply()
        return AppliedAccount(runner, runner.output())

    with ThreadPoolExecutor(max_workers=len(runners)) as pool:
        applied = list(pool.map(apply, runners))
    return {account.config.environment: account for account in applied}


def shared_platform(session_temp: Path) -> AppliedPlatform:
    """The session's applied platform: applied by the first caller of the session, read back by the others."""
    folder = shared_folder(session_temp)
    folder.mkdir(parents=True, exist_ok=True)
    record_path = folder / RECORD_NAME
    with _locked(folder / "lock"):
        if not record_path.exists():
            _write_json(record_path, _apply_shared(folder))
    record = json.loads(record_path.read_text())
    if "error" in record:
        raise SharedPlatformError(f"the shared platform could not be applied:\n{record['error']}")
    target = Target.local_stack(record["endpoint"])
    accounts = {environment: AppliedAccount(runner_for(environment, target, work_dir=Path(record["work_dir"]) /
                                                       environment), outputs)
                for environment, outputs in record["outputs"].items()}
    return AppliedPlatform(record["endpoint"], accounts)


def _apply_shared(folder: Path) -> dict:
    session_pid = int(os.environ.get(SESSION_PID_VARIABLE) or os.getpid())
    stack = LocalAwsStack(log_path=folder / "server.log", detached=True, state_dir=folder / "state",
                          exit_with_pid=session_pid)
    try:
        stack.start()
    except Exception:
        return {"error": traceback.format_exc()}
    _write_json(folder / SERVER_NAME, {"endpoint": stack.endpoint, "pid": stack.pid})
    work_dir = folder / "terraform"
    try:
        accounts = bootstrap_and_apply_accounts(Target.local_stack(stack.endpoint), work_dir)
    except Exception:
        return {"error": traceback.format_exc()}
    return {"endpoint": stack.endpoint, "work_dir": str(work_dir),
            "outputs": {environment: account.outputs for environment, account in accounts.items()}}


def stop_shared_platform(session_temp: Path) -> int | None:
    """Stop the session's shared server, if one was started; returns its pid."""
    server = shared_folder(session_temp) / SERVER_NAME
    if not server.exists():
        return None
    pid = json.loads(server.read_text())["pid"]
    if is_stack_server(pid):
        stop_process(pid)
    return pid


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An fcntl lock: released by the kernel if its holder dies."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_json(path: Path, document: dict) -> None:
    """Atomically: a reader never sees half a record."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    temporary.replace(path)
