"""Deterministic zip of the project's Lambda handlers, consumed by the Terraform lambda and alerts modules.

One zip holds both handlers at its root (`latest_approved_model.handler`, `pipeline_alert.handler`), so the
runner builds and passes a single `lambda_zip_path`.

Terraform compares `filebase64sha256()` of the zip, so the archive must be byte-identical on every build:
fixed timestamps and permissions, sorted members, no directory entries, fixed compression.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
ALERTS_DIR = Path(__file__).resolve().parent.parent / "alerts"
HANDLER_FILES = (SCRIPTS_DIR / "latest_approved_model.py", ALERTS_DIR / "pipeline_alert.py")
ZIP_NAME = "latest_approved_model.zip"
# The earliest timestamp a zip can hold; any fixed value works, this one says "not a real date".
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--


def build_lambda_zip(output_dir: Path) -> Path:
    """Write `<output_dir>/latest_approved_model.zip` with the handlers at the archive root; return its path."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / ZIP_NAME
    temporary = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for path in sorted(HANDLER_FILES, key=lambda handler: handler.name):
            member = zipfile.ZipInfo(path.name, date_time=FIXED_DATE_TIME)
            member.external_attr = FILE_MODE << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3  # unix, so the mode above is honoured whatever OS builds it
            archive.writestr(member, path.read_bytes(), compresslevel=9)
    # Replace atomically so a concurrent terraform run never reads a half-written zip.
    temporary.replace(target)
    return target
