"""The durable state of `mlops-local up`'s stack, from outside: status, snapshots, reset, and finding a running
server of the folder so no command starts a second, empty one beside it.

The state folder is `<MLOPS_LOCAL_DIR>/state` (`localaws.persistence.layout` describes it). Nothing here
discards state without a backup: `reset` and `snapshot restore` first move the current folder to
`<MLOPS_LOCAL_DIR>/backups/state-<UTC time>`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from localaws.persistence import layout
from localaws.tools.stack import (
    SERVER_MODULE,
    call_route,
    default_state_dir,
    find_stack_servers,
    read_token,
)
from pipelines.aws import DEFAULT_AUTHORIZATION, local_dir, stack_health
from pipelines.errors import LocalStackError, UsageError

BACKUPS = "backups"
_SNAPSHOT_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


@dataclass(frozen=True)
class RunningServer:
    pid: int
    endpoint: str
    token: str | None
    """The management token the server's own routes require (kept in its state folder)."""
    authorization: str
    """The authorization mode its health answer shows."""


def running_server(state_dir: Path | None = None) -> RunningServer | None:
    """The healthy stack server that keeps its state in `state_dir` (the folder's lock on the state is the server
    itself: its command line names the folder), found without `stack.json`; None when none answers."""
    state_dir = state_dir or default_state_dir()
    for pid in find_stack_servers(state_dir):
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        if SERVER_MODULE not in arguments or "--port" not in arguments:
            continue
        host = arguments[arguments.index("--host") + 1] if "--host" in arguments else "127.0.0.1"
        endpoint = f"http://{host}:{arguments[arguments.index('--port') + 1]}"
        health = stack_health(endpoint)
        if health is not None:
            return RunningServer(pid, endpoint, read_token(state_dir),
                                 health.get("authorization", DEFAULT_AUTHORIZATION))
    return None


def check_loadable(state_dir: Path | None = None) -> layout.Header | None:
    """The header of the folder's saved state once it is known loadable; StateRefused (exit 2, the fix named)."""
    path = layout.state_file(state_dir or default_state_dir())
    return layout.check_state(path.parent, layout.moto_version()) if path.exists() else None


