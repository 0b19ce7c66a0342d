"""The stage scripts run by hand: bad input is named with its fix, and the failure notification really publishes.

These need neither groovy nor terraform: the scripts are run with bash as a person (or Jenkins) runs them.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from jenkins_harness import REPO_ROOT

from pipelines.aws import session_for_account
from pipelines.cli.mlops_notify import main
from pipelines.config import load_config
from pipelines.notify import SUBJECT_MAX_LENGTH, email_subject

SCRIPTS = REPO_ROOT / "scripts"


def run_script(name: str, **env: str) -> subprocess.CompletedProcess:
    # Only what a shell would have plus the given variables: no Jenkins environment leaks in from elsewhere.
    base = {key: value for key, value in os.environ.items()
            if key not in ("TARGET_ENV", "TERRAFORM_ACTION", "TARGET_ACCOUNT", "PLAN_FILE")}
    return subprocess.run([str(SCRIPTS / name)], env={**base, **env}, capture_output=True, text=True,
                          timeout=300, check=False, cwd="/")


@pytest.mark.parametrize(("env", "message"), [
    ({}, "environment variable TARGET_ENV is not set: the workload environment to deploy (a file "
         "environments/<TARGET_ENV>.tfvars.json)"),
    ({"TARGET_ENV": "registry"}, "TARGET_ENV='registry' is not a workload environment"),
    ({"TARGET_ENV": "prod"}, "environment variable TERRAFORM_ACTION is not set: plan or apply"),
    ({"TARGET_ENV": "prod", "TERRAFORM_ACTION": "destroy"},
     "TERRAFORM_ACTION='destroy' is not valid: use one of plan apply"),
    ({"TARGET_ENV": "prod", "TERRAFORM_ACTION": "plan", "TARGET_ACCOUNT": "3333-3333-3333"},
     "targetAccount '3333-3333-3333' is not an AWS account id: enter exactly 12 digits"),
])
def test_check_build_params_names_the_bad_variable(env, message):
    result = run_script("check-build-params.sh", **env)
    assert result.returncode == 2
    assert f"check-build-params.sh: error: {message}" in result.stderr


def test_check_build_params_accepts_the_target_account_from_any_directory():
    result = run_script("check-build-params.sh", TARGET_ENV="prod", TERRAFORM_ACTION="apply",
                        TARGET_ACCOUNT=load_config("prod").accounts.prod)
    assert result.returncode == 0, result.stderr
    assert "confirmed by environments/prod.tfvars.json" in result.stdout


def test_terraform_plan_needs_a_plan_file_name():
    result = run_script("terraform-plan.sh", TARGET_ENV="dev")
    assert result.returncode == 2
    assert "environment variable PLAN_FILE is not set: where to save the plan" in result.stderr


def test_terraform_apply_refuses_to_apply_without_the_saved_plan(tmp_path):
    result = run_script("terraform-apply.sh", TARGET_ENV="dev", PLAN_FILE=str(tmp_path / "missing.tfplan"))
    assert result.returncode == 2
    assert f"no saved plan at {tmp_path / 'missing.tfplan'}: run scripts/terraform-plan.sh first" in result.stderr


@pytest.mark.parametrize("script", ["test.sh", "terraform-plan.sh", "terraform-apply.sh", "upsert-pipelines.sh",
                                    "notify-failure.sh"])
def test_scripts_that_need_the_virtualenv_say_how_to_get_it(script, tmp_path):
    result = run_script(script, TARGET_ENV="dev", PLAN_FILE="x.tfplan", VENV_BIN=str(tmp_path / "no-venv"))
    assert result.returncode == 2
    assert f"{tmp_path / 'no-venv'}/python not found: run scripts/install.sh first" in result.stderr


# --- the failure notification --------------------------------------------------------------------------------

@pytest.fixture
def dev_alert_queue(aws):
    """The dev alert topic (as Terraform names it) with an SQS queue subscribed: what an e-mail would get."""
    config = load_config("dev")
    session = session_for_account(config.account_id, config.aws_region)
    topic_arn = session.client("sns").create_topic(Name=config.workload.alert_topic_name)["TopicArn"]
    sqs = session.client("sqs")
    queue_url = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    session.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return received


def test_notify_failure_publishes_the_build_to_the_alert_topic(dev_alert_queue):
    result = run_script("notify-failure.sh", TARGET_ENV="dev", TERRAFORM_ACTION="apply", JOB_NAME="deploy",
                        BUILD_NUMBER="7", BUILD_URL="https://jenkins.example.com/job/deploy/7/")
    assert result.returncode == 0, result.stderr

    [notification] = dev_alert_queue()
    assert notification["TopicArn"] == load_config("dev").alert_topic_arn
    assert notification["Subject"] == "Jenkins: deploy #7 failed (dev)"
    assert notification["Message"] == (
        "Jenkins build deploy #7 failed while deploying dev (Terraform action: apply).\n"
        "Console log: https://jenkins.example.com/job/deploy/7/console")


def test_notify_failure_by_hand_says_so(dev_alert_queue):
    result = run_script("notify-failure.sh", TARGET_ENV="dev")
    assert result.returncode == 0, result.stderr
    [notification] = dev_alert_queue()
    assert notification["Subject"] == "Jenkins: a build run by hand #0 failed (dev)"
    assert notification["Message"].endswith("Console log: not available")


def test_notify_without_the_topic_says_to_apply_first(aws, capsys):
    assert main(["--env", "prod", "--subject", "s", "--message", "m"]) == 4
    error = capsys.readouterr().err
    assert f"alert topic {load_config('prod').alert_topic_arn} does not exist" in error
    assert "mlops-infra apply --env prod" in error


def test_notify_rejects_an_empty_message(aws, capsys):
    assert main(["--env", "dev", "--subject", "s", "--message", "  "]) == 2
    assert "--message must not be empty" in capsys.readouterr().err


def test_email_subject_is_one_line_and_short_enough():
    assert email_subject("build\nfailed  now") == "build failed now"
    long = email_subject("x" * 150)
    assert len(long) == SUBJECT_MAX_LENGTH
    assert long.endswith("...")
    with pytest.raises(Exception, match="--subject must not be empty"):
        email_subject(" \n ")
