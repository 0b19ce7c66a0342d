"""The Jenkinsfile, evaluated by Groovy 2.4 with the stub declarative DSL of tests/jenkins/harness.

Nothing here runs a deployment: `sh` steps are recorded (and made to fail on request) except in the tests that
say they execute the first stage, whose script only reads the repository.
"""

from __future__ import annotations

import json
import os
import stat

import pytest
from jenkins_harness import (
    DEV_PLAN,
    JENKINS_ROLE,
    JENKINSFILE,
    PROD_APPLY,
    REPO_ROOT,
    HarnessError,
    scripts_by_stage,
    stage,
)

from pipelines.config import load_config

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

pytestmark = pytest.mark.jenkins

STAGES = ["Read config", "Install", "Test", "Terraform plan", "Approve apply", "Terraform apply",
          "Upsert pipelines", "Promote endpoints"]
ENDPOINT_STAGES = STAGES[7:]
DEPLOY_STAGES = ["Terraform plan", "Terraform apply", "Upsert pipelines"]
STAGE_SCRIPTS = {
    "Read config": ["./scripts/check-build-params.sh"],
    "Install": ["./scripts/install.sh"],
    "Test": ["./scripts/test.sh"],
    "Terraform plan": ["./scripts/terraform-plan.sh"],
    "Terraform apply": ["./scripts/terraform-apply.sh"],
    "Upsert pipelines": ["./scripts/upsert-pipelines.sh"],
}


def prod_apply_submitter() -> str:
    return load_config("prod").jenkins.apply_submitter


def statuses(report: dict) -> dict[str, str]:
    return {entry["name"]: entry["status"] for entry in report["stages"]}


def test_prod_apply_runs_every_stage_with_its_one_script(run_jenkinsfile):
    report = run_jenkinsfile(PROD_APPLY)

    assert report["result"] == "SUCCESS"
    assert [entry["name"] for entry in report["stages"]] == STAGES
    assert set(statuses(report)[name] for name in STAGES[:7]) == {"success"}
    assert scripts_by_stage(report) == STAGE_SCRIPTS
    assert [entry["name"] for entry in report["stages"] if entry["when"] is not None] == [
        "Approve apply", "Terraform apply", "Upsert pipelines", *ENDPOINT_STAGES]
    assert all(stage(report, name)["status"] == "skipped: when" for name in ENDPOINT_STAGES)
    assert all(stage(report, name)["when"] is True for name in ["Approve apply", "Terraform apply"])
    assert report["inputs"] == [{"stage": "Approve apply", "ok": "Apply",
                                 "message": f"Apply the archived plan to prod account {ACCOUNTS.prod}?",
                                 "submitter": prod_apply_submitter(), "submitterParameter": "APPROVED_BY"}]
    assert report["post"] == ["always"]


def test_prod_deploy_stages_assume_the_jenkins_role_in_prod_account_and_nothing_else_does(run_jenkinsfile):
    report = run_jenkinsfile(PROD_APPLY)

    for command in report["commands"]:
        if command["stage"] in DEPLOY_STAGES:
            assert command["aws"]["roleArn"] == f"arn:aws:iam::{ACCOUNTS.prod}:role/{JENKINS_ROLE}", command
            assert command["aws"]["region"] == "us-east-1"
            assert command["env"]["AWS_DEFAULT_REGION"] == "us-east-1"
        else:
            # Installing and testing need no AWS credentials and get none.
            assert command["aws"] is None, command
            assert "AWS_SESSION_TOKEN" not in command["env"]
    assert [entry["stage"] for entry in report["withAWS"]] == DEPLOY_STAGES


def test_every_command_gets_the_build_environment(run_jenkinsfile):
    report = run_jenkinsfile(PROD_APPLY)

    for command in report["commands"]:
        assert command["dir"] == "."
        env = command["env"]
        assert (env["TF_IN_AUTOMATION"], env["TF_INPUT"]) == ("1", "0")
        assert (env["TARGET_ENV"], env["TERRAFORM_ACTION"], env["TARGET_ACCOUNT"]) == ("prod", "apply", ACCOUNTS.prod)
        assert env["PLAN_FILE"] == "build/terraform/prod.tfplan"
        if command["stage"] != "Read config":
            assert (env["DEPLOY_ACCOUNT"], env["DEPLOY_REGION"]) == (ACCOUNTS.prod, "us-east-1")


