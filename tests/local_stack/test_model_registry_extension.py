"""SageMaker model registry calls added by the extension, and the central group used across accounts."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from pipelines.aws import session_for_account
from pipelines.config import load_config

CONFIG = load_config("registry")
REGION, GROUP_ARN = CONFIG.aws_region, CONFIG.model_package_group_arn
GROUP = CONFIG.model_registry.model_package_group_name
REGISTRY, DEV, PROD = CONFIG.accounts.registry, CONFIG.accounts.dev, CONFIG.accounts.prod
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "WorkloadAccounts",
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{DEV}:root", f"arn:aws:iam::{PROD}:root"]},
        "Action": ["sagemaker:DescribeModelPackageGroup"],
        "Resource": GROUP_ARN,
    }],
}
INFERENCE_SPECIFICATION = {
    "Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                    "ModelDataUrl": f"s3://{CONFIG.model_registry.artifacts_bucket_name}/dev/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def _sagemaker(account: str):
    return session_for_account(account, REGION).client("sagemaker")


@pytest.fixture
def registry(aws):
    client = _sagemaker(REGISTRY)
    assert client.create_model_package_group(ModelPackageGroupName=GROUP)["ModelPackageGroupArn"] == GROUP_ARN
    return client


def _error(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_group_policy_put_get_delete(registry):
    assert registry.put_model_package_group_policy(
        ModelPackageGroupName=GROUP, ResourcePolicy=json.dumps(POLICY))["ModelPackageGroupArn"] == GROUP_ARN
    assert json.loads(registry.get_model_package_group_policy(ModelPackageGroupName=GROUP)["ResourcePolicy"]) == POLICY
    registry.delete_model_package_group_policy(ModelPackageGroupName=GROUP)
    with pytest.raises(ClientError) as excinfo:
        registry.get_model_package_group_policy(ModelPackageGroupName=GROUP)
    # The provider treats exactly this message as "no policy".
    assert _error(excinfo) == ("ValidationException", f"Cannot find resource policy for: {GROUP_ARN}")


def test_group_policy_errors(registry):
    with pytest.raises(ClientError) as excinfo:
        registry.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy="{not json")
    assert _error(excinfo)[0] == "ValidationException"
    assert "not a valid JSON policy" in _error(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        registry.get_model_package_group_policy(ModelPackageGroupName="no-such-group")
    assert _error(excinfo) == ("ValidationException", "Cannot find Model Package Group: no-such-group")
    with pytest.raises(ClientError) as excinfo:
        registry.delete_model_package_group_policy(ModelPackageGroupName=GROUP)
    assert "Cannot find resource policy" in _error(excinfo)[1]


def test_delete_group_only_once_it_is_empty(registry):
    package_arn = registry.create_model_package(
        ModelPackageGroupName=GROUP, InferenceSpecification=INFERENCE_SPECIFICATION)["ModelPackageArn"]
    with pytest.raises(ClientError) as excinfo:
        registry.delete_model_package_group(ModelPackageGroupName=GROUP)
    assert _error(excinfo)[0] == "ConflictException"
    registry.delete_model_package(ModelPackageName=package_arn)
    registry.delete_model_package_group(ModelPackageGroupName=GROUP)
    assert registry.list_model_package_groups()["ModelPackageGroupSummaryList"] == []
    with pytest.raises(ClientError) as excinfo:
        registry.describe_model_package_group(ModelPackageGroupName=GROUP)
    assert "does not exist" in _error(excinfo)[1]


def test_policy_is_forgotten_on_reset(registry, aws):
    registry.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=json.dumps(POLICY))
    aws.reset()
    registry = _sagemaker(REGISTRY)  # the reset forgot the role session too
    registry.create_model_package_group(ModelPackageGroupName=GROUP)
    with pytest.raises(ClientError, match="Cannot find resource policy"):
        registry.get_model_package_group_policy(ModelPackageGroupName=GROUP)


def test_workload_accounts_use_the_central_group_by_arn(registry):
    dev, prod = _sagemaker(DEV), _sagemaker(PROD)
    assert dev.describe_model_package_group(ModelPackageGroupName=GROUP_ARN)["ModelPackageGroupArn"] == GROUP_ARN

    package_arn = dev.create_model_package(
        ModelPackageGroupName=GROUP_ARN, InferenceSpecification=INFERENCE_SPECIFICATION,
        ModelApprovalStatus="PendingManualApproval")["ModelPackageArn"]
    # The package belongs to the registry account, as in AWS.
    assert package_arn == f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/{GROUP}/1"
    second_arn = dev.create_model_package(
        ModelPackageGroupName=GROUP_ARN, InferenceSpecification=INFERENCE_SPECIFICATION)["ModelPackageArn"]
    assert second_arn.endswith(f"/{GROUP}/2")

    listed = prod.list_model_packages(ModelPackageGroupName=GROUP_ARN)["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in listed] == [package_arn, second_arn]
    assert prod.describe_model_package(ModelPackageName=package_arn)["ModelApprovalStatus"] == "PendingManualApproval"

    dev.update_model_package(ModelPackageArn=package_arn, ModelApprovalStatus="Approved")
    approved = prod.list_model_packages(ModelPackageGroupName=GROUP_ARN, ModelApprovalStatus="Approved")
    assert [p["ModelPackageArn"] for p in approved["ModelPackageSummaryList"]] == [package_arn]
    assert registry.describe_model_package(ModelPackageName=package_arn)["ModelApprovalStatus"] == "Approved"

    # Nothing landed in the workload accounts themselves.
    assert dev.list_model_package_groups()["ModelPackageGroupSummaryList"] == []
    assert dev.list_model_packages()["ModelPackageSummaryList"] == []


def test_a_group_arn_in_an_account_without_that_group_is_an_error(registry):
    missing = f"arn:aws:sagemaker:{REGION}:{PROD}:model-package-group/{GROUP}"
    with pytest.raises(ClientError) as excinfo:
        _sagemaker(DEV).create_model_package(ModelPackageGroupName=missing,
                                             InferenceSpecification=INFERENCE_SPECIFICATION)
    assert "Model Package Group does not exist" in _error(excinfo)[1]
