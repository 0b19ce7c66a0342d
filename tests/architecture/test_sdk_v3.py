"""The project is on SageMaker Python SDK v3 (docs/sdk-v3-upgrade.md): v2 is not installed and nothing imports it.

v3 is split into packages under the `sagemaker` namespace (`sagemaker.core`, `sagemaker.mlops`, `sagemaker.train`,
`sagemaker.serve`); v2 was one `sagemaker` distribution whose modules (`sagemaker.workflow`, `sagemaker.estimator`,
`sagemaker.model`, ...) v3 does not have. v2 is out of support from 2027-07-06.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from pipelines.config import REPO_ROOT

V3_PACKAGES = ("core", "mlops", "train", "serve")
SCANNED = ("pipelines", "localaws", "mlops_demo", "tests", "benchmarks", "scripts")


def installed() -> dict[str, str]:
    listing = subprocess.run([sys.executable, "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
                             capture_output=True, text=True, check=True)
    return {package["name"].lower(): package["version"] for package in json.loads(listing.stdout)}


def test_pip_lists_sdk_v3_and_no_v2():
    versions = installed()
    assert "sagemaker" not in versions, f"the v2 SDK is installed: sagemaker {versions['sagemaker']}"
    assert versions["sagemaker-core"].split(".")[0] == "2"
    assert versions["sagemaker-mlops"].split(".")[0] == "1"
    assert {"sagemaker-train", "sagemaker-serve"} <= versions.keys()


def sdk_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every `sagemaker` module or name imported: `from sagemaker import x` is `sagemaker.x`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "sagemaker"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "sagemaker":
            found += [(node.lineno, f"{node.module}.{alias.name}" if node.module == "sagemaker" else node.module)
                      for alias in node.names]
    return found


def v2_only(name: str) -> bool:
    parts = name.split(".")
    return len(parts) < 2 or parts[1] not in V3_PACKAGES


def test_no_module_imports_from_v2_only_modules():
    offending = []
    for folder in SCANNED:
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            offending += [f"{path.relative_to(REPO_ROOT)}:{line}: {name}" for line, name in sdk_imports(tree)
                          if v2_only(name)]
    assert offending == [], "modules only SDK v2 has:\n" + "\n".join(offending)


def test_the_scan_sees_what_v2_code_imports():
    """The rule above on the imports v2 code writes, and on v3's."""
    v2 = ast.parse("import sagemaker\nfrom sagemaker import image_uris\nfrom sagemaker.workflow.steps import X\n"
                   "def f():\n    from sagemaker.estimator import Estimator\n")
    v3 = ast.parse("from sagemaker.core import image_uris\nfrom sagemaker.mlops.workflow.steps import ProcessingStep\n"
                   "import sagemaker.train.tuner\nfrom sagemaker.serve.model_builder import ModelBuilder\n")
    assert [v2_only(name) for _, name in sdk_imports(v2)] == [True, True, True, True]
    assert [v2_only(name) for _, name in sdk_imports(v3)] == [False, False, False, False]