def test_plan_is_archived_in_the_plan_stage(run_jenkinsfile):
    report = run_jenkinsfile(PROD_APPLY)

    plan_archive = [entry for entry in report["archived"] if entry["stage"] == "Terraform plan"]
    assert len(plan_archive) == 1
    assert "build/terraform/*.tfplan" in plan_archive[0]["artifacts"]
    assert "build/reports/terraform-plan.txt" in plan_archive[0]["artifacts"]
    assert plan_archive[0]["fingerprint"] is True
    assert [entry["section"] for entry in report["archived"]] == ["steps", "post:always"]


def test_dev_plan_plans_in_the_dev_account_and_changes_nothing(run_jenkinsfile):
    report = run_jenkinsfile(DEV_PLAN)

    assert report["result"] == "SUCCESS"
    assert statuses(report) == {
        "Read config": "success", "Install": "success", "Test": "success", "Terraform plan": "success",
        "Approve apply": "skipped: when", "Terraform apply": "skipped: when", "Upsert pipelines": "skipped: when",
        **dict.fromkeys(ENDPOINT_STAGES, "skipped: when"),
    }
    assert [stage(report, name)["when"] for name in STAGES[4:7]] == [False, False, False]
    assert scripts_by_stage(report) == {name: STAGE_SCRIPTS[name] for name in STAGES[:4]}
    assert [(entry["stage"], entry["roleArn"]) for entry in report["withAWS"]] == [
        ("Terraform plan", f"arn:aws:iam::{ACCOUNTS.dev}:role/{JENKINS_ROLE}")]
    assert report["inputs"] == []
    assert {command["env"]["PLAN_FILE"] for command in report["commands"]} == {"build/terraform/dev.tfplan"}


def test_dev_apply_needs_no_approval(run_jenkinsfile):
    report = run_jenkinsfile({**DEV_PLAN, "TERRAFORM_ACTION": "apply"})

    assert statuses(report)["Approve apply"] == "skipped: when"
    assert stage(report, "Approve apply")["when"] is False  # dev's file names no approver
    assert [entry["stage"] for entry in report["withAWS"]] == DEPLOY_STAGES
    assert {entry["roleAccount"] for entry in report["withAWS"]} == {ACCOUNTS.dev}


def test_skip_pipeline_upsert_skips_only_the_upsert(run_jenkinsfile):
    report = run_jenkinsfile({**PROD_APPLY, "SKIP_PIPELINE_UPSERT": True})

    assert statuses(report)["Upsert pipelines"] == "skipped: when"
    assert statuses(report)["Terraform apply"] == "success"
    assert "Upsert pipelines" not in scripts_by_stage(report)


def test_parameters_options_and_environment(run_jenkinsfile):
    report = run_jenkinsfile(DEV_PLAN)

    parameters = {entry["args"][0]["name"]: entry for entry in report["parameters"]}
    assert list(parameters) == ["targetAccount", "TARGET_ENV", "TERRAFORM_ACTION", "SKIP_PIPELINE_UPSERT",
                                "ENDPOINT_MODEL_VERSION"]
    assert parameters["ENDPOINT_MODEL_VERSION"]["args"][0]["defaultValue"] == ""
    assert parameters["targetAccount"]["name"] == "string"
    assert parameters["targetAccount"]["args"][0]["defaultValue"] == ""
    assert parameters["TARGET_ENV"]["args"][0]["choices"] == list(load_config("registry").promotion)
    assert report["params"]["TARGET_ENV"] == "dev"
    assert parameters["TERRAFORM_ACTION"]["args"][0]["choices"] == ["plan", "apply"]
    assert parameters["SKIP_PIPELINE_UPSERT"]["name"] == "booleanParam"
    assert parameters["SKIP_PIPELINE_UPSERT"]["args"][0]["defaultValue"] is False

    options = {entry["name"]: entry["args"] for entry in report["options"]}
    assert list(options) == ["disableConcurrentBuilds", "timeout", "buildDiscarder", "timestamps"]
    assert options["timeout"] == [{"time": 2, "unit": "HOURS"}]
    assert options["buildDiscarder"][0]["name"] == "logRotator"
    assert report["environment"]["TF_IN_AUTOMATION"] == "1"
    assert report["environment"]["TF_INPUT"] == "0"
    assert report["agent"] == "any"


