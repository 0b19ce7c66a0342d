"""The state folder's durable format, shared by the server (which writes it) and the tools (which check it).

    <state dir>/backends.state      the manifest: a JSON header line, then (JSON) the part file of each service
    <state dir>/parts/<part>.<sha>.state  one service's pickled state (a header line, then the pickle)
    <state dir>/blobs/<ab>/<sha256> S3 object bodies, one file per distinct body (content-addressed)
    <state dir>/executions/*.json   pipeline execution records (`sagemaker_pipelines.store`)
    <state dir>/snapshots/<NAME>/   copies kept by `mlops-local snapshot save NAME`

Every header (the manifest's and each part's) stamps the format, the moto and Python versions (a pickle names
moto's classes, so another moto may not read it) and the payload's length and SHA-256: a truncated or altered file
is refused, never half-loaded. A part's header lists the blobs its pickle names (`blobs`): a missing one is
refused too. The manifest names each part file by its SHA-256 too, and part files are never
overwritten (their names carry their digest): the manifest, renamed over the old one last, is the commit point.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pipelines.errors import UsageError

FORMAT = 2
STATE_FILE = "backends.state"
BLOBS = "blobs"
PARTS = "parts"
EXECUTIONS = "executions"
SNAPSHOTS = "snapshots"
RESET_FIX = "`mlops-local reset` (asks first, keeps a backup)"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


class StateRefused(UsageError):
    """A state file the running code must not load: another version's, or damaged."""


@dataclass(frozen=True)
class Header:
    format: int
    moto: str
    python: str
    written: str
    size: int
    sha256: str
    summary: dict[str, Any]

    def as_json(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True).encode() + b"\n"


def state_file(state_dir: Path) -> Path:
    return Path(state_dir) / STATE_FILE


def blob_path(state_dir: Path, digest: str) -> Path:
    return Path(state_dir) / BLOBS / digest[:2] / digest


def part_path(state_dir: Path, part: str, digest: str) -> Path:
    return Path(state_dir) / PARTS / f"{part.replace(':', '.')}.{digest[:16]}.state"


def atomic_write(path: Path, chunks: list[bytes], sync: bool = True) -> None:
    """Write `chunks` to `path` so a reader (or a crash) sees the old file or the new one, never a mix. Without
    `sync`, the caller makes the file durable (`sync_filesystem`) before anything names it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            if sync:
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if sync:
        fsync_folder(path.parent)


def sync_filesystem(folder: Path) -> None:
    """Make every file written (and renamed) under `folder` durable in one call: Linux's syncfs(2) on its file
    system, elsewhere sync(2)."""
    syncfs = getattr(_libc(), "syncfs", None)
    if syncfs is None:
        os.sync()
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(descriptor) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error), str(folder))
    finally:
        os.close(descriptor)


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX: the directory entry is data of the folder)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_header(path: Path) -> Header:
    """The header of a state file; StateRefused naming the fix when it is not one this code can trust."""
    try:
        with path.open("rb") as stream:
            line = stream.readline()
        fields = json.loads(line)
        return Header(**fields)
    except (OSError, ValueError, TypeError) as error:
        raise StateRefused(f"{path} is not a readable local stack state ({error}): nothing was loaded; "
                           f"to start over, run {RESET_FIX}") from None


def check(path: Path, moto_version: str) -> Header:
    """The header of `path` once it is known loadable by this code (same format, moto and Python; the payload
    complete and unaltered); StateRefused naming `mlops-local reset` otherwise. Nothing is changed on disk."""
    header = read_header(path)
    written_by = f"format {header.format}, moto {header.moto}, Python {header.python}"
    expected = f"format {FORMAT}, moto {moto_version}, Python {PYTHON}"
    if written_by != expected:
        raise StateRefused(f"{path} was written by another version of the local stack ({written_by}; this one "
                           f"reads {expected}): nothing was loaded; to start over, run {RESET_FIX}")
    payload = read_payload(path)
    if len(payload) != header.size or hashlib.sha256(payload).hexdigest() != header.sha256:
        raise StateRefused(f"{path} is truncated or damaged ({len(payload)} of {header.size} bytes, checksum "
                           f"{'differs' if len(payload) == header.size else 'not checked'}): nothing was "
                           f"loaded; to start over, run {RESET_FIX}")
    return header


def check_state(state_dir: Path, moto_version: str) -> Header:
    """The manifest's header once the manifest and every part file it names are loadable (`check`), and each part
    is the one the manifest names; StateRefused naming `mlops-local reset` otherwise."""
    path = state_file(state_dir)
    header = check(path, moto_version)
    for part, entry in parts(path).items():
        part_file = Path(state_dir) / PARTS / entry["file"]
        if not part_file.exists():
            raise StateRefused(f"{part_file}, named by {path} for {part}, is missing: nothing was loaded; to start "
                               f"over, run {RESET_FIX}")
        part_header = check(part_file, moto_version)
        if part_header.sha256 != entry["sha256"]:
            raise StateRefused(f"{part_file} is not the state of {part} that {path} names (checksum differs): "
                               f"nothing was loaded; to start over, run {RESET_FIX}")
        for digest in part_header.summary.get("blobs", ()):
            if not blob_path(state_dir, digest).exists():
                raise missing_blob(blob_path(state_dir, digest), "nothing was loaded")
    return header


def missing_blob(path: Path, consequence: str) -> StateRefused:
    """The refusal of a state whose S3 body `path` is missing."""
    return StateRefused(f"{path}, the body of an S3 object in the local stack state, is missing: {consequence}; to "
                        f"start over, run {RESET_FIX}")


def parts(path: Path) -> dict[str, dict[str, Any]]:
    """The part files a manifest names, by part: file (under PARTS), sha256, size, summary."""
    try:
        return json.loads(read_payload(path))["parts"]
    except (ValueError, KeyError, TypeError) as error:
        raise StateRefused(f"{path} is not a readable local stack state ({error!r}): nothing was loaded; to start "
                           f"over, run {RESET_FIX}") from None


def read_payload(path: Path) -> bytes:
    with path.open("rb") as stream:
        stream.readline()
        return stream.read()


def moto_version() -> str:
    """moto's installed version, read from its distribution (cheap: moto itself is not imported)."""
    return version("moto")
