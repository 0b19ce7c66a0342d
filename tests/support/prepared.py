"""Stack states that take minutes to prepare (the three accounts applied), built once per test run and restored
per test module, so that each module still has a stack and a state of its own.

`build_once(folder, build)` runs `build(folder)` in the first process that asks (under xdist, one worker; the
others wait on a file lock in the run's shared temporary folder, then reuse what it built). A failed build is
recorded: the other workers fail with its error instead of building again.

`PlatformSnapshot`: a stopped stack's state folder with registry, dev and prod applied (`mlops-infra` bootstrap +
apply, side by side, as the demo does), and each account's bootstrap state, which Terraform keeps in its work
dir rather than in the stack. `restored_stack(folder)` copies the state (`localaws.tools.state.copy_state`:
blobs and part files hard-linked, the manifest copied) into `folder`: a durable stack process of the module's own on it;
`place_bootstrap_state(runner)` puts an account's bootstrap state where that runner keeps it. Terraform's data
dirs are not kept: a runner on another endpoint initialises its own from the provider mirror.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from shell_environment import local_environment

from localaws.tools.stack import LocalAwsStack, call_route
from localaws.tools.state import copy_state
from pipelines.aws import Target
from pipelines.infra.terraform import TerraformRunner, runner_for

PLATFORM_ACCOUNTS = ("registry", "dev", "prod")
READY = "ready.json"
FAILED = "failed.txt"


class PreparedStateFailed(RuntimeError):
    """The shared build failed (in this process or another worker): its error, for every module that needs it."""


def build_once(folder: Path, build: Callable[[Path], dict]) -> dict:
    """What `build(folder)` returned, from the process that ran it first; `folder` then holds what it built."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(f"{folder.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also when this process dies
        ready, failed = folder / READY, folder / FAILED
        if ready.exists():
            return json.loads(ready.read_text())
        if failed.exists():
            raise PreparedStateFailed(f"building {folder.name} failed earlier in this run:\n{failed.read_text()}")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        try:
            result = build(folder)
        except BaseException:
            failed.write_text(traceback.format_exc())
            raise
        ready.write_text(json.dumps(result))
        return result


@dataclass(frozen=True)
class PlatformSnapshot:
    folder: Path

    @property
    def state_dir(self) -> Path:
        return self.folder / "state"

    def bootstrap_state(self, environment: str) -> Path:
        return self.folder / "bootstrap" / f"{environment}.tfstate"

    @classmethod
    def build(cls, folder: Path) -> dict:
        """Apply the three accounts on a new durable stack, stop it cleanly (its last write), keep the state."""
        snapshot = cls(folder)
        with LocalAwsStack(state_dir=snapshot.state_dir, log_path=folder / "build-server.log") as stack, \
                local_environment(stack.endpoint):
            target = Target.local_stack(stack.endpoint)
            runners = [runner_for(environment, target, work_dir=folder / "work" / environment)
                       for environment in PLATFORM_ACCOUNTS]
            with ThreadPoolExecutor(max_workers=len(runners)) as pool:  # mostly the provider's waits: side by side
                list(pool.map(TerraformRunner.bootstrap_and_apply, runners))
            call_route(stack.endpoint, "state", body={})  # a state that cannot be written fails here, loudly
        for runner in runners:
            snapshot.bootstrap_state(runner.config.environment).parent.mkdir(exist_ok=True)
            shutil.copy2(runner.bootstrap_state_file, snapshot.bootstrap_state(runner.config.environment))
        shutil.rmtree(folder / "work")  # data dirs and source copies: every runner makes its own
        return {"accounts": list(PLATFORM_ACCOUNTS)}

    def restored_stack(self, folder: Path, **options) -> LocalAwsStack:
        """A stack of its own (not started yet: `with ... as stack`) on a copy of the applied state in `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        state_dir = copy_state(self.state_dir, folder / "state")
        return LocalAwsStack(state_dir=state_dir, log_path=folder / "server.log", **options)

    def place_bootstrap_state(self, runner: TerraformRunner) -> TerraformRunner:
        runner.bootstrap_state_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.bootstrap_state(runner.config.environment), runner.bootstrap_state_file)
        return runner
