"""`terraform test` files of mlops-infra/tests, on the AWS provider's mock: no AWS, no credentials.

- registry/dev/prod: with each account's real tfvars the plan succeeds and the account gets exactly its
  modules; module runs check the key, bucket, group, role and rule settings with those values.
- validation: for each validated variable a malformed value fails the plan on that variable
  (`expect_failures`); and a malformed tfvars file fails with a message naming the field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines.config import ENVIRONMENTS_DIR
from pipelines.infra.terraform import TERRAFORM_ROOT

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

TESTS_DIR = TERRAFORM_ROOT / "tests"
RUN_BLOCK = re.compile(r'^run "([\w-]+)"', re.MULTILINE)
RUN_RESULT = re.compile(r'^\s*run "([\w-]+)"\.\.\. (\w+)', re.MULTILINE)


def _terraform_test(terraform, data_dir: Path, test_file: str, *var_files: Path):
    return terraform.run(TERRAFORM_ROOT, "test", f"-filter=tests/{test_file}",
                         *(f"-var-file={var_file}" for var_file in var_files), data_dir=data_dir)


@pytest.mark.parametrize(("test_file", "environment"), [
    ("registry.tftest.hcl", "registry"),
    ("dev.tftest.hcl", "dev"),
    ("prod.tftest.hcl", "prod"),
    ("workload.tftest.hcl", "dev"),
    ("workload.tftest.hcl", "prod"),
    ("validation.tftest.hcl", "dev"),
])
def test_terraform_test_file_passes_every_run(terraform, main_root_data_dir, lambda_zip_var_file, test_file,
                                              environment):
    result = _terraform_test(terraform, main_root_data_dir, test_file,
                             ENVIRONMENTS_DIR / f"{environment}.tfvars.json", lambda_zip_var_file)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    declared = RUN_BLOCK.findall((TESTS_DIR / test_file).read_text())
    reported = dict(RUN_RESULT.findall(output))
    assert declared, f"{test_file} declares no run"
    assert reported == dict.fromkeys(declared, "pass"), output


def test_every_validated_variable_has_a_failing_case():
    """Each root variable with a validation block is the expected failure of at least one validation run."""
    variables_tf = (TERRAFORM_ROOT / "variables.tf").read_text()
    validated = {
        name for name, body in re.findall(r'^variable "(\w+)" \{(.*?)^\}', variables_tf, re.MULTILINE | re.DOTALL)
        if "validation {" in body
    }
    expected = set(re.findall(r"expect_failures = \[var\.(\w+)\]", (TESTS_DIR / "validation.tftest.hcl").read_text()))
    assert validated == expected


def _malformed_dev_tfvars(tmp_path: Path, field: str, value) -> Path:
    data = json.loads((ENVIRONMENTS_DIR / "dev.tfvars.json").read_text())
    *parents, last = field.split(".")
    target = data
    for key in parents:
        target = target[key]
    target[last] = value
    path = tmp_path / "dev.tfvars.json"
    path.write_text(json.dumps(data, indent=2))
    return path


@pytest.mark.parametrize(("field", "value", "message"), [
    ("accounts.dev", "2222", "must each be an AWS account id of exactly 12 digits"),
    ("workload.alert_email", "mlops-alerts", "workload.alert_email must be an email address"),
    ("workload.inference_schedule.expression", "daily",
     "workload.inference_schedule.expression must be an EventBridge schedule expression"),
    ("model_registry.kms_alias", "mammo-model-artifacts", "model_registry.kms_alias must start with 'alias/'"),
])
def test_a_malformed_tfvars_file_fails_the_plan_naming_the_field(terraform, main_root_data_dir, lambda_zip_var_file,
                                                                tmp_path, field, value, message):
    malformed = _malformed_dev_tfvars(tmp_path, field, value)
    result = _terraform_test(terraform, main_root_data_dir, "dev.tftest.hcl", malformed, lambda_zip_var_file)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "Invalid value for variable" in output
    assert f"var.{field.split('.')[0]}" in output
    assert message in output
