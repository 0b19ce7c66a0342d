"""The Jenkinsfile's endpoint promotion, evaluated by the Groovy harness: each environment of the registry file's
`promotion` in turn, served and smoke-tested, after an approval where its jenkins.apply_submitter is set.

`sh` steps are recorded (and made to fail on request); the stage scripts' own checks run for real below, with bash.
The scripts' deployments against the local stack are tests/deployments/test_serving.py's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from jenkins_harness import DEV_PLAN, JENKINS_ROLE, REPO_ROOT, job_parameters, scripts_by_stage, stage

from pipelines.config import load_config
from pipelines.infra.jenkins_job import render

pytestmark = pytest.mark.jenkins

PROMOTE = {**DEV_PLAN, "ENDPOINT_MODEL_VERSION": "2"}
PROMOTION_STAGE = "Promote endpoints"
ROLE = "arn:aws:iam::{}:role/" + JENKINS_ROLE
ACCOUNTS = load_config("registry").accounts


def promotion_stages(report: dict) -> list[str]:
    """The stages the promotion ran, in order (the scripted stages inside 'Promote endpoints')."""
    return [entry["name"] for entry in report["stages"] if entry.get("parent") == PROMOTION_STAGE]


def endpoint_commands(report: dict) -> list[tuple[str, str, str, str, str]]:
    """(stage, script, ENDPOINT_ENV, role, region) of the promotion's commands, in the order they ran."""
    return [(c["stage"], c["script"], c["env"].get("ENDPOINT_ENV"), c["aws"]["roleArn"], c["aws"]["region"])
            for c in report["commands"] if c["section"] == "steps" and c["stage"] in promotion_stages(report)]


def served(name: str, region: str = "us-east-1") -> list[tuple[str, str, str, str, str]]:
    """The commands serving and smoke-testing the version in one environment (and region)."""
    role = ROLE.format(ACCOUNTS.of(name))
    if region == "us-east-1":
        return [(f"Serve on {name}", f"./scripts/{script}.sh", name, role, region)
                for script in ("deploy-endpoints", "smoke-test-endpoints")]
    return [(f"Serve on {name} in {region}", f"./scripts/{script}.sh", name, role, region)
            for script in ("deploy-secondary-endpoints", "smoke-test-secondary-endpoints")]


def approval(stage_name: str, name: str, message: str) -> dict:
    return {"stage": stage_name, "ok": "Serve", "message": message,
            "submitter": load_config(name).jenkins.apply_submitter, "submitterParameter": "APPROVED_BY"}


def test_a_version_is_served_along_the_promotion_with_approvals_where_configured(run_jenkinsfile):
    report = run_jenkinsfile(PROMOTE)

    assert report["result"] == "SUCCESS"
    assert stage(report, PROMOTION_STAGE)["status"] == "success"
    assert promotion_stages(report) == [
        "Serve on dev", "Approve staging endpoints", "Serve on staging", "Approve prod endpoints", "Serve on prod",
        "Approve prod endpoints in us-west-2", "Serve on prod in us-west-2"]
    assert all(stage(report, name)["status"] == "success" for name in promotion_stages(report))
    assert endpoint_commands(report) == [*served("dev"), *served("staging"), *served("prod"),
                                         *served("prod", "us-west-2")]
    assert {c["env"]["ENDPOINT_MODEL_VERSION"] for c in report["commands"] if c["stage"] in promotion_stages(report)
            } == {"2"}
    assert report["inputs"] == [
        approval("Approve staging endpoints", "staging",
                 f"Serve model version 2 on the staging endpoints of account {ACCOUNTS.staging}?"),
        approval("Approve prod endpoints", "prod",
                 f"Serve model version 2 on the prod endpoints of account {ACCOUNTS.prod}?"),
        approval("Approve prod endpoints in us-west-2", "prod",
                 f"Serve model version 2 on the prod endpoints in us-west-2 (account {ACCOUNTS.prod}), "
                 "from its replica?"),
    ]
    assert scripts_by_stage(report)["Terraform plan"] == ["./scripts/terraform-plan.sh"]


