"""Only an approver approves: run-pipeline refuses any other registration status before any AWS call (unless
dev's environment file allows auto-approval), and approve-model acts as the registry's approver role."""

from __future__ import annotations

import json
import shutil
import socket

import pytest

from pipelines import approve_model
from pipelines.aws import session_for_account
from pipelines.cli import run_pipeline
from pipelines.config import ENVIRONMENTS_DIR, load_config

REGISTRY = load_config("registry").account_id
APPROVER_ROLE_ARN = f"arn:aws:iam::{REGISTRY}:role/mammo-model-approver"


@pytest.fixture
def silent_endpoint():
    """A loopback port that records whether anyone connected: the refusals must come before any call."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        yield listener, {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{listener.getsockname()[1]}"}


def nobody_connected(listener: socket.socket) -> bool:
    try:
        listener.accept()[0].close()
    except BlockingIOError:
        return True
    return False


@pytest.mark.parametrize(("environment", "value", "message"), [
    ("dev", "Approved", "--parameters ModelApprovalStatus=Approved is refused in dev: versions are registered "
                        "PendingManualApproval and approved by an approver with approve-model; leave the parameter "
                        "out (or set 'workload.pipeline.allow_auto_approval' to true in "),
    ("prod", "Approved", "--parameters ModelApprovalStatus=Approved is refused in prod: versions are registered "
                         "PendingManualApproval and approved by an approver with approve-model; leave the parameter "
                         "out\n"),
    ("dev", "Rejected", "--parameters ModelApprovalStatus=Rejected is refused in dev"),
    ("dev", "Bogus", "--parameters ModelApprovalStatus='Bogus' is not a model approval status: use "
                     "PendingManualApproval, or leave the parameter out"),
])
def test_run_pipeline_refuses_a_status_other_than_pending_before_any_call(environment, value, message,
                                                                           silent_endpoint, capsys):
    listener, env = silent_endpoint
    status = run_pipeline.main(["--env", environment, "--pipeline", "train", "--start",
                                "--parameters", f"ModelApprovalStatus={value}"], env=env)
    err = capsys.readouterr().err
    assert status == 2
    assert message in err
    assert nobody_connected(listener)


@pytest.fixture
def dev_allowing_auto_approval(tmp_path, monkeypatch):
    """Copies of the environment files where dev allows auto-approval and the registry file lists it."""
    for path in ENVIRONMENTS_DIR.glob("*.tfvars.json"):
        shutil.copy(path, tmp_path / path.name)
    dev = json.loads((tmp_path / "dev.tfvars.json").read_text())
    dev["workload"]["pipeline"]["allow_auto_approval"] = True
    (tmp_path / "dev.tfvars.json").write_text(json.dumps(dev))
    registry = json.loads((tmp_path / "registry.tfvars.json").read_text())
    registry["model_registry"]["auto_approving_environments"] = ["dev"]
    (tmp_path / "registry.tfvars.json").write_text(json.dumps(registry))
    monkeypatch.setenv("MLOPS_ENVIRONMENTS_DIR", str(tmp_path))
    return tmp_path


def test_dev_may_auto_approve_where_its_file_allows_it_but_never_a_bogus_status(dev_allowing_auto_approval, aws,
                                                                                 capsys):
    config = load_config("dev")
    session_for_account(config.account_id, config.aws_region).client("s3").create_bucket(
        Bucket=config.workload.data_bucket_name)
    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--parameters", "ModelApprovalStatus=Approved"])
    assert status == 0, capsys.readouterr().err
    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--parameters", "ModelApprovalStatus=Bogus"])
    assert status == 2
    assert "is not a model approval status" in capsys.readouterr().err


def test_an_approved_run_is_refused_where_the_registry_file_does_not_list_the_environment(
        dev_allowing_auto_approval, capsys):
    registry = json.loads((dev_allowing_auto_approval / "registry.tfvars.json").read_text())
    registry["model_registry"]["auto_approving_environments"] = []
    (dev_allowing_auto_approval / "registry.tfvars.json").write_text(json.dumps(registry))
    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--parameters", "ModelApprovalStatus=Approved"])
    assert status == 2
    assert ("field 'model_registry.auto_approving_environments' does not list 'dev', whose file allows "
            "auto-approval") in capsys.readouterr().err


def test_pending_manual_approval_is_accepted(silent_endpoint, capsys):
    """The check lets PendingManualApproval through: the command goes on to the (silent) endpoint."""
    listener, env = silent_endpoint
    status = run_pipeline.main(["--env", "dev", "--pipeline", "train",
                                "--parameters", "ModelApprovalStatus=PendingManualApproval"], env=env)
    assert status == 5
    assert "does not answer" in capsys.readouterr().err
    assert not nobody_connected(listener)


def caller(session) -> str:
    return session.client("sts").get_caller_identity()["Arn"]


def test_approve_model_assumes_the_approver_role_in_the_registry_account(target):
    config = load_config("prod")
    session = approve_model.approver_session(target, config)
    assert caller(session) == f"arn:aws:sts::{REGISTRY}:assumed-role/mammo-model-approver/approve-model"


def test_only_sessions_of_the_approver_role_count_as_the_approver(target):
    config = load_config("dev")
    approver = approve_model.approver_session(target, config)
    assert approve_model.is_role(caller(approver), APPROVER_ROLE_ARN)
    assert approve_model.is_role(APPROVER_ROLE_ARN, APPROVER_ROLE_ARN)
    assert not approve_model.is_role(caller(target.session(REGISTRY, config.aws_region)), APPROVER_ROLE_ARN)
    assert not approve_model.is_role(f"arn:aws:sts::{REGISTRY}:assumed-role/mammo-model-approver-2/x",
                                     APPROVER_ROLE_ARN)
    assert not approve_model.is_role("arn:aws:sts::999999999999:assumed-role/mammo-model-approver/x",
                                     APPROVER_ROLE_ARN)