def test_a_failing_command_stops_the_build_and_notifies_the_alert_topic(run_jenkinsfile):
    report = run_jenkinsfile(PROD_APPLY, fail_commands=["terraform-plan.sh"])

    assert report["result"] == "FAILURE"
    assert report["failedStage"] == "Terraform plan"
    assert statuses(report) == {
        "Read config": "success", "Install": "success", "Test": "success", "Terraform plan": "failed",
        "Approve apply": "skipped: earlier failure", "Terraform apply": "skipped: earlier failure",
        "Upsert pipelines": "skipped: earlier failure", **dict.fromkeys(ENDPOINT_STAGES, "skipped: earlier failure"),
    }
    assert report["inputs"] == []
    assert [entry["stage"] for entry in report["archived"]] == [None]  # the post-always archive only
    assert report["post"] == ["always", "failure"]
    notifications = [command for command in report["commands"] if command["section"] == "post:failure"]
    assert [command["script"] for command in notifications] == ["./scripts/notify-failure.sh"]
    assert notifications[0]["aws"]["roleArn"] == f"arn:aws:iam::{ACCOUNTS.prod}:role/{JENKINS_ROLE}"


@pytest.mark.parametrize("failing", ["install.sh", "test.sh", "terraform-apply.sh", "upsert-pipelines.sh"])
def test_no_stage_after_a_failure_runs(run_jenkinsfile, failing):
    report = run_jenkinsfile(PROD_APPLY, fail_commands=[failing])

    scripts = [command["script"] for command in report["commands"] if command["section"] == "steps"]
    assert scripts[-1].endswith(failing)
    ran = statuses(report)
    failed_at = STAGES.index(report["failedStage"])
    assert all(ran[name] == "skipped: earlier failure" for name in STAGES[failed_at + 1:])
    assert "failure" in report["post"]


def test_only_the_configured_submitter_may_approve_a_prod_apply(run_jenkinsfile):
    submitter = prod_apply_submitter()
    assert submitter.strip(), "environments/prod.tfvars.json must name who approves a prod apply"

    [approval] = run_jenkinsfile(PROD_APPLY)["inputs"]

    assert approval["submitter"] == submitter


def test_an_environment_whose_file_names_no_approver_applies_without_asking(run_jenkinsfile, tmp_path):
    # jenkins.apply_submitter null is the file's way of saying nobody approves (as for dev): no input step.
    config = json.loads((REPO_ROOT / "environments" / "prod.tfvars.json").read_text())
    config["jenkins"]["apply_submitter"] = None
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "prod.tfvars.json").write_text(json.dumps(config))

    report = run_jenkinsfile(PROD_APPLY, workspace=tmp_path)

    assert report["result"] == "SUCCESS"
    assert stage(report, "Approve apply")["status"] == "skipped: when"
    assert report["inputs"] == []
    assert [entry["stage"] for entry in report["withAWS"]] == DEPLOY_STAGES


def test_an_aborted_approval_applies_nothing_and_is_no_failure(run_jenkinsfile):
    report = run_jenkinsfile(PROD_APPLY, input_response="abort")

    assert report["result"] == "ABORTED"
    assert statuses(report)["Approve apply"] == "aborted"
    assert "Terraform apply" not in scripts_by_stage(report)
    assert report["post"] == ["always"]  # no failure notification for a refused approval


@pytest.mark.parametrize(("target_account", "message"), [
    ("", "environment variable TARGET_ACCOUNT is not set"),
    ("33333333333", "targetAccount '33333333333' is not an AWS account id: enter exactly 12 digits"),
    ("prod", "targetAccount 'prod' is not an AWS account id"),
    (ACCOUNTS.staging, f"targetAccount '{ACCOUNTS.staging}' does not match accounts.prod '{ACCOUNTS.prod}' in "
                       "environments/prod.tfvars.json"),
])
def test_an_invalid_target_account_stops_the_build_in_its_first_stage(run_jenkinsfile, target_account, message):
    # The first stage's script really runs (it only reads the repository).
    report = run_jenkinsfile({**PROD_APPLY, "targetAccount": target_account}, execute=["Read config"])

    first = report["commands"][0]
    assert first["executed"]
    assert first["exitStatus"] == 2
    assert message in first["output"]
    assert report["failedStage"] == "Read config"
    assert all(status == "skipped: earlier failure" for name, status in statuses(report).items()
               if name != "Read config")
    assert len(report["commands"]) == 1  # no other stage and no notification ran a command
    assert report["withAWS"] == []
    assert [entry["message"] for entry in report["echoes"]] == [
        "The build parameters were rejected before an account was chosen: no alert topic to notify."]


@pytest.mark.parametrize("target", ["dev", "staging", "prod"])
def test_the_target_account_passes_the_first_stage_for_real(run_jenkinsfile, target):
    report = run_jenkinsfile({**DEV_PLAN, "TARGET_ENV": target, "targetAccount": ACCOUNTS.of(target)},
                             execute=["Read config"])

    first = report["commands"][0]
    assert first["executed"]
    assert first["exitStatus"] == 0, first["output"]
    assert (f"{target} build (plan) with targetAccount {ACCOUNTS.of(target)} confirmed by "
            f"environments/{target}.tfvars.json" in first["output"])
    assert report["result"] == "SUCCESS"


