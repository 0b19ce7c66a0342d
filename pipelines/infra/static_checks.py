"""`mlops-infra check`: the static checks of the Terraform, with no credentials and no AWS call.

terraform fmt, validate of every root, checkov on the HCL, and the README tables generated from the modules'
variables and outputs (pipelines.infra.docs).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.aws import local_dir
from pipelines.errors import InfraError
from pipelines.infra.docs import check_readmes
from pipelines.infra.terraform import (
    PLUGIN_MIRROR,
    TERRAFORM_ROOT,
    automation_environment,
    cli_config_text,
    terraform_binary,
)

log = logging.getLogger(__name__)


def terraform_roots(base: Path = TERRAFORM_ROOT) -> list[Path]:
    """The roots to validate: `base` and each directory directly under it with .tf files, except modules/."""
    roots = [base]
    for child in sorted(base.iterdir()):
        if child.is_dir() and child.name != "modules" and any(child.glob("*.tf")):
            roots.append(child)
    return roots


def checkov_binary() -> str:
    beside_python = Path(sys.executable).parent / "checkov"
    found = str(beside_python) if beside_python.exists() else shutil.which("checkov")
    if found is None:
        raise InfraError("checkov is not installed: `pip install -c constraints.txt -r requirements-dev.txt`")
    return found


def check(base: Path = TERRAFORM_ROOT, work_dir: Path | None = None, planned: bool = False) -> None:
    """`terraform fmt -check -recursive`, `validate` of every root, checkov, README tables: InfraError on failure.

    `planned`: every account's plan of `base` follows, and a plan validates its configuration first (with the
    account's values), so `base` itself is not validated here as well.
    """
    work_dir = Path(work_dir) if work_dir is not None else local_dir() / "terraform" / "check"
    env = automation_environment(os.environ)
    if PLUGIN_MIRROR.is_dir():
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / "terraform.rc").write_text(cli_config_text(PLUGIN_MIRROR))
        env["TF_CLI_CONFIG_FILE"] = str(work_dir / "terraform.rc")
    binary = terraform_binary()
    _check_step("terraform fmt", [binary, "fmt", "-check", "-recursive", "-diff", str(base)], env)
    for root in terraform_roots(base):
        if planned and root == base:
            log.info("check: terraform validate (%s) is left to the accounts' plans", root)
            continue
        root_env = dict(env, TF_DATA_DIR=str(work_dir / root.relative_to(base.parent).as_posix().replace("/", "-")))
        _check_step(f"terraform init ({root})", [binary, f"-chdir={root}", "init", "-backend=false", "-input=false",
                                                 "-no-color"], root_env)
        _check_step(f"terraform validate ({root})", [binary, f"-chdir={root}", "validate", "-no-color"], root_env)
    _check_step("checkov", [checkov_binary(), "-d", str(base), "--framework", "terraform", "--skip-download",
                            "--compact", "--quiet"], env)
    log.info("check: README tables")
    check_readmes(base)


def _check_step(name: str, command: list[str], env: dict[str, str]) -> None:
    log.info("check: %s", name)
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-60:])
        raise InfraError(f"{name} failed (exit {result.returncode}):\n{tail}")
    log.info("check: %s passed", name)
