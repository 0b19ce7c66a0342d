"""Escalation probes on the applied platform, on a stack enforcing IAM: what the platform's roles must not be
able to do is denied with AWS's error codes, and the one role meant to approve does.

Sessions of the platform's roles are assumed as the stack's services assume them (`act_as`); an AssumeRole by
anyone else is held to the role's trust policy.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from pipelines.approve_model import approver_session

from ..accounts import account_client
from .platform import assert_denied, session_arn

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
NO_IDENTITY_POLICY = "because no identity-based policy allows the {action} action"
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