def test_every_stage_script_exists_is_executable_and_strict(run_jenkinsfile):
    report = run_jenkinsfile(PROD_APPLY, fail_commands=["upsert-pipelines.sh"])  # also runs the notification

    scripts = {command["script"] for command in report["commands"]}
    assert len(scripts) == 7
    for script in scripts:
        assert script.startswith("./scripts/"), "each stage runs one script from scripts/"
        assert " " not in script, "each stage runs exactly one script, with no arguments (it reads the env)"
        path = REPO_ROOT / script
        assert path.is_file(), script
        assert path.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"
        lines = path.read_text().splitlines()
        assert lines[0] == "#!/usr/bin/env bash"
        assert "set -euo pipefail" in lines


# --- declarative rules: the harness rejects what Jenkins would reject ------------------------------------------

def mutated(tmp_path, old: str, new: str, count: int = 1):
    source = JENKINSFILE.read_text()
    assert source.count(old) >= count, f"the Jenkinsfile no longer contains {old!r}"
    path = tmp_path / "Jenkinsfile"
    path.write_text(source.replace(old, new, count))
    return path


@pytest.mark.parametrize(("old", "new", "error"), [
    pytest.param("sh './scripts/install.sh'\n            }\n",
                 "sh './scripts/install.sh'\n            \n", "syntax error", id="unbalanced-brace"),
    pytest.param("sh './scripts/install.sh'", "def venv = '.venv'\n                sh './scripts/install.sh'",
                 "only step calls are allowed here", id="bare-groovy-in-steps"),
    pytest.param("sh './scripts/test.sh'", "if (params.TARGET_ENV == 'prod') { sh './scripts/test.sh' }",
                 "only step calls are allowed here", id="control-flow-in-steps"),
    pytest.param("sh './scripts/terraform-apply.sh'", "env.X = '1'",
                 "only step calls are allowed here", id="assignment-inside-withAWS"),
    pytest.param("            steps {\n                sh './scripts/install.sh'\n            }\n", "",
                 "stage 'Install': exactly one of steps, stages or parallel is required", id="stage-without-steps"),
    pytest.param("    options {", "    triggerz { cron('H 4 * * *') }\n    options {",
                 "unknown section 'triggerz'", id="unknown-pipeline-section"),
    pytest.param("expression { params.TERRAFORM_ACTION == 'apply' }", "branch 'main'",
                 "'branch' only works in multibranch jobs", id="branch-condition"),
    pytest.param("    post {\n        failure {", "    post {\n        failed {",
                 "unknown section 'failed'", id="unknown-post-condition"),
    pytest.param("TF_INPUT = '0'", "TF_INPUT('0')", "only NAME = value assignments", id="environment-call"),
])
def test_declarative_rules_are_enforced(run_jenkinsfile, tmp_path, old, new, error):
    with pytest.raises(HarnessError) as rejected:
        run_jenkinsfile(PROD_APPLY, jenkinsfile=mutated(tmp_path, old, new))
    assert error in str(rejected.value)


def test_an_unknown_step_is_rejected(run_jenkinsfile, tmp_path):
    with pytest.raises(HarnessError, match="stage 'Test': unknown step or method 'shh'"):
        run_jenkinsfile(PROD_APPLY, jenkinsfile=mutated(tmp_path, "sh './scripts/test.sh'", "shh './scripts/test.sh'"))


def test_stage_sections_the_harness_cannot_run_are_refused_not_ignored(run_jenkinsfile, tmp_path):
    jenkinsfile = mutated(tmp_path, "        stage('Install') {\n",
                          "        stage('Install') {\n            environment { PIP_NO_INPUT = '1' }\n")
    with pytest.raises(HarnessError, match="stage 'Install': this harness runs only when and steps in a stage; "
                                           "extend it to run environment"):
        run_jenkinsfile(PROD_APPLY, jenkinsfile=jenkinsfile)


def test_an_unknown_choice_is_rejected(run_jenkinsfile):
    with pytest.raises(HarnessError, match="'qa' is not one of"):
        run_jenkinsfile({**PROD_APPLY, "TARGET_ENV": "qa"})


def test_the_harness_finds_jenkins_groovy(groovy):
    # Debian's groovy launcher needs JAVA_HOME; the fixture derives it when the machine has no default-java.
    assert os.path.exists(os.path.join(groovy["JAVA_HOME"], "bin", "java"))
