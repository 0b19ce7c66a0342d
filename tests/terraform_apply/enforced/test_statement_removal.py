"""Each chosen statement of the platform's Terraform is needed: taken out of a copy of its module and applied,
the platform's call that relies on it fails with AWS's AccessDenied naming its action, on a stack enforcing IAM.

The platform is applied once for the module; each test makes the call as the platform makes it, as the role
that makes it (allowed), applies the one policy resource from the copy without the statement (denied), and
applies it from the committed root again.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from pipelines.approve_model import approver_session

from ..accounts import account_client
from .platform import assert_denied, session_arn, statement_removed

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

NO_IDENTITY_POLICY = "because no identity-based policy allows the {action} action"
NO_RESOURCE_POLICY = "because no resource-based policy allows the {action} action"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


@pytest.fixture(scope="module")
def accounts(applied_platform):
    return applied_platform["registry"], applied_platform["dev"], applied_platform["prod"]


@pytest.fixture
def scratch(tmp_path):
    return tmp_path


@pytest.fixture(scope="module")
def artifact(accounts) -> tuple[str, str]:
    """A model artifact of dev in the central bucket (bucket, key), written as the registry's administrator."""
    registry, _, _ = accounts
    bucket, key = registry.config.model_registry.artifacts_bucket_name, "dev/models/authorization/model.tar.gz"
    account_client(registry, "s3").put_object(Bucket=bucket, Key=key, Body=b"model")
    return bucket, key


def _register(registry, dev, status: str) -> str:
    """A version in the central group as the train pipeline registers one (dev's artifact, a data-quality
    baseline), with `status`."""
    artifacts = f"s3://{registry.config.model_registry.artifacts_bucket_name}/dev/models/authorization"
    return account_client(registry, "sagemaker").create_model_package(
        ModelPackageGroupName=dev.config.model_package_group_arn, ModelApprovalStatus=status,
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": f"{artifacts}/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        DriftCheckBaselines={"ModelDataQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": f"{artifacts}/statistics.json"},
            "Constraints": {"ContentType": "application/json", "S3Uri": f"{artifacts}/constraints.json"}}},
    )["ModelPackageArn"]


def test_execution_role_writes_model_artifacts_with_the_registry_key(accounts, act_as, scratch):
    registry, dev, _ = accounts
    workload = dev.config.require_workload()
    s3 = act_as("dev", workload.sagemaker_execution_role_name).client("s3")
    bucket = dev.config.model_registry.artifacts_bucket_name

    def upload(name: str):
        # As a training job uploads its model: SSE-KMS with the registry key, named by its alias.
        return s3.put_object(Bucket=bucket, Key=f"dev/models/authorization/{name}/model.tar.gz", Body=b"model",
                             ServerSideEncryption="aws:kms", SSEKMSKeyId=dev.config.model_artifacts_kms_alias_arn)

    upload("before")
    with statement_removed(dev.runner, "modules/iam/main.tf", "UseRegistryKeyByAlias",
                           "module.iam[0].aws_iam_role_policy.sagemaker_execution", scratch):
        with pytest.raises(ClientError) as denied:
            upload("without-the-statement")
    assert_denied(denied.value, "AccessDenied", session_arn(dev.config.account_id,
                                                            workload.sagemaker_execution_role_name),
                  "kms:GenerateDataKey", registry.outputs["registry_kms_key_arn"],
                  NO_IDENTITY_POLICY.format(action="kms:GenerateDataKey"))
    upload("after")


def test_registry_bucket_policy_lets_prod_read_the_artifacts(accounts, act_as, artifact, scratch):
    registry, _, prod = accounts
    role = prod.config.require_workload().sagemaker_execution_role_name
    s3 = act_as("prod", role).client("s3")
    bucket, key = artifact

    def read() -> bytes:  # as batch inference's transform job loads the registered model
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    assert read() == b"model"
    with statement_removed(registry.runner, "modules/model-registry/main.tf", "AllowWorkloadAccountsToReadArtifacts",
                           "module.model_registry[0].module.artifacts_bucket.aws_s3_bucket_policy.this", scratch):
        with pytest.raises(ClientError) as denied:
            read()
    assert_denied(denied.value, "AccessDenied", session_arn(prod.config.account_id, role), "s3:GetObject",
                  f"arn:aws:s3:::{bucket}/{key}", NO_RESOURCE_POLICY.format(action="s3:GetObject"))
    assert read() == b"model"


