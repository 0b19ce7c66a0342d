"""The state folder's durable format, shared by the server (which writes it) and the tools (which check it).

    <state dir>/backends.state      one file: a JSON header line, then the pickled state of every service
    <state dir>/blobs/<ab>/<sha256> S3 object bodies, one file per distinct body (content-addressed)
    <state dir>/executions/*.json   pipeline execution records (`sagemaker_pipelines.store`)
    <state dir>/snapshots/<NAME>/   copies kept by `mlops-local snapshot save NAME`

The header stamps the format, the moto and Python versions (a pickle names moto's classes, so another moto may
not read it) and the payload's length and SHA-256: a truncated or altered file is refused, never half-loaded.
Every file is written to a temporary name, fsynced, then renamed over the old one.
"""

from __future__ import annotations

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

FORMAT = 1
STATE_FILE = "backends.state"
BLOBS = "blobs"
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


def atomic_write(path: Path, chunks: list[bytes]) -> None:
    """Write `chunks` to `path` so a reader (or a crash) sees the old file or the new one, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


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
            line = stream.readline(1 << 20)
        fields = json.loads(line)
        return Header(**fields)
    except (OSError, ValueError, TypeError) as error:
        raise StateRefused(f"{path} is not a readable local stack state ({error}): nothing was loaded; "
                           f"to start over, run {RESET_FIX}") from None


def check(path: Path, moto_version: str, verify_payload: bool = True) -> Header:
    """The header of `path` once it is known loadable by this code (same format, moto and Python; the payload
    complete and unaltered); StateRefused naming `mlops-local reset` otherwise. Nothing is changed on disk."""
    header = read_header(path)
    written_by = f"format {header.format}, moto {header.moto}, Python {header.python}"
    expected = f"format {FORMAT}, moto {moto_version}, Python {PYTHON}"
    if written_by != expected:
        raise StateRefused(f"{path} was written by another version of the local stack ({written_by}; this one "
                           f"reads {expected}): nothing was loaded; to start over, run {RESET_FIX}")
    if verify_payload:
        payload = read_payload(path)
        if len(payload) != header.size or hashlib.sha256(payload).hexdigest() != header.sha256:
            raise StateRefused(f"{path} is truncated or damaged ({len(payload)} of {header.size} bytes, checksum "
                               f"{'differs' if len(payload) == header.size else 'not checked'}): nothing was "
                               f"loaded; to start over, run {RESET_FIX}")
    return header


def read_payload(path: Path) -> bytes:
    with path.open("rb") as stream:
        stream.readline(1 << 20)
        return stream.read()


def moto_version() -> str:
    """moto's installed version, read from its distribution (cheap: moto itself is not imported)."""
    return version("moto")
