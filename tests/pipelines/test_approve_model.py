"""approve-model in-process against the local stack: metrics from evaluation.json, approve/reject, bad input."""

from __future__ import annotations

import json

import pytest
from support.platform import create_approver_role

from pipelines.cli import approve_model
from pipelines.config import load_config

CONFIG = load_config("registry")
GROUP, BUCKET = CONFIG.model_registry.model_package_group_name, CONFIG.model_registry.artifacts_bucket_name
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"


def evaluation(auc: float) -> dict:
    return {"classification_metrics": {
        "auc": {"value": auc}, "accuracy": {"value": 0.8}, "precision": {"value": 0.75}, "recall": {"value": 0.7},
        "confusion_matrix": {"0": {"0": 30, "1": 5}, "1": {"0": 8, "1": 18}}}}


@pytest.fixture
def approver(registry_session, model_package_group) -> str:
    """The central group and its approver role, as Terraform creates them (the reports here are not encrypted)."""
    return create_approver_role(registry_session, CONFIG)


@pytest.fixture
def registry(registry_session, model_package_group, approver):
    """The central group with two versions trained in dev, each with its evaluation report."""
    s3, sagemaker = registry_session.client("s3"), model_package_group
    s3.create_bucket(Bucket=BUCKET)
    for execution, auc in (("e1", 0.81), ("e2", 0.86)):
        key = f"dev/evaluation/{execution}/evaluation.json"
        s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(evaluation(auc)).encode())
        sagemaker.create_model_package(
            ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/dev/models/{execution}/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
            ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                                          "S3Uri": f"s3://{BUCKET}/{key}"}}},
        )
    return sagemaker


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = approve_model.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def statuses(sagemaker) -> dict[int, str]:
    packages = sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    return {p["ModelPackageVersion"]: p["ModelApprovalStatus"] for p in packages}


def test_list_shows_every_version_with_its_metrics(registry, capsys):
    status, out, _ = run(capsys, "--env", "dev", "--list")
    assert status == 0
    lines = out.splitlines()
    assert "2 version(s)" in lines[0]
    assert lines[1].startswith("version 1  PendingManualApproval")
    assert "auc 0.810" in lines[1]
    assert "auc 0.860" in lines[2]
    assert "confusion [[30, 5], [8, 18]]" in lines[2]
    assert statuses(registry) == {1: "PendingManualApproval", 2: "PendingManualApproval"}


def test_latest_is_approved_as_the_registry_account(registry, capsys):
    status, out, _ = run(capsys, "--env", "prod", "--latest")
    assert status == 0
    assert "version 2: PendingManualApproval -> Approved" in out
    assert statuses(registry) == {1: "PendingManualApproval", 2: "Approved"}


def test_reject_a_given_version(registry, capsys):
    assert run(capsys, "--env", "registry", "--version", "1", "--reject")[0] == 0
    assert statuses(registry) == {1: "Rejected", 2: "PendingManualApproval"}


def test_unknown_version_exits_2_listing_the_versions(registry, capsys):
    status, _, err = run(capsys, "--env", "dev", "--version", "7")
    assert status == 2
    assert "--version 7 is not in model package group" in err
    assert "(versions: 1, 2)" in err


def test_empty_group_exits_2(approver, capsys):
    status, _, err = run(capsys, "--env", "dev", "--latest")
    assert status == 2
    assert "has no version yet" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["--env", "dev"], "give --list, --version N or --latest"),
    (["--env", "dev", "--list", "--reject"], "--reject needs --version N or --latest"),
])
def test_bad_usage_exits_2(argv, message, capsys):
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert message in err