def test_execution_role_registers_versions_in_the_central_group(accounts, act_as, scratch):
    registry, dev, _ = accounts
    role = dev.config.require_workload().sagemaker_execution_role_name
    sagemaker = act_as("dev", role).client("sagemaker")
    artifacts = f"s3://{registry.config.model_registry.artifacts_bucket_name}/dev/models/authorization"

    def register() -> str:  # as the train pipeline's RegisterModel step does, by the group's ARN
        return sagemaker.create_model_package(
            ModelPackageGroupName=dev.config.model_package_group_arn, ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": f"{artifacts}/model.tar.gz"}],
                                    "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]

    first = register()
    next_version = int(first.rsplit("/", 1)[1]) + 1
    with statement_removed(dev.runner, "modules/iam/main.tf", "RegisterModelsInTheCentralGroup",
                           "module.iam[0].aws_iam_role_policy.sagemaker_execution", scratch):
        with pytest.raises(ClientError) as denied:
            register()
    # Authorized on the version it would have become.
    assert_denied(denied.value, "AccessDeniedException", session_arn(dev.config.account_id, role),
                  "sagemaker:CreateModelPackage", first.rsplit("/", 1)[0] + f"/{next_version}",
                  NO_IDENTITY_POLICY.format(action="sagemaker:CreateModelPackage"))
    assert register() == first.rsplit("/", 1)[0] + f"/{next_version}"


def test_latest_model_function_reads_the_central_registry(accounts, scratch):
    registry, dev, _ = accounts
    package_arn = _register(registry, dev, "Approved")
    function = dev.outputs["latest_model_function_arn"]
    lambda_ = account_client(dev, "lambda")

    def invoke() -> tuple[str | None, dict]:  # as the inference pipeline's LambdaStep invokes it
        response = lambda_.invoke(FunctionName=function, Payload=b"{}")
        return response.get("FunctionError"), json.loads(response["Payload"].read())

    error, payload = invoke()
    assert (error, payload.get("ModelPackageArn")) == (None, package_arn), payload
    with statement_removed(dev.runner, "modules/iam/main.tf", "DescribeCentralModelPackages",
                           "module.iam[0].aws_iam_role_policy.lambda", scratch):
        error, payload = invoke()
    role = dev.config.require_workload().lambda_role_name
    assert error == "Unhandled", payload
    message = payload["errorMessage"]
    # The function's own boto3 error: "An error occurred (AccessDeniedException) when calling the
    # DescribeModelPackage operation: User: ... is not authorized to perform: ..."
    assert "(AccessDeniedException) when calling the DescribeModelPackage operation: " in message, message
    session = f"arn:aws:sts::{dev.config.account_id}:assumed-role/{role}/"
    assert f"User: {session}" in message, message
    assert f"is not authorized to perform: sagemaker:DescribeModelPackage on resource: {package_arn} " \
           + NO_IDENTITY_POLICY.format(action="sagemaker:DescribeModelPackage") in message, message
    error, payload = invoke()
    assert (error, payload.get("ModelPackageArn")) == (None, package_arn), payload


def test_endpoint_role_reads_the_served_artifact(accounts, act_as, artifact, scratch):
    _, _, prod = accounts
    role = prod.config.require_workload().serving.execution_role_name
    s3 = act_as("prod", role).client("s3")
    bucket, key = artifact

    def read() -> bytes:  # as an endpoint's instance downloads ModelDataUrl
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    assert read() == b"model"
    with statement_removed(prod.runner, "modules/serving/main.tf", "ReadCentralArtifacts",
                           "module.serving[0].aws_iam_role_policy.execution", scratch):
        with pytest.raises(ClientError) as denied:
            read()
    assert_denied(denied.value, "AccessDenied", session_arn(prod.config.account_id, role), "s3:GetObject",
                  f"arn:aws:s3:::{bucket}/{key}", NO_IDENTITY_POLICY.format(action="s3:GetObject"))
    assert read() == b"model"


def test_approver_role_approves(accounts, platform_target, scratch):
    registry, dev, _ = accounts
    sagemaker = approver_session(platform_target, registry.config).client("sagemaker")

    def approve(package_arn: str) -> None:  # as `approve-model --latest` does
        sagemaker.update_model_package(ModelPackageArn=package_arn, ModelApprovalStatus="Approved")

    first, second = _register(registry, dev, "PendingManualApproval"), _register(registry, dev, "PendingManualApproval")
    approve(first)
    with statement_removed(registry.runner, "modules/model-registry/main.tf", "ApproveOrRejectModelVersions",
                           "module.model_registry[0].aws_iam_role_policy.approver", scratch):
        with pytest.raises(ClientError) as denied:
            approve(second)
    role = registry.config.model_registry.approver_role_name
    assert_denied(denied.value, "AccessDeniedException",
                  f"arn:aws:sts::{registry.config.account_id}:assumed-role/{role}/approve-model",
                  "sagemaker:UpdateModelPackage", second,
                  NO_IDENTITY_POLICY.format(action="sagemaker:UpdateModelPackage"))
    approve(second)
    status = account_client(registry, "sagemaker").describe_model_package(ModelPackageName=second)
    assert status["ModelApprovalStatus"] == "Approved"
