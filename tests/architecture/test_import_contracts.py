"""The architecture's import rules (pyproject.toml, [tool.importlinter]) hold, and they can fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.config import REPO_ROOT

PACKAGES = ("pipelines", "localaws", "mlops_demo")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    binary = Path(sys.executable).parent / "lint-imports"
    # grimp caches the import graph beside the configuration; a copy must not reuse the checkout's cache.
    return subprocess.run([str(binary), "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin",
                                                                            "PYTHONPATH": str(root)})


def test_the_import_contracts_hold():
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    # Every contract has a probe below that breaks it.
    assert f"Contracts: {len(FORBIDDEN_IMPORTS)} kept, 0 broken." in result.stdout


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


# One forbidden import per contract, all in one copy: each contract must name its own break.
FORBIDDEN_IMPORTS = {
    "The platform never imports the local stack": ("pipelines/approve_model.py", "localaws.tools.stack"),
    "Pipeline definitions are pure": ("pipelines/definitions.py", "pipelines.run_pipeline"),
    "The stack server speaks no client command": ("localaws/events/delivery.py", "localaws.tools.stack"),
    "Tools that drive the stack from outside": ("mlops_demo/steps.py", "localaws.sagemaker_pipelines.store"),
    "The console is a client of the stack": ("localaws/console/reader.py", "localaws.sagemaker_pipelines.store"),
    "The CLI is the top layer": ("pipelines/approve_model.py", "pipelines.cli.support"),
    "No import circles": ("pipelines/errors.py", "pipelines.config"),
    "Layers of the platform": ("pipelines/parsing.py", "pipelines.notify"),
}


def test_a_forbidden_import_breaks_its_contract(tree_copy):
    for importer, imported in FORBIDDEN_IMPORTS.values():
        source = tree_copy / importer
        source.write_text(source.read_text() + f"\nimport {imported}  # added by the test\n")
    result = _lint_imports(tree_copy)
    assert result.returncode != 0
    broken = result.stdout[result.stdout.index("Broken contracts"):]
    assert [contract for contract in FORBIDDEN_IMPORTS if contract not in broken] == [], result.stdout
    assert f"{len(FORBIDDEN_IMPORTS)} broken" in result.stdout