def with_qa(tmp_path: Path) -> Path:
    """A workspace whose environments/ holds a fourth workload environment, qa, in a fifth account, promoted
    between dev and staging, whose file names its own approvers."""
    shutil.copytree(REPO_ROOT / "environments", tmp_path / "environments")
    environments = tmp_path / "environments"
    registry = json.loads((environments / "registry.tfvars.json").read_text())
    registry["accounts"]["qa"] = "555555555555"
    registry["promotion"] = ["dev", "qa", "staging", "prod"]
    (environments / "registry.tfvars.json").write_text(json.dumps(registry))
    qa = json.loads((environments / "staging.tfvars.json").read_text())
    qa["environment"] = "qa"
    del qa["accounts"]["staging"]
    qa["accounts"]["qa"] = "555555555555"
    qa["terraform_state_bucket"] = "mammo-tfstate-555555555555"
    qa["workload"]["data_bucket_name"] = "mammo-data-555555555555"
    qa["jenkins"]["apply_submitter"] = "mlops-qa-approvers"
    (environments / "qa.tfvars.json").write_text(json.dumps(qa))
    return tmp_path


def test_a_new_environment_joins_the_promotion_from_its_files_alone(run_jenkinsfile, tmp_path):
    workspace = with_qa(tmp_path)
    # The job generated from those files offers qa, and the build promotes through it.
    parameters = job_parameters(render(workspace / "environments"))
    target_env = next(p["args"][0] for p in parameters if p["args"][0]["name"] == "TARGET_ENV")
    assert target_env["choices"] == ["dev", "qa", "staging", "prod"]

    report = run_jenkinsfile({**PROMOTE, "TARGET_ENV": "qa", "targetAccount": "555555555555",
                              "TERRAFORM_ACTION": "apply"}, workspace=workspace, parameters=parameters)

    assert report["result"] == "SUCCESS"
    # The apply of qa waits for qa's approvers, in qa's account.
    assert stage(report, "Approve apply")["status"] == "success"
    assert {entry["roleAccount"] for entry in report["withAWS"] if entry["stage"] in (
        "Terraform plan", "Terraform apply", "Upsert pipelines")} == {"555555555555"}
    assert promotion_stages(report) == [
        "Serve on dev", "Approve qa endpoints", "Serve on qa", "Approve staging endpoints", "Serve on staging",
        "Approve prod endpoints", "Serve on prod", "Approve prod endpoints in us-west-2",
        "Serve on prod in us-west-2"]
    qa_role = ROLE.format("555555555555")
    assert endpoint_commands(report)[2:4] == [
        ("Serve on qa", "./scripts/deploy-endpoints.sh", "qa", qa_role, "us-east-1"),
        ("Serve on qa", "./scripts/smoke-test-endpoints.sh", "qa", qa_role, "us-east-1")]
    # Approvals exactly where a file names who gives them: not dev's, whose apply_submitter is null.
    assert [(entry["stage"], entry["submitter"]) for entry in report["inputs"]] == [
        ("Approve apply", "mlops-qa-approvers"),
        ("Approve qa endpoints", "mlops-qa-approvers"),
        ("Approve staging endpoints", load_config("staging").jenkins.apply_submitter),
        ("Approve prod endpoints", load_config("prod").jenkins.apply_submitter),
        ("Approve prod endpoints in us-west-2", load_config("prod").jenkins.apply_submitter)]


@pytest.mark.parametrize(("account", "status"), [("555555555555", 0), ("444444444444", 2)])
def test_the_first_stage_confirms_the_new_environment_s_account_for_real(run_jenkinsfile, tmp_path, monkeypatch,
                                                                         account, status):
    workspace = with_qa(tmp_path)
    for code in ("scripts", "pipelines"):
        (workspace / code).symlink_to(REPO_ROOT / code)
    monkeypatch.setenv("MLOPS_ENVIRONMENTS_DIR", str(workspace / "environments"))

    report = run_jenkinsfile({**DEV_PLAN, "TARGET_ENV": "qa", "targetAccount": account}, execute=["Read config"],
                             workspace=workspace, parameters=job_parameters(render(workspace / "environments")))

    first = report["commands"][0]
    assert first["exitStatus"] == status, first["output"]
    if status:
        assert (f"targetAccount '{account}' does not match accounts.qa '555555555555' in "
                f"{workspace}/environments/qa.tfvars.json" in first["output"])
    else:
        assert "qa build (plan) with targetAccount 555555555555 confirmed" in first["output"]
        assert report["result"] == "SUCCESS"


def test_without_a_secondary_region_none_is_served(run_jenkinsfile, tmp_path):
    shutil.copytree(REPO_ROOT / "environments", tmp_path / "environments")
    prod = json.loads((tmp_path / "environments" / "prod.tfvars.json").read_text())
    prod["secondary_region"] = None
    (tmp_path / "environments" / "prod.tfvars.json").write_text(json.dumps(prod))

    report = run_jenkinsfile(PROMOTE, workspace=tmp_path)

    assert report["result"] == "SUCCESS"
    assert promotion_stages(report)[-1] == "Serve on prod"
    assert [entry["stage"] for entry in report["inputs"]] == ["Approve staging endpoints", "Approve prod endpoints"]


