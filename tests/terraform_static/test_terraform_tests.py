"""`terraform test` files of mlops-infra/tests, on the AWS provider's mock: no AWS, no credentials.

- registry/dev/prod: with each account's real tfvars the plan succeeds and the account gets exactly its
  modules; module runs check the key, bucket, group, role and rule settings with those values.
- bootstrap: the state bucket of each account (its values from the tfvars, passed as the runner does).
- validation: for each validated variable a malformed value fails the plan on that variable
  (`expect_failures`); and a malformed tfvars file fails with a message naming the field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines.config import ENVIRONMENTS_DIR, environments, load_config
from pipelines.infra.terraform import BOOTSTRAP_ROOT, TERRAFORM_ROOT

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

TESTS_DIR = TERRAFORM_ROOT / "tests"
RUN_BLOCK = re.compile(r'^run "([\w-]+)"', re.MULTILINE)
RUN_RESULT = re.compile(r'^\s*run "([\w-]+)"\.\.\. (\w+)', re.MULTILINE)


# The test files each account's tfvars drive; one `terraform test` per account (the provider starts once per run).
TEST_FILES = {
    "registry": ["registry.tftest.hcl"],
    "dev": ["dev.tftest.hcl", "workload.tftest.hcl", "validation.tftest.hcl"],
    "staging": ["workload.tftest.hcl"],
    "prod": ["prod.tftest.hcl", "workload.tftest.hcl"],
}


def _reported_runs(output: str) -> dict[tuple[str, str], str]:
    """{(test file, run name): result} from `terraform test` output, file sections in order."""
    results = {}
    for section in re.split(r"^(?=tests/[\w.-]+\.tftest\.hcl\.\.\. in progress)", output, flags=re.MULTILINE):
        header = re.match(r"tests/([\w.-]+\.tftest\.hcl)", section)
        if header:
            results.update({(header.group(1), run): status for run, status in RUN_RESULT.findall(section)})
    return results


@pytest.mark.parametrize("environment", TEST_FILES)
def test_terraform_test_files_pass_every_run_with_the_accounts_tfvars(terraform, main_root_data_dir,
                                                                      lambda_zip_var_file, environment):
    files = TEST_FILES[environment]
    result = terraform.run(TERRAFORM_ROOT, "test", *(f"-filter=tests/{name}" for name in files),
                           f"-var-file={ENVIRONMENTS_DIR / f'{environment}.tfvars.json'}",
                           f"-var-file={lambda_zip_var_file}", data_dir=main_root_data_dir)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    declared = {(name, run): "pass" for name in files for run in RUN_BLOCK.findall((TESTS_DIR / name).read_text())}
    assert len(declared) > len(files), "expected several runs per test file"
    assert _reported_runs(output) == declared, output


def test_every_test_file_is_run():
    assert {path.name for path in TESTS_DIR.glob("*.tftest.hcl")} == {name for names in TEST_FILES.values()
                                                                       for name in names}


@pytest.mark.parametrize("environment", environments())
def test_bootstrap_state_bucket_of_each_account(terraform, tmp_path, environment):
    config = load_config(environment)
    init = terraform.run(BOOTSTRAP_ROOT, "init", "-backend=false", "-input=false", data_dir=tmp_path)
    assert init.returncode == 0, init.stdout + init.stderr
    result = terraform.run(BOOTSTRAP_ROOT, "test", f"-var=state_bucket_name={config.terraform_state_bucket}",
                           f"-var=account_id={config.account_id}", f"-var=aws_region={config.aws_region}",
                           data_dir=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    declared = RUN_BLOCK.findall((BOOTSTRAP_ROOT / "tests" / "state_bucket.tftest.hcl").read_text())
    assert dict(RUN_RESULT.findall(output)) == dict.fromkeys(declared, "pass"), output


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
    # A digit is a list index: workload.serving.endpoints.0.mode
    *parents, last = [int(key) if key.isdigit() else key for key in field.split(".")]
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
    ("workload.serving.endpoints.1.mode", "serverless",
     "workload.serving.endpoints[].mode must be one of single-model"),
    ("workload.serving.endpoints.0.deployment.traffic_step_percent", 10,
     "workload.serving.endpoints[].deployment.traffic_step_percent must be null for the all-at-once strategy"),
    ("workload.serving.data_capture.sampling_percent", 150,
     "workload.serving.data_capture.sampling_percent must be a whole number between 0 and 100"),
    ("workload.pipeline.tuning", {"max_jobs": 2, "max_parallel_jobs": 3, "random_seed": 1, "ranges": {
        "eta": {"kind": "continuous", "min": 0.1, "max": 0.5}}}, "workload.pipeline.tuning (null trains once"),
    ("secondary_region", {"region": "us-east-1", "replication_enabled": True,
                          "replica_artifacts_bucket_name": "mammo-model-artifacts-replica-111111111111",
                          "replica_kms_alias": "alias/mammo-model-artifacts-replica"},
     "secondary_region.region must differ from aws_region"),
])
def test_a_malformed_tfvars_file_fails_the_plan_naming_the_field(terraform, main_root_data_dir, lambda_zip_var_file,
                                                                tmp_path, field, value, message):
    malformed = _malformed_dev_tfvars(tmp_path, field, value)
    result = terraform.run(TERRAFORM_ROOT, "test", "-filter=tests/dev.tftest.hcl", f"-var-file={malformed}",
                           f"-var-file={lambda_zip_var_file}", data_dir=main_root_data_dir)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "Invalid value for variable" in output
    assert f"var.{field.split('.')[0]}" in output
    assert message in output
