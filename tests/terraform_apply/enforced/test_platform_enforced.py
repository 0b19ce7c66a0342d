"""The applied platform on a stack enforcing IAM, in one module so that it is applied once (a platform is
registry, dev and prod: minutes of terraform).

- Statement removal: each chosen statement of the platform's Terraform is needed. Taken out of a copy of its
  module and applied (only the one policy resource), the platform's call that relies on it fails as in AWS:
  AccessDenied naming its action, or the service's failure (an endpoint that cannot download its model, a
  replication that fails) with the denial in the trail. The statement is applied back afterwards.
- Escalation probes: what the platform's roles must not be able to do is denied with AWS's error codes, and
  the one role meant to approve does. Sessions of the platform's roles are assumed as the stack's services
  assume them (`act_as`); an AssumeRole by anyone else is held to the role's trust policy.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError
from support import wait_for, xgboost_model_archive

from localaws.sagemaker_endpoints.deployments import FLEET_READY_SECONDS, download_failure_reason
from localaws.tools.stack import advance_clock
from pipelines.approve_model import approver_session

from ..accounts import account_client
from .platform import assert_denied, session_arn, statement_removed
from .platform import denial as denial_message

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
NO_IDENTITY_POLICY = "because no identity-based policy allows the {action} action"
NO_RESOURCE_POLICY = "because no resource-based policy allows the {action} action"
EXPLICIT_RESOURCE_DENY = "with an explicit deny in a resource-based policy"
EXPLICIT_IDENTITY_DENY = "with an explicit deny in an identity-based policy"


@pytest.fixture(scope="module")
def accounts(applied_platform):
    return applied_platform["registry"], applied_platform["dev"], applied_platform["prod"]


@pytest.fixture(scope="module")
def roles(accounts):
    _, dev, _ = accounts
    workload = dev.config.require_workload()
    return {"execution": workload.sagemaker_execution_role_name, "jenkins": dev.config.jenkins.role_name,
            "lambda": workload.lambda_role_name, "events": workload.events_role_name}


@pytest.fixture
def pending_version(accounts) -> str:
    """A version of the central group waiting for approval, as the train pipeline registers it."""
    registry, dev, _ = accounts
    artifacts = f"s3://{registry.config.model_registry.artifacts_bucket_name}/dev/models/probe"
    return account_client(registry, "sagemaker").create_model_package(
        ModelPackageGroupName=dev.config.model_package_group_arn, ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": f"{artifacts}/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]


def _status(registry, package_arn: str) -> str:
    return account_client(registry, "sagemaker").describe_model_package(
        ModelPackageName=package_arn)["ModelApprovalStatus"]


# ---------------------------------------------------------------------- approving

@pytest.mark.parametrize("role", ["execution", "jenkins", "lambda", "events"])
def test_no_workload_role_approves_a_version(accounts, act_as, roles, pending_version, role):
    registry, dev, _ = accounts
    sagemaker = act_as("dev", roles[role]).client("sagemaker")
    with pytest.raises(ClientError) as denied:
        sagemaker.update_model_package(ModelPackageArn=pending_version, ModelApprovalStatus="Approved")
    # The group's policy denies approval to the workload accounts, whatever their own policies say.
    assert_denied(denied.value, "AccessDeniedException", session_arn(dev.config.account_id, roles[role]),
                  "sagemaker:UpdateModelPackage", pending_version, EXPLICIT_RESOURCE_DENY)
    assert _status(registry, pending_version) == "PendingManualApproval"


def test_the_approver_role_approves(accounts, platform_target, pending_version):
    registry, _, _ = accounts
    sagemaker = approver_session(platform_target, registry.config).client("sagemaker")
    sagemaker.update_model_package(ModelPackageArn=pending_version, ModelApprovalStatus="Approved")
    assert _status(registry, pending_version) == "Approved"


# ---------------------------------------------------------------------- the dev execution role

def test_dev_execution_role_cannot_read_prod_data(accounts, act_as, roles):
    _, dev, prod = accounts
    bucket = prod.config.workload.data_bucket_name
    account_client(prod, "s3").put_object(Bucket=bucket, Key="data/train/probe.csv", Body=b"1,2\n")
    s3 = act_as("dev", roles["execution"]).client("s3")
    with pytest.raises(ClientError) as denied:
        s3.get_object(Bucket=bucket, Key="data/train/probe.csv")
    assert_denied(denied.value, "AccessDenied", session_arn(dev.config.account_id, roles["execution"]),
                  "s3:GetObject", f"arn:aws:s3:::{bucket}/data/train/probe.csv",
                  # Neither side allows it; the message names one of them.
                  "policy allows the s3:GetObject action")
    # Its own account's data it reads.
    own = dev.config.workload.data_bucket_name
    account_client(dev, "s3").put_object(Bucket=own, Key="data/train/probe.csv", Body=b"1,2\n")
    assert s3.get_object(Bucket=own, Key="data/train/probe.csv")["Body"].read() == b"1,2\n"


def test_dev_execution_role_cannot_create_an_iam_user(accounts, act_as, roles):
    _, dev, _ = accounts
    iam = act_as("dev", roles["execution"]).client("iam")
    with pytest.raises(ClientError) as denied:
        iam.create_user(UserName="escalated")
    assert_denied(denied.value, "AccessDenied", session_arn(dev.config.account_id, roles["execution"]),
                  "iam:CreateUser", f"arn:aws:iam::{dev.config.account_id}:user/escalated",
                  NO_IDENTITY_POLICY.format(action="iam:CreateUser"))


# ---------------------------------------------------------------------- the Jenkins role

def test_jenkins_cannot_edit_a_key_policy(accounts, act_as, roles):
    registry, dev, _ = accounts
    kms = act_as("dev", roles["jenkins"]).client("kms")
    principal = session_arn(dev.config.account_id, roles["jenkins"])
    for key_arn in (dev.outputs["workload_kms_key_arn"], registry.outputs["registry_kms_key_arn"]):
        policy = account_client(registry if key_arn.split(":")[4] == registry.config.account_id else dev,
                                "kms").get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]
        with pytest.raises(ClientError) as denied:
            kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=policy)
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        assert denied.value.response["Error"]["Message"].startswith(
            f"User: {principal} is not authorized to perform: kms:PutKeyPolicy on resource: {key_arn} "), \
            denied.value.response["Error"]["Message"]
    # What a deployment does with the workload key it still may.
    assert kms.describe_key(KeyId=dev.outputs["workload_kms_key_arn"])["KeyMetadata"]["Arn"] == \
        dev.outputs["workload_kms_key_arn"]


def test_jenkins_cannot_grant_the_workload_key_itself(accounts, act_as, roles):
    # Its kms:CreateGrant holds only for grants an AWS service makes (Lambda's, for a function's environment).
    _, dev, _ = accounts
    key_arn = dev.outputs["workload_kms_key_arn"]
    kms = act_as("dev", roles["jenkins"]).client("kms")
    with pytest.raises(ClientError) as denied:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=f"arn:aws:iam::{dev.config.account_id}:root",
                         Operations=["Decrypt"])
    assert_denied(denied.value, "AccessDeniedException", session_arn(dev.config.account_id, roles["jenkins"]),
                  "kms:CreateGrant", key_arn, NO_IDENTITY_POLICY.format(action="kms:CreateGrant"))


def test_jenkins_cannot_drop_a_permissions_boundary(accounts, act_as, roles):
    _, dev, _ = accounts
    iam = act_as("dev", roles["jenkins"]).client("iam")
    role_arn = dev.config.sagemaker_execution_role_arn
    with pytest.raises(ClientError) as denied:
        iam.delete_role_permissions_boundary(RoleName=roles["execution"])
    assert_denied(denied.value, "AccessDenied", session_arn(dev.config.account_id, roles["jenkins"]),
                  "iam:DeleteRolePermissionsBoundary", role_arn, EXPLICIT_IDENTITY_DENY)
    assert account_client(dev, "iam").get_role(RoleName=roles["execution"])["Role"]["PermissionsBoundary"]


def test_jenkins_cannot_assume_the_approver_role(accounts, act_as, roles):
    registry, dev, _ = accounts
    sts = act_as("dev", roles["jenkins"]).client("sts")
    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn=registry.config.approver_role_arn, RoleSessionName="escalated")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert denied.value.response["Error"]["Message"].startswith(
        f"User: {session_arn(dev.config.account_id, roles['jenkins'])} is not authorized to perform: "
        f"sts:AssumeRole on resource: {registry.config.approver_role_arn}"), denied.value.response["Error"]["Message"]


# ---------------------------------------------------------------------- trust policies

@pytest.fixture(scope="module")
def outsider(accounts, platform_target):
    """A user of the tooling account allowed every sts:AssumeRole by its own policy: arbitrary credentials."""
    registry, _, _ = accounts
    tooling = registry.config.accounts.tooling
    iam = platform_target.session(tooling, registry.config.aws_region).client("iam")
    iam.create_user(UserName="outsider")
    iam.put_user_policy(UserName="outsider", PolicyName="assume-anything", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="outsider")["AccessKey"]
    return (f"arn:aws:iam::{tooling}:user/outsider",
            platform_target.credentials_session(key["AccessKeyId"], key["SecretAccessKey"], None,
                                                registry.config.aws_region))


@pytest.mark.parametrize("role", ["dev-execution", "prod-execution", "approver", "dev-jenkins"])
def test_assume_role_needs_the_trust_policy(accounts, outsider, role):
    registry, dev, prod = accounts
    role_arn = {"dev-execution": dev.config.sagemaker_execution_role_arn,
                "prod-execution": prod.config.sagemaker_execution_role_arn,
                "approver": registry.config.approver_role_arn,
                "dev-jenkins": dev.config.role_arn(dev.config.jenkins.role_name)}[role]
    user, session = outsider
    with pytest.raises(ClientError) as denied:
        session.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="escalated")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert denied.value.response["Error"]["Message"].startswith(
        f"User: {user} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"), \
        denied.value.response["Error"]["Message"]


def test_a_principal_the_trust_policy_names_assumes_the_role(accounts, platform_target):
    """The approver role trusts the approvers' role of the tooling account: from it, the assumption works."""
    registry, _, _ = accounts
    [trusted] = registry.config.model_registry.approver_trusted_principal_arns
    tooling, name = trusted.split(":")[4], trusted.rsplit("/", 1)[1]
    admin = platform_target.session(tooling, registry.config.aws_region)
    admin.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{tooling}:root"}}]}))
    admin.client("iam").put_role_policy(RoleName=name, PolicyName="assume-the-approver", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Resource": registry.config.approver_role_arn}]}))
    approvers = admin.client("sts").assume_role(RoleArn=trusted, RoleSessionName="alice")["Credentials"]
    sts = platform_target.credentials_session(approvers["AccessKeyId"], approvers["SecretAccessKey"],
                                              approvers["SessionToken"], registry.config.aws_region).client("sts")
    credentials = sts.assume_role(RoleArn=registry.config.approver_role_arn, RoleSessionName="alice")["Credentials"]
    assert credentials["AccessKeyId"]


# ---------------------------------------------------------------------- statement removal

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


def _trail_denials(account, event_name: str) -> list[str]:
    """The error messages of the account's recorded `event_name` calls that were denied, newest first."""
    pages = account_client(account, "cloudtrail").get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}])
    events = [json.loads(event["CloudTrailEvent"]) for page in pages for event in page["Events"]]
    return [event["errorMessage"] for event in events if event.get("errorCode")]


