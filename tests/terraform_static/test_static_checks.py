"""The Terraform code passes `terraform fmt`, `terraform validate` (every root) and checkov, offline."""

from __future__ import annotations

import json
import subprocess

import pytest

from pipelines.infra.terraform import TERRAFORM_ROOT, checkov_binary, terraform_roots

pytestmark = pytest.mark.terraform


def test_terraform_files_are_formatted(terraform, tmp_path):
    result = terraform.run(TERRAFORM_ROOT, "fmt", "-check", "-recursive", "-diff", data_dir=tmp_path)
    assert result.returncode == 0, f"run `terraform fmt -recursive mlops-infra`:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("root", terraform_roots(), ids=lambda root: root.relative_to(TERRAFORM_ROOT.parent).as_posix())
def test_every_root_validates(terraform, root, tmp_path):
    init = terraform.run(root, "init", "-backend=false", "-input=false", data_dir=tmp_path)
    assert init.returncode == 0, init.stdout + init.stderr
    validate = terraform.run(root, "validate", data_dir=tmp_path)
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
