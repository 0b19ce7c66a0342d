"""Deterministic zip of the project's Lambda handlers, consumed by the Terraform lambda, alerts and serving modules.

One zip holds every handler at its root (`latest_approved_model.handler`, `pipeline_alert.handler`,
`endpoint_refresh.handler`), so the runner builds and passes a single `lambda_zip_path`. The project modules the
handlers import (standard library and boto3 only) go in at their package paths, `pipelines/<file>`, so the
handlers' `from pipelines... import` works from the Lambda task root as it does in the repository.

Terraform compares `filebase64sha256()` of the zip, so the archive must be byte-identical on every build:
fixed timestamps and permissions, sorted members, no directory entries, fixed compression.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # pipelines/
# What the handlers import, transitively (tests/pipelines/test_lambda_package.py imports each handler from an
# unpacked zip alone to prove the list complete).
LIBRARY_MODULES = ("__init__.py", "errors.py", "files.py", "model_registry.py", "s3_uri.py",
                   *(f"config/{path.name}" for path in sorted((PACKAGE_DIR / "config").glob("*.py"))),
                   "endpoints/__init__.py", "endpoints/hosting.py", "endpoints/refresh.py")
# Archive name -> source file: the handlers at the root, the modules they import under pipelines/.
MEMBERS = {
    "latest_approved_model.py": PACKAGE_DIR / "inference" / "scripts" / "latest_approved_model.py",
    "pipeline_alert.py": PACKAGE_DIR / "alerts" / "pipeline_alert.py",
    "endpoint_refresh.py": PACKAGE_DIR / "endpoints" / "scripts" / "endpoint_refresh.py",
    **{f"pipelines/{module}": PACKAGE_DIR / module for module in LIBRARY_MODULES},
}
ZIP_NAME = "latest_approved_model.zip"
# The earliest timestamp a zip can hold; any fixed value works, this one says "not a real date".
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--


def build_lambda_zip(output_dir: Path) -> Path:
    """Write `<output_dir>/latest_approved_model.zip` (the handlers at the archive root); return its path."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / ZIP_NAME
    temporary = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name, path in sorted(MEMBERS.items()):
            member = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            member.external_attr = FILE_MODE << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3  # unix, so the mode above is honoured whatever OS builds it
            archive.writestr(member, path.read_bytes(), compresslevel=9)
    # Replace atomically so a concurrent terraform run never reads a half-written zip.
    temporary.replace(target)
    return target
