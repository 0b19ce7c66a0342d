"""A real PostgreSQL for the warehouse tests: Debian's server, started once per test session on a loopback port
and loaded with the UCI data as `mlops-local db up` loads it; stopped (and its folder removed) at the end.

Without the server installed the tests are skipped, a FAILURE under MLOPS_REQUIRE_ALL_TOOLS=1 (`.ci/run`
installs the `postgresql` package)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from localaws.tools.stack import free_loopback_port
from localaws.tools.warehouse import LocalWarehouse, server_binaries
from pipelines.config import REPO_ROOT
from pipelines.data.raw import read_raw
from pipelines.errors import LocalStackError

REQUIRE_ALL_TOOLS = "MLOPS_REQUIRE_ALL_TOOLS"
RAW_DATA = REPO_ROOT / "data" / "mammographic_masses.data"


def reachable_temp_dir(prefix: str) -> Path:
    """A temp folder the server's user can reach when the tests run as root (pytest's own are 0700 of root)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    directory.chmod(0o711)
    return directory


@pytest.fixture(scope="session")
def require_postgresql() -> Path:
    try:
        return server_binaries()
    except LocalStackError as error:
        if os.environ.get(REQUIRE_ALL_TOOLS) == "1":
            pytest.fail(f"{error}, and {REQUIRE_ALL_TOOLS}=1 forbids skipping")
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def warehouse(require_postgresql) -> Iterator[LocalWarehouse]:
    directory = reachable_temp_dir("mlops-warehouse-")
    server = LocalWarehouse(directory / "warehouse")
    try:
        server.start(free_loopback_port())
        server.load(read_raw(RAW_DATA).records)
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
