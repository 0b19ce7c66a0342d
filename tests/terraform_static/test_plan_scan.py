"""The scan of rendered plans (pipelines/infra/plan_scan.py) with the real checkov, on small plan documents in
the shape `terraform show -json` writes: one checkov run, one report per plan, failures named per account.
(The platform's own plans are scanned in tests/terraform_apply/test_platform.py.)"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from pipelines.errors import InfraError
from pipelines.infra import plan_scan
from pipelines.infra.plan_scan import scan_rendered_plans
from pipelines.infra.terraform import RenderedPlan

QUEUE_ARN = "arn:aws:sqs:us-east-1:111111111111:jobs"


def _rendered_plan(folder: Path, environment: str, statement: dict) -> RenderedPlan:
    """A plan creating one inline role policy with `statement`."""
    values = {"name": "jobs", "role": "jobs",
              "policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]})}
    resource = {"address": "aws_iam_role_policy.jobs", "mode": "managed", "type": "aws_iam_role_policy",
                "name": "jobs", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                "values": values}
    plan = {
        "format_version": "1.2", "terraform_version": "1.11.0",
        "planned_values": {"root_module": {"resources": [resource]}},
        "resource_changes": [{**{key: resource[key] for key in ("address", "mode", "type", "name", "provider_name")},
                              "change": {"actions": ["create"], "before": None, "after": values}}],
        "configuration": {"root_module": {"resources": [{
            "address": resource["address"], "mode": "managed", "type": resource["type"], "name": "jobs",
            "provider_config_key": "aws", "expressions": {"name": {"constant_value": "jobs"}}, "schema_version": 0}]}},
    }
    plan_json = folder / f"{environment}.plan.json"
    plan_json.write_text(json.dumps(plan))
    root = folder / "root"
    root.mkdir(exist_ok=True)
    return RenderedPlan(environment, True, plan_json.resolve(), root)


def test_one_run_writes_a_report_per_plan_and_names_only_the_failing_account(tmp_path):
    scoped = _rendered_plan(tmp_path, "dev", {"Action": ["sqs:SendMessage"], "Resource": QUEUE_ARN})
    widened = _rendered_plan(tmp_path, "prod", {"Action": "*", "Resource": "*"})  # wrong on purpose: must fail

    with pytest.raises(InfraError) as failure:
        scan_rendered_plans([scoped, widened])

    message = str(failure.value)
    assert "prod: " in message
    assert "CKV_AWS_63 aws_iam_role_policy.jobs" in message
    assert "dev: " not in message
    assert failure.value.exit_code == 4
    dev, prod = (json.loads((tmp_path / f"{name}.checkov.json").read_text()) for name in ("dev", "prod"))
    assert dev["results"]["failed_checks"] == []
    assert dev["summary"]["passed"] > 0
    assert {Path(check["file_abs_path"]) for check in dev["results"]["passed_checks"]} == {scoped.plan_json}
    assert "CKV_AWS_63" in {check["check_id"] for check in prod["results"]["failed_checks"]}
    assert prod["summary"]["failed"] == len(prod["results"]["failed_checks"])

    [scan] = scan_rendered_plans([scoped])
    assert (scan.report, scan.failed, scan.passed) == (tmp_path / "dev.checkov.json", (), dev["summary"]["passed"])


def test_plans_of_two_roots_are_refused_before_checkov_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(plan_scan, "checkov_binary", lambda: pytest.fail("checkov must not run"))
    first = _rendered_plan(tmp_path, "dev", {"Action": ["sqs:SendMessage"], "Resource": QUEUE_ARN})
    other_root = tmp_path / "other"
    other_root.mkdir()
    second = RenderedPlan("prod", False, first.plan_json, other_root)
    with pytest.raises(InfraError, match="come from 2 roots; scan the plans of one root at a time"):
        scan_rendered_plans([first, second])


def test_checkov_failing_itself_is_an_error_with_its_output_and_writes_no_report(tmp_path, monkeypatch):
    broken = tmp_path / "checkov"
    broken.write_text("#!/bin/sh\necho 'checkov: cannot load its checks' >&2\nexit 2\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(plan_scan, "checkov_binary", lambda: str(broken))
    plan = _rendered_plan(tmp_path, "dev", {"Action": ["sqs:SendMessage"], "Resource": QUEUE_ARN})
    with pytest.raises(InfraError, match=r"(?s)checkov could not scan the rendered plans \(exit 2\).*cannot load"):
        scan_rendered_plans([plan])
    assert not (tmp_path / "dev.checkov.json").exists()