def test_endpoint_role_reads_the_served_artifact(accounts, platform_stack, scratch):
    registry, _, prod = accounts
    role = prod.config.require_workload().serving.execution_role_name
    bucket, key = registry.config.model_registry.artifacts_bucket_name, "prod/models/authorization/model.tar.gz"
    # The smallest model the XGBoost container loads: one round on two rows.
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(np.array([[0.0], [1.0]]), label=[0, 1]), 1)
    account_client(registry, "s3").put_object(Bucket=bucket, Key=key, Body=xgboost_model_archive(booster))
    uri = f"s3://{bucket}/{key}"
    sagemaker = account_client(prod, "sagemaker")
    sagemaker.create_model(ModelName="authorization-served", ExecutionRoleArn=prod.config.role_arn(role),
                           PrimaryContainer={"Image": IMAGE, "ModelDataUrl": uri})
    sagemaker.create_endpoint_config(EndpointConfigName="authorization-served", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "authorization-served", "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 1}])

    def deploy(name: str) -> dict:  # as deploy-endpoint creates it; SageMaker downloads ModelDataUrl as the role
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName="authorization-served")
        advance_clock(platform_stack.endpoint, FLEET_READY_SECONDS)
        return sagemaker.describe_endpoint(EndpointName=name)

    assert deploy("authorization-before")["EndpointStatus"] == "InService"
    with statement_removed(prod.runner, "modules/serving/main.tf", "ReadCentralArtifacts",
                           "module.serving[0].aws_iam_role_policy.execution", scratch):
        failed = deploy("authorization-without")
    assert (failed["EndpointStatus"], failed.get("FailureReason")) == ("Failed", download_failure_reason(uri))
    # SageMaker's reason names no action; the trail of the download does.
    denial = denial_message(session_arn(prod.config.account_id, role, "mlops-local-stack"), "s3:GetObject",
                            f"arn:aws:s3:::{bucket}/{key}")
    assert any(message.startswith(denial + " " + NO_IDENTITY_POLICY.format(action="s3:GetObject"))
               for message in _trail_denials(prod, "HeadObject")), _trail_denials(prod, "HeadObject")
    assert deploy("authorization-after")["EndpointStatus"] == "InService"


