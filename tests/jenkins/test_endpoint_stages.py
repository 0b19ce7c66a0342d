"""The Jenkinsfile's endpoint promotion, evaluated by the Groovy harness: dev, its smoke test, an approval, prod.

`sh` steps are recorded (and made to fail on request); the stage scripts' own checks run for real below, with bash.
The scripts' deployments against the local stack are tests/deployments/test_serving.py's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from jenkins_harness import DEV_PLAN, JENKINS_ROLE, REPO_ROOT, scripts_by_stage, stage

from pipelines.config import load_config

pytestmark = pytest.mark.jenkins

PROMOTE = {**DEV_PLAN, "ENDPOINT_MODEL_VERSION": "2"}
DEV_STAGES = ["Deploy endpoints to dev", "Smoke test dev endpoints"]
PROD_STAGES = ["Deploy endpoints to prod", "Smoke test prod endpoints"]
ENDPOINT_STAGES = [*DEV_STAGES, "Approve prod endpoints", *PROD_STAGES]
SECONDARY_APPROVAL = "Approve secondary-region endpoints"
SECONDARY_STAGES = ["Deploy endpoints to the secondary region", "Smoke test secondary-region endpoints"]
ROLE = "arn:aws:iam::{}:role/" + JENKINS_ROLE


def endpoint_commands(report: dict) -> list[tuple[str, str, str, str]]:
    """(stage, script, ENDPOINT_ENV, role) of the endpoint stages' commands, in the order they ran."""
    return [(c["stage"], c["script"], c["env"].get("ENDPOINT_ENV"), c["aws"]["roleArn"])
            for c in report["commands"] if c["section"] == "steps" and c["stage"] in ENDPOINT_STAGES]


def test_a_version_is_deployed_to_dev_smoke_tested_approved_then_deployed_to_prod(run_jenkinsfile):
    report = run_jenkinsfile(PROMOTE)

    assert report["result"] == "SUCCESS"
    names = [entry["name"] for entry in report["stages"]]
    assert names[-8:] == [*ENDPOINT_STAGES, SECONDARY_APPROVAL, *SECONDARY_STAGES]
    assert all(stage(report, name)["status"] == "success" for name in names[-8:])
    dev, prod = ROLE.format("222222222222"), ROLE.format("333333333333")
    assert endpoint_commands(report) == [
        ("Deploy endpoints to dev", "./scripts/deploy-endpoints.sh", "dev", dev),
        ("Smoke test dev endpoints", "./scripts/smoke-test-endpoints.sh", "dev", dev),
        ("Deploy endpoints to prod", "./scripts/deploy-endpoints.sh", "prod", prod),
        ("Smoke test prod endpoints", "./scripts/smoke-test-endpoints.sh", "prod", prod),
    ]
    assert {c["env"]["ENDPOINT_MODEL_VERSION"] for c in report["commands"] if c["stage"] in ENDPOINT_STAGES} == {"2"}
    submitter = load_config("prod").jenkins.apply_submitter
    assert report["inputs"] == [{
        "stage": "Approve prod endpoints", "ok": "Serve",
        "message": "Serve model version 2 on the prod endpoints of account 333333333333?",
        "submitter": submitter, "submitterParameter": "APPROVED_BY"}, {
        "stage": SECONDARY_APPROVAL, "ok": "Serve",
        "message": "Serve model version 2 on the prod endpoints in us-west-2 (account 333333333333), from its replica?",
        "submitter": submitter, "submitterParameter": "APPROVED_BY"}]
    assert scripts_by_stage(report)["Terraform plan"] == ["./scripts/terraform-plan.sh"]
    secondary = [(c["stage"], c["script"], c["env"].get("ENDPOINT_ENV"), c["aws"]["roleArn"], c["aws"]["region"])
                 for c in report["commands"] if c["section"] == "steps" and c["stage"] in SECONDARY_STAGES]
    assert secondary == [
        (SECONDARY_STAGES[0], "./scripts/deploy-secondary-endpoints.sh", "prod", prod, "us-west-2"),
        (SECONDARY_STAGES[1], "./scripts/smoke-test-secondary-endpoints.sh", "prod", prod, "us-west-2"),
    ]


