"""Fixtures for the static Terraform tests: real terraform and checkov, offline, no AWS and no credentials.

Terraform runs with its own TF_DATA_DIR under a temporary directory and, when the offline provider mirror
exists, with the same CLI configuration the runner writes (pipelines.infra.terraform.cli_config_text).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.infra.terraform import PLUGIN_MIRROR, TERRAFORM_ROOT, automation_environment, cli_config_text
from pipelines.lambdas.package import build_lambda_zips


@dataclass(frozen=True)
class Terraform:
    """The terraform binary with an isolated, offline environment."""

    binary: str
    env: dict[str, str]

    def run(self, root: Path, *args: str, data_dir: Path) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, f"-chdir={root}", *args, "-no-color"], capture_output=True, text=True,
                              env={**self.env, "TF_DATA_DIR": str(data_dir)}, check=False)


@pytest.fixture(scope="session")
def terraform(require_tool, tmp_path_factory) -> Terraform:
    binary = require_tool("terraform")
    env = automation_environment({key: value for key, value in os.environ.items()
                                  if not key.startswith(("TF_", "AWS_"))})  # as the runner runs terraform
    if PLUGIN_MIRROR.is_dir():
        cli_config = tmp_path_factory.mktemp("terraform-cli") / "terraform.rc"
        cli_config.write_text(cli_config_text(PLUGIN_MIRROR))
        env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    return Terraform(binary, env)


@pytest.fixture(scope="session")
def main_root_data_dir(terraform, tmp_path_factory) -> Path:
    """The main root initialised without a backend (this also installs the modules the test files use)."""
    data_dir = tmp_path_factory.mktemp("terraform-data") / "mlops-infra"
    result = terraform.run(TERRAFORM_ROOT, "init", "-backend=false", "-input=false", data_dir=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    return data_dir


@pytest.fixture(scope="session")
def lambda_zip_var_file(tmp_path_factory) -> Path:
    """A var file with lambda_zip_dir: the real zips of the handlers, as the runner builds them.

    A var file rather than -var: `terraform test` parses -var values of variables that a test file's
    module runs use without declaring them as HCL expressions, which a bare path is not.
    """
    directory = tmp_path_factory.mktemp("lambda-zip")
    var_file = directory / "lambda.tfvars.json"
    var_file.write_text(json.dumps({"lambda_zip_dir": str(build_lambda_zips(directory))}))
    return var_file
