"""The model.tar.gz that training jobs write: its bytes depend only on what it holds, so reruns compare equal."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path


def deterministic_tar_gz(members: dict[str, Path | bytes]) -> bytes:
    """A tar.gz whose bytes depend only on the members' names and contents (no times, owners); a member is a
    file or its bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, content in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.mode = 0o644
            if isinstance(content, bytes):
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
                continue
            info.size = content.stat().st_size
            with content.open("rb") as stream:
                archive.addfile(info, stream)
    return gzip.compress(buffer.getvalue(), mtime=0)
