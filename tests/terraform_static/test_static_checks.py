"""The Terraform code passes `terraform fmt`, `terraform validate` (every root) and checkov, offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from pipelines.config import ENVIRONMENTS_DIR
from pipelines.infra.static_checks import checkov_binary, terraform_roots
from pipelines.infra.terraform import TERRAFORM_ROOT

pytestmark = pytest.mark.terraform


def test_terraform_files_are_formatted(terraform, tmp_path):
    result = terraform.run(TERRAFORM_ROOT, "fmt", "-check", "-recursive", "-diff", data_dir=tmp_path)
    assert result.returncode == 0, f"run `terraform fmt -recursive mlops-infra`:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("root", terraform_roots(), ids=lambda root: root.relative_to(TERRAFORM_ROOT.parent).as_posix())
def test_every_root_validates(terraform, root, tmp_path):
    init = terraform.run(root, "init", "-backend=false", "-input=false", data_dir=tmp_path)
    assert init.returncode == 0, init.stdout + init.stderr
    # The roots' test files are not validated here: test_terraform_tests.py runs every one of them, and their
    # validation would take three quarters of this test's CPU.
    validate = terraform.run(root, "validate", "-no-tests", data_dir=tmp_path)
    assert validate.returncode == 0, validate.stdout + validate.stderr


def test_roots_list_the_main_root_and_bootstrap():
    assert [root.name for root in terraform_roots()] == ["mlops-infra", "bootstrap"]


def test_every_root_commits_a_lock_file_for_the_aws_provider():
    for root in terraform_roots():
        lock = (root / ".terraform.lock.hcl").read_text()
        assert 'provider "registry.terraform.io/hashicorp/aws"' in lock, root
        assert "h1:" in lock, root


@pytest.fixture(scope="module")
def checkov_report() -> tuple[int, dict]:
    result = subprocess.run([checkov_binary(), "-d", str(TERRAFORM_ROOT), "--framework", "terraform",
                             "--skip-download", "--output", "json"], capture_output=True, text=True, check=False)
    report = json.loads(result.stdout)
    return result.returncode, report[0] if isinstance(report, list) else report


def test_checkov_reports_no_failed_check(checkov_report):
    returncode, report = checkov_report
    failed = [f"{check['check_id']} {check['resource']} ({check['file_path']})"
              for check in report["results"]["failed_checks"]]
    assert failed == []
    assert returncode == 0
    assert report["summary"]["passed"] > 0


def test_every_checkov_skip_is_inline_with_a_reason(checkov_report):
    _, report = checkov_report
    skipped = report["results"]["skipped_checks"]
    assert skipped, "expected the documented skips (e.g. cross-region replication)"
    for check in skipped:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason.split()) >= 4, f"{check['check_id']} on {check['resource']} is skipped without a reason"


AGREED_OUTPUTS = {
    "model_package_group_arn", "model_artifacts_bucket_name", "registry_kms_key_arn", "workload_kms_key_arn",
    "data_bucket_name", "sagemaker_execution_role_arn", "lambda_role_arn", "events_role_arn", "alert_topic_arn",
    "latest_model_function_arn", "jenkins_role_arn",
}


def test_the_main_root_has_the_agreed_outputs():
    declared = set(re.findall(r'^output "(\w+)"', (TERRAFORM_ROOT / "outputs.tf").read_text(), re.MULTILINE))
    assert AGREED_OUTPUTS <= declared


def test_variables_are_the_keys_of_the_tfvars_files():
    declared = set(re.findall(r'^variable "(\w+)"', (TERRAFORM_ROOT / "variables.tf").read_text(), re.MULTILINE))
    registry_only = {"promotion"}  # the promotion order is the registry file's alone
    for path in ENVIRONMENTS_DIR.glob("*.tfvars.json"):
        expected = declared - {"lambda_zip_dir"} - (set() if path.name == "registry.tfvars.json" else registry_only)
        assert set(json.loads(path.read_text())) == expected, path


# Terraform sources of the tree: not data dirs, not the git-ignored *_override.tf files a person may generate.
SOURCES = sorted(path for path in TERRAFORM_ROOT.rglob("*.tf")
                 if ".terraform" not in path.parts and not path.name.endswith("_override.tf"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(TERRAFORM_ROOT)))
def test_committed_terraform_has_no_emulator_settings(path):
    """The local stack points terraform at moto with a generated, git-ignored override, never in these files."""
    text = path.read_text()
    # The provider's `endpoints` block; the word alone names SageMaker endpoints too.
    assert not re.search(r"^\s*endpoints\s*\{", text, re.MULTILINE), f"{path}: endpoints block"
    for setting in ("skip_credentials_validation", "skip_requesting_account_id", "s3_use_path_style",
                    "127.0.0.1", "localhost", "access_key", "secret_key"):
        assert setting not in text, f"{path}: {setting}"


# ---------------------------------------------------------------------- every policy is visible to checkov

POLICY_ATTRIBUTE = re.compile(r"^\s*(policy|assume_role_policy|resource_policy)\s*=\s*(.+)$", re.MULTILINE)
POLICY_DOCUMENT = re.compile(r'^data "aws_iam_policy_document" "\w+" \{\n', re.MULTILINE)
WILDCARD_STATEMENT = ('  statement {\n    sid       = "InjectedWildcardAction"\n    actions   = ["*"]\n'
                      '    resources = ["arn:aws:s3:::injected-bucket/*"]\n  }\n\n')


def _policy_document_ids(report: dict) -> set[str]:
    results = report["results"]
    return {check["resource"] for kind in ("passed_checks", "failed_checks", "skipped_checks")
            for check in results[kind] if ".aws_iam_policy_document." in check["resource"]}


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(TERRAFORM_ROOT)))
def test_every_policy_is_an_aws_iam_policy_document(path):
    """Policies are data sources checkov can evaluate with each caller's values, never inline jsonencode()."""
    for attribute, value in POLICY_ATTRIBUTE.findall(path.read_text()):
        assert value.startswith("data.aws_iam_policy_document."), f"{path}: {attribute} = {value}"


