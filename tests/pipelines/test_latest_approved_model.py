"""The Lambda handler against the local stack: the group lives in the registry account, the function runs
in the dev account (credentials in the environment, as the Lambda runtime provides them)."""

from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.stub import Stubber

from pipelines import model_registry
from pipelines.aws import session_for_account
from pipelines.inference.scripts import latest_approved_model

REGION = "us-east-1"
REGISTRY, DEV = "111111111111", "222222222222"
GROUP = "mammo-severity"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package-group/{GROUP}"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"
ARTIFACTS = "s3://mammo-model-artifacts-111111111111/dev"


def register(registry, version_tag: str, status: str) -> str:
    return registry.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus=status,
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": f"{ARTIFACTS}/models/{version_tag}/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
        DriftCheckBaselines={"ModelDataQuality": {
            "Statistics": {"ContentType": "application/json",
                           "S3Uri": f"{ARTIFACTS}/baselines/{version_tag}/statistics.json"},
            "Constraints": {"ContentType": "application/json",
                            "S3Uri": f"{ARTIFACTS}/baselines/{version_tag}/constraints.json"},
        }},
    )["ModelPackageArn"]


@pytest.fixture
def registry(aws):
    client = session_for_account(REGISTRY, REGION).client("sagemaker")
    client.create_model_package_group(ModelPackageGroupName=GROUP)
    return client


@pytest.fixture
def as_dev_lambda(aws, monkeypatch):
    """The handler's boto3 default credentials become the dev account's, as the Lambda runtime sets them."""
    credentials = session_for_account(DEV, REGION).get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials.token)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # boto3's default session caches the credentials it found first; the handler must see these.
    monkeypatch.setattr(latest_approved_model.boto3, "DEFAULT_SESSION", None)
    assert latest_approved_model.boto3.client("sts").get_caller_identity()["Account"] == DEV


def test_returns_the_latest_approved_package(registry, as_dev_lambda):
    register(registry, "v1", "Approved")
    latest_approved = register(registry, "v2", "Approved")
    register(registry, "v3", "PendingManualApproval")
    register(registry, "v4", "Rejected")

    result = latest_approved_model.handler({"ModelPackageGroupArn": GROUP_ARN}, None)

    assert result == {
        "ModelPackageArn": latest_approved,
        "ModelDataUrl": f"{ARTIFACTS}/models/v2/model.tar.gz",
        "ImageUri": IMAGE,
        "BaselineStatisticsUri": f"{ARTIFACTS}/baselines/v2/statistics.json",
        "BaselineConstraintsUri": f"{ARTIFACTS}/baselines/v2/constraints.json",
    }
    assert latest_approved.startswith(f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/{GROUP}/")


def test_group_from_the_environment_when_the_event_has_none(registry, as_dev_lambda, monkeypatch):
    approved = register(registry, "v1", "Approved")
    monkeypatch.setenv("MODEL_PACKAGE_GROUP_ARN", GROUP_ARN)
    assert latest_approved_model.handler({}, None)["ModelPackageArn"] == approved


def test_only_pending_versions_is_a_clear_error_naming_the_group(registry, as_dev_lambda):
    register(registry, "v1", "PendingManualApproval")
    with pytest.raises(latest_approved_model.NoApprovedModelError, match="no Approved model package") as error:
        latest_approved_model.handler({"ModelPackageGroupArn": GROUP_ARN}, None)
    assert GROUP_ARN in str(error.value)


def test_approved_package_without_a_baseline_is_a_clear_error(registry, as_dev_lambda):
    package = registry.create_model_package(
        ModelPackageGroupName=GROUP, ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": f"{ARTIFACTS}/m.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    with pytest.raises(latest_approved_model.NoApprovedModelError, match="has no data-quality baseline") as error:
        latest_approved_model.handler({"ModelPackageGroupArn": GROUP_ARN}, None)
    assert package in str(error.value)


def test_no_group_given_is_an_error(monkeypatch):
    monkeypatch.delenv("MODEL_PACKAGE_GROUP_ARN", raising=False)
    with pytest.raises(latest_approved_model.NoApprovedModelError, match="MODEL_PACKAGE_GROUP_ARN"):
        latest_approved_model.handler({}, None)


def test_pages_until_an_approved_package_appears():
    # moto returns every match on one page, so paging is checked with botocore's Stubber on a real client:
    # SageMaker may hand out empty pages with a NextToken before the first match.
    client = boto3.client("sagemaker", region_name=REGION)  # the Stubber answers before any request is signed
    wanted = {"ModelPackageGroupName": GROUP_ARN, "ModelApprovalStatus": "Approved", "SortBy": "CreationTime",
              "SortOrder": "Descending", "MaxResults": model_registry.APPROVED_PAGE_SIZE}
    with Stubber(client) as stubber:
        stubber.add_response("list_model_packages", {"ModelPackageSummaryList": [], "NextToken": "t1"}, wanted)
        stubber.add_response("list_model_packages", {"ModelPackageSummaryList": [{
            "ModelPackageGroupName": GROUP, "ModelPackageArn": "arn:aws:sagemaker:us-east-1:1:model-package/g/1",
            "CreationTime": datetime.datetime(2026, 1, 1), "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved"}], "NextToken": "t2"}, {**wanted, "NextToken": "t1"})
        found = model_registry.latest_approved_package_arn(client, GROUP_ARN)
        stubber.assert_no_pending_responses()
    assert found == "arn:aws:sagemaker:us-east-1:1:model-package/g/1"