def test_a_refused_secondary_approval_serves_nothing_there(run_jenkinsfile):
    report = run_jenkinsfile(PROMOTE, input_response={"Approve prod endpoints in us-west-2": "abort"})

    assert report["result"] == "ABORTED"
    assert stage(report, "Approve prod endpoints in us-west-2")["status"] == "aborted"
    assert endpoint_commands(report) == [*served("dev"), *served("staging"), *served("prod")]


def test_without_a_version_no_endpoint_stage_runs(run_jenkinsfile):
    report = run_jenkinsfile(DEV_PLAN)

    assert stage(report, PROMOTION_STAGE)["status"] == "skipped: when"
    assert promotion_stages(report) == []


@pytest.mark.parametrize("failing", ["smoke-test-endpoints.sh", "deploy-endpoints.sh"])
def test_a_failure_in_the_first_environment_stops_the_build_before_any_approval(run_jenkinsfile, failing):
    report = run_jenkinsfile(PROMOTE, fail_commands=[failing])

    assert report["result"] == "FAILURE"
    assert report["failedStage"] == PROMOTION_STAGE
    assert stage(report, "Serve on dev")["status"] == "failed"
    assert promotion_stages(report) == ["Serve on dev"]
    assert report["inputs"] == []
    notifications = [c["script"] for c in report["commands"] if c["section"] == "post:failure"]
    assert notifications == ["./scripts/notify-failure.sh"]


def test_a_refused_approval_serves_nothing_after_it(run_jenkinsfile):
    report = run_jenkinsfile(PROMOTE, input_response="abort")

    assert report["result"] == "ABORTED"
    assert stage(report, "Approve staging endpoints")["status"] == "aborted"
    assert endpoint_commands(report) == served("dev")


def test_a_version_that_is_no_number_stops_the_build_in_its_first_stage(run_jenkinsfile):
    report = run_jenkinsfile({**PROMOTE, "ENDPOINT_MODEL_VERSION": "latest"}, execute=["Read config"])

    first = report["commands"][0]
    assert first["exitStatus"] == 2
    assert "ENDPOINT_MODEL_VERSION 'latest' is not a model package version: enter its number" in first["output"]
    assert report["failedStage"] == "Read config"
    assert promotion_stages(report) == []


# --- the scripts by hand ---------------------------------------------------------------------------------------

def run_script(name: str, **env: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if key not in ("ENDPOINT_ENV", "ENDPOINT_MODEL_VERSION")}
    return subprocess.run([str(REPO_ROOT / "scripts" / name)], env={**base, **env}, capture_output=True, text=True,
                          timeout=120, check=False, cwd="/")


@pytest.mark.parametrize("script", ["deploy-endpoints.sh", "smoke-test-endpoints.sh", "deploy-secondary-endpoints.sh",
                                    "smoke-test-secondary-endpoints.sh"])
@pytest.mark.parametrize(("env", "message"), [
    ({}, "environment variable ENDPOINT_ENV is not set: the workload environment whose endpoints this stage acts on"),
    ({"ENDPOINT_ENV": "registry"}, "ENDPOINT_ENV='registry' is not a workload environment"),
    ({"ENDPOINT_ENV": "dev"}, "environment variable ENDPOINT_MODEL_VERSION is not set"),
    ({"ENDPOINT_ENV": "dev", "ENDPOINT_MODEL_VERSION": "v2"},
     "ENDPOINT_MODEL_VERSION='v2' is not a model package version: enter its number"),
])
def test_endpoint_scripts_name_the_bad_variable(script, env, message):
    result = run_script(script, **env)
    assert result.returncode == 2
    assert f"{script}: error: {message}" in result.stderr


@pytest.mark.parametrize("script", ["deploy-secondary-endpoints.sh", "smoke-test-secondary-endpoints.sh"])
def test_secondary_scripts_need_an_environment_with_a_secondary_region(script):
    result = run_script(script, ENDPOINT_ENV="dev", ENDPOINT_MODEL_VERSION="2")
    assert result.returncode == 2
    assert "dev.tfvars.json: field 'secondary_region' is not set" in result.stderr
    assert f"{script}: error: cannot read the secondary region of environments/dev.tfvars.json" in result.stderr