def test_checkov_fails_a_wildcard_action_injected_into_any_policy_document(checkov_report, tmp_path):
    """A statement allowing "*" added to each policy document fails in every module instance that renders it."""
    documents = _policy_document_ids(checkov_report[1])
    assert len(documents) >= 15, documents  # every module's policies, per instance (e.g. both registry buckets)
    copy = tmp_path / "mlops-infra"
    shutil.copytree(TERRAFORM_ROOT, copy, ignore=shutil.ignore_patterns(".terraform*", "tests"))
    injected = 0
    for path in copy.rglob("*.tf"):
        text, count = POLICY_DOCUMENT.subn(lambda match: match.group(0) + WILDCARD_STATEMENT, path.read_text())
        path.write_text(text)
        injected += count
    assert injected >= 10
    result = subprocess.run([checkov_binary(), "-d", str(copy), "--framework", "terraform", "--skip-download",
                             "--check", "CKV_AWS_49", "--output", "json"], capture_output=True, text=True, check=False)
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    failed = {check["resource"] for check in report["results"]["failed_checks"]}
    assert result.returncode == 1
    assert failed == documents


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(TERRAFORM_ROOT)))
def test_arns_name_the_partition_of_the_provider(path):
    """ARNs are built with data.aws_partition, so the code also serves aws-cn and aws-us-gov."""
    assert "arn:aws:" not in path.read_text()


@pytest.mark.parametrize("module", sorted((TERRAFORM_ROOT / "modules").iterdir()), ids=lambda path: path.name)
def test_every_module_takes_tags(module):
    """Each module's resources carry the caller's tags, merged by the provider with its default tags."""
    variables = (module / "variables.tf").read_text()
    assert re.search(r'^variable "tags" \{\n(.*\n)*?  type        = map\(string\)\n  default     = \{\}\n\}', variables,
                     re.MULTILINE), module
    assert "= var.tags" in (module / "main.tf").read_text(), module