def test_replication_role_encrypts_replicas_with_the_replica_key(accounts, scratch):
    registry, _, _ = accounts
    s3 = account_client(registry, "s3")
    bucket = registry.config.model_registry.artifacts_bucket_name
    replica_key = registry.outputs["artifacts_replica_kms_key_arn"]

    def upload(name: str) -> str:
        """The source's ReplicationStatus once S3 has replicated (or failed to) an artifact written as training
        writes one (SSE-KMS with the registry key, the bucket's default)."""
        key = f"dev/models/authorization/replicated/{name}/model.tar.gz"
        s3.put_object(Bucket=bucket, Key=key, Body=b"model")
        return wait_for(lambda: (s3.head_object(Bucket=bucket, Key=key).get("ReplicationStatus") or "PENDING")
                        .replace("PENDING", ""), f"s3://{bucket}/{key} to be replicated")

    assert upload("before") == "COMPLETED"
    with statement_removed(registry.runner, "modules/model-registry/main.tf", "EncryptReplicasWithTheReplicaKey",
                           "module.model_registry[0].aws_iam_role_policy.replication[0]", scratch):
        status = upload("without-the-statement")
    assert status == "FAILED"
    role = registry.outputs["artifacts_replication_role_arn"].rsplit("/", 1)[1]
    denial = denial_message(session_arn(registry.config.account_id, role, "mlops-local-stack"), "kms:Encrypt",
                            replica_key)
    denials = _trail_denials(registry, "Encrypt")
    assert any(message.startswith(denial + " " + NO_IDENTITY_POLICY.format(action="kms:Encrypt"))
               for message in denials), denials
    assert upload("after") == "COMPLETED"


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