def test_the_secondary_region_deploy_does_not_run_without_its_approval(run_jenkinsfile):
    report = run_jenkinsfile(PROMOTE, input_response={SECONDARY_APPROVAL: "abort"})

    assert report["result"] == "ABORTED"
    assert [entry["stage"] for entry in report["inputs"]] == ["Approve prod endpoints", SECONDARY_APPROVAL]
    assert stage(report, SECONDARY_APPROVAL)["status"] == "aborted"
    assert [c[0] for c in endpoint_commands(report)] == [*DEV_STAGES, *PROD_STAGES]  # prod served, then stopped
    assert [c for c in report["commands"] if c["stage"] in SECONDARY_STAGES] == []


def test_without_a_secondary_region_its_stages_are_skipped(run_jenkinsfile, tmp_path):
    shutil.copy(REPO_ROOT / "Jenkinsfile", tmp_path / "Jenkinsfile")
    shutil.copytree(REPO_ROOT / "environments", tmp_path / "environments")
    prod = json.loads((tmp_path / "environments" / "prod.tfvars.json").read_text())
    prod["secondary_region"] = None
    (tmp_path / "environments" / "prod.tfvars.json").write_text(json.dumps(prod))

    report = run_jenkinsfile(PROMOTE, jenkinsfile=tmp_path / "Jenkinsfile", workspace=tmp_path)

    assert report["result"] == "SUCCESS"
    assert all(stage(report, name)["status"] == "skipped: when" for name in [SECONDARY_APPROVAL, *SECONDARY_STAGES])
    assert [entry["stage"] for entry in report["inputs"]] == ["Approve prod endpoints"]


def test_without_a_version_no_endpoint_stage_runs(run_jenkinsfile):
    report = run_jenkinsfile(DEV_PLAN)

    assert all(stage(report, name)["status"] == "skipped: when" for name in ENDPOINT_STAGES)
    assert endpoint_commands(report) == []


@pytest.mark.parametrize("failing", ["smoke-test-endpoints.sh", "deploy-endpoints.sh"])
def test_a_failure_in_dev_stops_the_build_before_the_approval_and_prod(run_jenkinsfile, failing):
    report = run_jenkinsfile(PROMOTE, fail_commands=[failing])

    assert report["result"] == "FAILURE"
    assert report["failedStage"] in DEV_STAGES
    assert report["inputs"] == []
    assert [c for c in endpoint_commands(report) if c[2] == "prod"] == []
    assert all(stage(report, name)["status"] == "skipped: earlier failure" for name in ENDPOINT_STAGES[2:])
    notifications = [c["script"] for c in report["commands"] if c["section"] == "post:failure"]
    assert notifications == ["./scripts/notify-failure.sh"]


def test_a_refused_approval_serves_nothing_in_prod(run_jenkinsfile):
    report = run_jenkinsfile(PROMOTE, input_response="abort")

    assert report["result"] == "ABORTED"
    assert stage(report, "Approve prod endpoints")["status"] == "aborted"
    assert [c[0] for c in endpoint_commands(report)] == DEV_STAGES


def test_a_version_that_is_no_number_stops_the_build_in_its_first_stage(run_jenkinsfile):
    report = run_jenkinsfile({**PROMOTE, "ENDPOINT_MODEL_VERSION": "latest"}, execute=["Read config"])

    first = report["commands"][0]
    assert first["exitStatus"] == 2
    assert "ENDPOINT_MODEL_VERSION 'latest' is not a model package version: enter its number" in first["output"]
    assert report["failedStage"] == "Read config"
    assert endpoint_commands(report) == []


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
