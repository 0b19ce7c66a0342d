"""The Lambda handler against the local stack: the group lives in the registry account, the function runs
in the dev account (credentials in the environment, as the Lambda runtime provides them)."""

from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.stub import Stubber

from pipelines import model_registry
from pipelines.aws import session_for_account
from pipelines.config import load_config
from pipelines.lambdas import latest_approved_model

DEV = load_config("dev")
REGION, GROUP_ARN = DEV.aws_region, DEV.model_package_group_arn
ARTIFACTS = f"s3://{DEV.model_registry.artifacts_bucket_name}/dev"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
FOUND = GROUP_ARN.replace(":model-package-group/", ":model-package/") + "/2"


@pytest.fixture
def as_dev_lambda(aws, monkeypatch):
    """The handler's boto3 default credentials become the dev account's, as the Lambda runtime sets them."""
    credentials = session_for_account(DEV.account_id, REGION).get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials.token)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # boto3's default session caches the credentials it found first; the handler must see these.
    monkeypatch.setattr(latest_approved_model.boto3, "DEFAULT_SESSION", None)
    assert latest_approved_model.boto3.client("sts").get_caller_identity()["Account"] == DEV.account_id


def test_returns_the_latest_approved_package(register_version, model_package_group, as_dev_lambda):
    register_version("v1", "Approved")
    latest_approved = register_version("v2", "Approved")
    register_version("v3", "PendingManualApproval")
    register_version("v4", "Rejected")

    result = latest_approved_model.handler({"ModelPackageGroupArn": GROUP_ARN}, None)

    assert result == {
        "ModelPackageArn": latest_approved,
        "ModelDataUrl": f"{ARTIFACTS}/v2/model.tar.gz",
        "ImageUri": model_package_group.describe_model_package(ModelPackageName=latest_approved)[
            "InferenceSpecification"]["Containers"][0]["Image"],
        "BaselineStatisticsUri": f"{ARTIFACTS}/v2/statistics.json",
        "BaselineConstraintsUri": f"{ARTIFACTS}/v2/constraints.json",
    }
    assert latest_approved.startswith(GROUP_ARN.replace(":model-package-group/", ":model-package/") + "/")


def test_group_from_the_environment_when_the_event_has_none(register_version, as_dev_lambda, monkeypatch):
    approved = register_version("v1", "Approved")
    monkeypatch.setenv("MODEL_PACKAGE_GROUP_ARN", GROUP_ARN)
    assert latest_approved_model.handler({}, None)["ModelPackageArn"] == approved


def test_only_pending_versions_is_a_clear_error_naming_the_group(register_version, as_dev_lambda):
    register_version("v1", "PendingManualApproval")
    with pytest.raises(latest_approved_model.NoApprovedModelError, match="no Approved model package") as error:
        latest_approved_model.handler({"ModelPackageGroupArn": GROUP_ARN}, None)
    assert GROUP_ARN in str(error.value)


def test_approved_package_without_a_baseline_is_a_clear_error(model_package_group, as_dev_lambda):
    package = model_package_group.create_model_package(
        ModelPackageGroupName=GROUP_ARN, ModelApprovalStatus="Approved",
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
            "ModelPackageGroupName": DEV.model_registry.model_package_group_name, "ModelPackageArn": FOUND,
            "CreationTime": datetime.datetime(2026, 1, 1), "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved"}], "NextToken": "t2"}, {**wanted, "NextToken": "t1"})
        found = model_registry.latest_approved_package_arn(client, GROUP_ARN)
        stubber.assert_no_pending_responses()
    assert found == FOUND