def disk_use(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0


def unreadable_records(state_dir: Path) -> list[str]:
    """Execution records that cannot be read (the server skips them): named by `status`, never dropped."""
    bad = []
    for path in sorted((state_dir / layout.EXECUTIONS).glob("*.json")):
        try:
            json.loads(path.read_text())["execution_arn"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            bad.append(f"{path}: {error}")
    return bad


def status_lines(state_dir: Path | None = None) -> list[str]:
    """What `mlops-local status` prints about the state: accounts, resources per service, running executions
    and endpoints, disk use, last durable write, unreadable records."""
    state_dir = state_dir or default_state_dir()
    server = running_server(state_dir)
    durable = True
    if server is not None:
        answer = call_route(server.endpoint, "state")
        summary, last_write, durable = answer.get("summary") or {}, answer.get("last_write"), answer["durable"]
    else:
        path = layout.state_file(state_dir)
        header = layout.read_header(path) if path.exists() else None
        summary, last_write = (header.summary, header.written) if header else ({}, None)
    running = [record["execution_arn"] for record in _records(state_dir)
               if record.get("status") in ("Executing", "Stopping")]
    lines = [f"state: {state_dir} ({disk_use(state_dir) / 1e6:.1f} MB on disk; last durable write: "
             f"{last_write or 'never'})",
             f"accounts: {', '.join(summary.get('accounts', [])) or 'none'}",
             "resources: " + (", ".join(f"{name} {count}" for name, count in sorted(summary.get("resources", {})
                                                                                      .items())) or "none"),
             f"endpoints: {summary.get('endpoints', 0)}",
             f"running executions: {len(running)}", *[f"  {arn}" for arn in running]]
    if not durable:
        lines.insert(0, "durable state: off (up --no-durable): the running stack's state goes with it")
    lines += [f"unreadable execution record (skipped by the server): {bad}" for bad in unreadable_records(state_dir)]
    return lines


def _records(state_dir: Path) -> list[dict]:
    records = []
    for path in sorted((state_dir / layout.EXECUTIONS).glob("*.json")):
        try:
            records.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # reported by unreadable_records
    return records


# ------------------------------------------------------------------------------------------------ snapshots

def snapshot_folder(name: str) -> Path:
    if not name or not set(name) <= _SNAPSHOT_NAME_CHARACTERS or name.startswith("."):
        raise UsageError(f"snapshot name {name!r}: use letters, digits, '-', '_' and '.' (e.g. after-apply)")
    return local_dir() / layout.SNAPSHOTS / name


def save_snapshot(name: str) -> Path:
    """Copy the stack's state as snapshot `name` (the running server writes its state first); its folder."""
    target, state_dir = snapshot_folder(name), default_state_dir()
    server = running_server(state_dir)
    if server is not None and not call_route(server.endpoint, "state", body={})["durable"]:
        raise UsageError("the running stack was started with --no-durable: its state is in memory only and cannot "
                         "be saved; start it without --no-durable (mlops-local down, then up) to keep state")
    if not layout.state_file(state_dir).exists():
        raise UsageError(f"there is no saved state in {state_dir} yet: start the stack (mlops-local up) first")
    if target.exists():
        raise UsageError(f"snapshot {name} exists ({target}): choose another name")
    partial = target.with_name(f".{name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    copy_state(state_dir, partial)
    partial.rename(target)
    return target


def copy_state(source: Path, target: Path) -> Path:
    """Copy the state folder `source` (of a stopped stack, or written by the running one) to the new folder
    `target`, without its job folders; `target`. Blobs and part files are written once and never changed, so they
    are hard links and cost no space; the manifest and the execution records, which a server rewrites, are copies.
    The manifest is read first: the part files it names stay until a later manifest lands."""
    manifest = layout.state_file(source)
    named = manifest.read_bytes() if manifest.exists() else None
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("jobs", ".*", layout.STATE_FILE),
                    copy_function=_link_or_copy)
    if named is not None:
        layout.state_file(target).write_bytes(named)
    return Path(target)


def restore_snapshot(name: str, confirm: Callable[[str], bool]) -> tuple[Path, Path | None]:
    """Replace the stack's state with snapshot `name` (the stack must be down); (snapshot, backup of the old)."""
    source, state_dir = snapshot_folder(name), default_state_dir()
    if not source.is_dir():
        known = sorted(p.name for p in source.parent.glob("*") if not p.name.startswith(".")) if \
            source.parent.exists() else []
        raise UsageError(f"no snapshot {name} in {source.parent} (snapshots: {', '.join(known) or 'none'})")
    check_loadable(source)
    _refuse_if_running(state_dir, "restore a snapshot")
    if not confirm(f"replace the state in {state_dir} with snapshot {name}? {_what_goes(state_dir)}"):
        raise UsageError("nothing restored (not confirmed)")
    backup = _backup(state_dir)
    copy_state(source, state_dir)
    return source, backup


def reset(confirm: Callable[[str], bool]) -> Path | None:
    """Start over: move the state folder to a backup (after asking); the backup, None when there was nothing."""
    state_dir = default_state_dir()
    _refuse_if_running(state_dir, "reset")
    if not state_dir.exists():
        return None
    if not confirm(f"reset the local stack? {_what_goes(state_dir)}"):
        raise UsageError("nothing reset (not confirmed)")
    return _backup(state_dir)


def _what_goes(state_dir: Path) -> str:
    path = layout.state_file(state_dir)
    try:
        summary = layout.read_header(path).summary if path.exists() else {}
    except layout.StateRefused:
        summary = {"unreadable": str(path)}
    records = len(list((state_dir / layout.EXECUTIONS).glob("*.json")))
    resources = ", ".join(f"{name} {count}" for name, count in sorted(summary.get("resources", {}).items()))
    return (f"This sets aside: accounts {', '.join(summary.get('accounts', [])) or 'none'}; resources "
            f"{resources or 'none'}; {records} execution records ({disk_use(state_dir) / 1e6:.1f} MB); "
            f"a backup is kept in {local_dir() / BACKUPS}.")


def _backup(state_dir: Path) -> Path | None:
    if not state_dir.exists():
        return None
    backup = local_dir() / BACKUPS / f"state-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S.%fZ')}"
    backup.parent.mkdir(parents=True, exist_ok=True)
    state_dir.rename(backup)
    return backup


def _refuse_if_running(state_dir: Path, what: str) -> None:
    server = running_server(state_dir)
    if server is not None:
        raise LocalStackError(f"the local stack is running at {server.endpoint} (pid {server.pid}) on {state_dir}: "
                              f"run `mlops-local down` first to {what}")


def _link_or_copy(source: str, target: str) -> str:
    if Path(source).parent.parent.name == layout.BLOBS or Path(source).parent.name == layout.PARTS:
        try:
            Path(target).hardlink_to(source)
            return target
        except OSError:
            pass
    return shutil.copy2(source, target)
