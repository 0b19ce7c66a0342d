"""On a stack in enforce mode: remembered decisions follow every policy change, the tag condition keys come from
the resources, the request and the principal, signatures and temporary credentials expire as in AWS, and the
stack's services assume roles as their service principals."""

from __future__ import annotations

import datetime
import json
import time
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.exceptions
import pytest
from botocore.config import Config

from localaws.tools.stack import call_route

from .support import (
    ACCOUNT,
    ADMIN,
    OTHER_ACCOUNT,
    REGION,
    allow,
    assumed,
    client_for,
    error_of,
    object_in,
    policy,
    trail_events,
    user_with_keys,
)


def _denied(call) -> bool:
    """Whether `call` is refused as an access denial (any other error fails the test)."""
    try:
        call()
    except botocore.exceptions.ClientError as error:
        code = error.response["Error"]["Code"]
        if code not in ("AccessDenied", "AccessDeniedException"):
            raise
        return True
    return False


# ------------------------------------------------------------------------------------ the decision cache

def test_an_identity_policy_removed_then_put_back_is_followed_at_once(stack_in):
    stack = stack_in("enforce")
    object_in(stack, "data", "rows.csv", b"a,b\n")
    alice = user_with_keys(stack, "alice", allow("s3:GetObject", "arn:aws:s3:::data/*"))
    s3, iam = client_for(stack, "s3", alice), client_for(stack, "iam")
    read = lambda: s3.get_object(Bucket="data", Key="rows.csv")  # noqa: E731
    assert not _denied(read)
    assert not _denied(read)

    iam.delete_user_policy(UserName="alice", PolicyName="inline")
    assert _denied(read)

    iam.put_user_policy(UserName="alice", PolicyName="inline",
                        PolicyDocument=policy(allow("s3:GetObject", "arn:aws:s3:::data/*")))
    assert not _denied(read)


def test_a_managed_policy_detached_then_attached_is_followed_at_once(stack_in):
    stack = stack_in("enforce")
    object_in(stack, "data", "rows.csv", b"a,b\n")
    alice = user_with_keys(stack, "alice")
    iam, s3 = client_for(stack, "iam"), client_for(stack, "s3", alice)
    arn = iam.create_policy(PolicyName="read", PolicyDocument=policy(allow("s3:GetObject")))["Policy"]["Arn"]
    read = lambda: s3.get_object(Bucket="data", Key="rows.csv")  # noqa: E731
    assert _denied(read)

    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    assert not _denied(read)
    iam.detach_user_policy(UserName="alice", PolicyArn=arn)
    assert _denied(read)


def test_a_bucket_policy_put_then_deleted_is_followed_at_once(stack_in):
    stack = stack_in("enforce")
    object_in(stack, "data", "rows.csv", b"a,b\n")
    bob = user_with_keys(stack, "bob")  # no identity policy: only the bucket policy can allow him
    admin_s3, s3 = client_for(stack, "s3"), client_for(stack, "s3", bob)
    read = lambda: s3.get_object(Bucket="data", Key="rows.csv")  # noqa: E731
    assert _denied(read)
    assert _denied(read)

    admin_s3.put_bucket_policy(Bucket="data", Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::data/*"}))
    assert not _denied(read)

    admin_s3.delete_bucket_policy(Bucket="data")
    assert _denied(read)


def test_a_key_policy_that_stops_delegating_to_iam_is_followed_at_once(stack_in):
    stack = stack_in("enforce")
    kms = client_for(stack, "kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]  # the default key policy delegates to the account's IAM
    carol = user_with_keys(stack, "carol", allow("kms:Encrypt"))
    encrypt = lambda: client_for(stack, "kms", carol).encrypt(KeyId=key_id, Plaintext=b"x")  # noqa: E731
    assert not _denied(encrypt)

    only_admin = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/moto"},
                         "Action": "kms:*", "Resource": "*"})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=only_admin)
    assert _denied(encrypt)

    delegating = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                         "Action": "kms:*", "Resource": "*"})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=delegating)
    assert not _denied(encrypt)


# An SSE-KMS PutObject is decided twice: s3:PutObject on the object and kms:GenerateDataKey on the key through S3
# (kms:ViaService). Each test decides it twice (the second answer is the remembered one), changes what the KMS check
# reads, and expects the next PutObject to be decided anew.
_VIA_S3 = {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}


_WRITER = f"arn:aws:iam::{ACCOUNT}:role/writer"


def _sse_kms_writer(stack, *, generate_data_key: bool = True) -> tuple[str, object]:
    """A key with the default key policy, a session of role `writer` allowed s3:PutObject on bucket `data` (and
    kms:GenerateDataKey on the key through S3 unless told not), and the session's SSE-KMS PutObject under the key:
    the key's ARN and the call."""
    object_in(stack, "data", "rows.csv", b"a,b\n")
    key_arn = client_for(stack, "kms").create_key()["KeyMetadata"]["Arn"]
    statements = [allow("s3:PutObject", "arn:aws:s3:::data/*")]
    if generate_data_key:
        statements.append({**allow("kms:GenerateDataKey", key_arn), "Condition": _VIA_S3})
    iam = client_for(stack, "iam")
    iam.create_role(RoleName="writer", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}))
    iam.put_role_policy(RoleName="writer", PolicyName="inline", PolicyDocument=policy(*statements))
    s3 = client_for(stack, "s3", assumed(stack, _WRITER))
    put = lambda: s3.put_object(Bucket="data", Key="written.csv", Body=b"x", ServerSideEncryption="aws:kms",  # noqa: E731
                                SSEKMSKeyId=key_arn)
    return key_arn, put


def _denied_on_the_key(put) -> bool:
    """Whether the SSE-KMS PutObject `put` is denied for its kms:GenerateDataKey (any other error fails the test)."""
    try:
        put()
    except botocore.exceptions.ClientError as caught:
        error = caught.response["Error"]
        if (error["Code"], "kms:GenerateDataKey" in error["Message"]) != ("AccessDenied", True):
            raise
        return True
    return False


def test_a_permission_boundary_set_then_removed_is_followed_by_the_next_sse_kms_put(stack_in):
    stack = stack_in("enforce")
    _, put = _sse_kms_writer(stack)
    assert not _denied_on_the_key(put)
    assert not _denied_on_the_key(put)

    iam = client_for(stack, "iam")
    boundary = iam.create_policy(PolicyName="s3-only", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName="writer", PermissionsBoundary=boundary)
    assert _denied_on_the_key(put)
    assert _denied_on_the_key(put)

    iam.delete_role_permissions_boundary(RoleName="writer")
    assert not _denied_on_the_key(put)


def test_a_kms_grant_created_then_retired_is_followed_by_the_next_sse_kms_put(stack_in):
    stack = stack_in("enforce")
    key_arn, put = _sse_kms_writer(stack, generate_data_key=False)  # only a grant can allow the key
    assert _denied_on_the_key(put)
    assert _denied_on_the_key(put)

    kms = client_for(stack, "kms")
    grant = kms.create_grant(KeyId=key_arn, GranteePrincipal=_WRITER,
                             Operations=["GenerateDataKey"])
    assert not _denied_on_the_key(put)
    assert not _denied_on_the_key(put)

    kms.retire_grant(KeyId=key_arn, GrantId=grant["GrantId"])
    assert _denied_on_the_key(put)


def test_a_key_policy_change_is_followed_by_the_next_sse_kms_put(stack_in):
    stack = stack_in("enforce")
    key_arn, put = _sse_kms_writer(stack)
    assert not _denied_on_the_key(put)
    assert not _denied_on_the_key(put)

    kms = client_for(stack, "kms")
    only_admin = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/moto"},
                         "Action": "kms:*", "Resource": "*"})
    kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=only_admin)  # no longer delegates to IAM
    assert _denied_on_the_key(put)
    assert _denied_on_the_key(put)

    delegating = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                         "Action": "kms:*", "Resource": "*"})
    kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=delegating)
    assert not _denied_on_the_key(put)


def test_a_policy_on_the_current_time_is_decided_on_every_call(stack_in):
    stack = stack_in("enforce")
    object_in(stack, "data", "rows.csv", b"a,b\n")
    past = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"DateLessThan": {"aws:CurrentTime": "2001-01-01T00:00:00Z"}}}
    dave = user_with_keys(stack, "dave", past)
    s3 = client_for(stack, "s3", dave)
    assert _denied(lambda: s3.get_object(Bucket="data", Key="rows.csv"))
    events = [e for e in trail_events(stack) if e["eventName"] == "GetObject"]
    assert events
    assert events[0]["errorCode"] == "AccessDenied"


# ------------------------------------------------------------------------------------------ tag context

def _tagged_group(stack, name: str, team: str) -> str:
    return client_for(stack, "sagemaker").create_model_package_group(
        ModelPackageGroupName=name, Tags=[{"Key": "team", "Value": team}])["ModelPackageGroupArn"]


def test_resource_tags_of_a_sagemaker_resource_decide_and_a_retag_is_followed(stack_in):
    stack = stack_in("enforce")
    red, blue = _tagged_group(stack, "red-models", "red"), _tagged_group(stack, "blue-models", "blue")
    erin = user_with_keys(stack, "erin", {"Effect": "Allow", "Action": "sagemaker:DescribeModelPackageGroup",
                                          "Resource": "*",
                                          "Condition": {"StringEquals": {"aws:ResourceTag/team": "red"}}})
    sagemaker = client_for(stack, "sagemaker", erin)
    describe = lambda name: lambda: sagemaker.describe_model_package_group(ModelPackageGroupName=name)  # noqa: E731
    assert not _denied(describe("red-models"))
    assert _denied(describe("blue-models"))

    admin = client_for(stack, "sagemaker")
    admin.add_tags(ResourceArn=blue, Tags=[{"Key": "team", "Value": "red"}])
    admin.add_tags(ResourceArn=red, Tags=[{"Key": "team", "Value": "blue"}])
    assert not _denied(describe("blue-models"))
    assert _denied(describe("red-models"))


def test_resource_tags_of_a_bucket_a_key_and_a_role_decide(stack_in):
    stack = stack_in("enforce")
    s3, kms, iam = client_for(stack, "s3"), client_for(stack, "kms"), client_for(stack, "iam")
    s3.create_bucket(Bucket="tagged")
    s3.put_bucket_tagging(Bucket="tagged", Tagging={"TagSet": [{"Key": "team", "Value": "red"}]})
    s3.create_bucket(Bucket="untagged")
    red_key = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "red"}])["KeyMetadata"]["KeyId"]
    other_key = kms.create_key()["KeyMetadata"]["KeyId"]
    iam.create_role(RoleName="red-role", AssumeRolePolicyDocument=policy(), Tags=[{"Key": "team", "Value": "red"}])
    iam.create_role(RoleName="plain-role", AssumeRolePolicyDocument=policy())
    red_only = {"StringEquals": {"aws:ResourceTag/team": "red"}}
    frank = user_with_keys(stack, "frank", {"Effect": "Allow", "Action": ["s3:GetBucketTagging", "kms:DescribeKey",
                                                                          "iam:GetRole"],
                                            "Resource": "*", "Condition": red_only})

    assert not _denied(lambda: client_for(stack, "s3", frank).get_bucket_tagging(Bucket="tagged"))
    assert _denied(lambda: client_for(stack, "s3", frank).get_bucket_tagging(Bucket="untagged"))
    assert not _denied(lambda: client_for(stack, "kms", frank).describe_key(KeyId=red_key))
    assert _denied(lambda: client_for(stack, "kms", frank).describe_key(KeyId=other_key))
    assert not _denied(lambda: client_for(stack, "iam", frank).get_role(RoleName="red-role"))
    assert _denied(lambda: client_for(stack, "iam", frank).get_role(RoleName="plain-role"))


def test_request_tags_and_tag_keys_come_from_the_tags_a_create_call_asks_for(stack_in):
    stack = stack_in("enforce")
    grace = user_with_keys(stack, "grace", {
        "Effect": "Allow", "Action": "sagemaker:CreateModelPackageGroup", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestTag/team": "red"},
                      "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner"]}}})
    sagemaker = client_for(stack, "sagemaker", grace)

    def create(name: str, **tags: str):
        return lambda: sagemaker.create_model_package_group(
            ModelPackageGroupName=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])

    assert not _denied(create("ok", team="red", owner="grace"))
    assert _denied(create("wrong-team", team="blue"))
    assert _denied(create("extra-key", team="red", extra="x"))
    assert _denied(lambda: sagemaker.create_model_package_group(ModelPackageGroupName="untagged"))


def test_principal_tags_come_from_the_user_and_an_untag_is_followed(stack_in):
    stack = stack_in("enforce")
    object_in(stack, "data", "rows.csv", b"a,b\n")
    heidi = user_with_keys(stack, "heidi", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                                            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}})
    iam, s3 = client_for(stack, "iam"), client_for(stack, "s3", heidi)
    read = lambda: s3.get_object(Bucket="data", Key="rows.csv")  # noqa: E731
    assert _denied(read)
    iam.tag_user(UserName="heidi", Tags=[{"Key": "team", "Value": "red"}])
    assert not _denied(read)
    iam.untag_user(UserName="heidi", TagKeys=["team"])
    assert _denied(read)


def test_principal_tags_of_a_role_session_are_the_role_tags(stack_in):
    stack = stack_in("enforce")
    object_in(stack, "data", "rows.csv", b"a,b\n")
    iam = client_for(stack, "iam")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "sts:AssumeRole"})
    iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "red"}])
    iam.put_role_policy(RoleName="tagged", PolicyName="read", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}}))
    answer = client_for(stack, "sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/tagged",
                                                  RoleSessionName="tagged-session")["Credentials"]
    session = {"aws_access_key_id": answer["AccessKeyId"], "aws_secret_access_key": answer["SecretAccessKey"],
               "aws_session_token": answer["SessionToken"]}
    s3 = client_for(stack, "s3", session)
    assert not _denied(lambda: s3.get_object(Bucket="data", Key="rows.csv"))
    iam.tag_role(RoleName="tagged", Tags=[{"Key": "team", "Value": "blue"}])
    assert _denied(lambda: s3.get_object(Bucket="data", Key="rows.csv"))


# ------------------------------------------------------------------------------- signatures and tokens

@pytest.fixture
def client_clock(monkeypatch):
    """Move the client's clock (what botocore signs with) by a timedelta; the server keeps the real one."""
    real = botocore.auth.get_current_datetime

    def move(delta: datetime.timedelta) -> None:
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: real() + delta)

    return move


@pytest.mark.parametrize(("service", "call", "code"), [
    ("sts", lambda c: c.get_caller_identity(), "SignatureDoesNotMatch"),
    ("iam", lambda c: c.list_users(), "SignatureDoesNotMatch"),
    ("sagemaker", lambda c: c.list_pipelines(), "InvalidSignatureException"),
    ("kms", lambda c: c.list_keys(), "InvalidSignatureException"),
])
def test_a_signature_older_than_15_minutes_has_expired(stack_in, client_clock, service, call, code):
    stack = stack_in("enforce")
    client_clock(-datetime.timedelta(minutes=16))
    error = error_of(lambda: call(client_for(stack, service)))
    assert error["Code"] == code
    assert error["Message"].startswith("Signature expired: ")
    assert error["Message"].endswith(" - 15 min.)")


def test_a_signature_more_than_15_minutes_ahead_is_not_yet_current(stack_in, client_clock):
    stack = stack_in("enforce")
    client_clock(datetime.timedelta(minutes=20))
    error = error_of(lambda: client_for(stack, "sts").get_caller_identity())
    assert error["Code"] == "SignatureDoesNotMatch"
    assert error["Message"].startswith("Signature not yet current: ")


def test_s3_answers_a_skewed_clock_with_request_time_too_skewed(stack_in, client_clock):
    stack = stack_in("enforce")
    client_clock(-datetime.timedelta(minutes=16))
    error = error_of(lambda: client_for(stack, "s3").list_buckets())
    assert (error["Code"], error["Message"]) == (
        "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")


def test_a_skew_within_15_minutes_is_accepted(stack_in, client_clock):
    stack = stack_in("enforce")
    client_clock(-datetime.timedelta(minutes=14))
    assert client_for(stack, "sts").get_caller_identity()["Account"] == ACCOUNT


def test_a_presigned_url_past_its_expiry_is_denied_as_expired(stack_in, client_clock):
    stack = stack_in("enforce")
    object_in(stack, "data", "rows.csv", b"a,b\n")
    sigv4 = Config(signature_version="s3v4")
    client_clock(-datetime.timedelta(minutes=10))
    expired = boto3.client("s3", endpoint_url=stack.endpoint, region_name=REGION, config=sigv4, **ADMIN
                           ).generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "rows.csv"},
                                                    ExpiresIn=60)
    client_clock(datetime.timedelta(0))
    fresh = boto3.client("s3", endpoint_url=stack.endpoint, region_name=REGION, config=sigv4, **ADMIN
                         ).generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "rows.csv"},
                                                  ExpiresIn=60)

    with urllib.request.urlopen(fresh) as answer:  # noqa: S310 - the local stack
        assert answer.read() == b"a,b\n"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(expired)  # noqa: S310
    body = caught.value.read().decode()
    assert caught.value.code == 403
    assert "<Code>AccessDenied</Code>" in body
    assert "<Message>Request has expired</Message>" in body


def test_temporary_credentials_past_their_expiration_are_an_expired_token(stack_in):
    stack = stack_in("enforce")
    _account_role(stack, "brief", ["sts:GetCallerIdentity", "sagemaker:ListPipelines", "s3:ListAllMyBuckets"])
    # AWS's shortest session is 15 minutes; the stack's STS (moto) takes one second, which stands in for the wait.
    answer = _sts_without_validation(stack).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/brief", RoleSessionName="brief-session", DurationSeconds=1)["Credentials"]
    session = {"aws_access_key_id": answer["AccessKeyId"], "aws_secret_access_key": answer["SecretAccessKey"],
               "aws_session_token": answer["SessionToken"]}
    time.sleep(max(0.0, (answer["Expiration"] - datetime.datetime.now(datetime.UTC)).total_seconds()) + 1)

    query = error_of(lambda: client_for(stack, "sts", session).get_caller_identity())
    assert (query["Code"], query["Message"]) == ("ExpiredToken",
                                                 "The security token included in the request is expired")
    json_error = error_of(lambda: client_for(stack, "sagemaker", session).list_pipelines())
    assert json_error["Code"] == "ExpiredTokenException"
    s3_error = error_of(lambda: client_for(stack, "s3", session).list_buckets())
    assert (s3_error["Code"], s3_error["Message"]) == ("ExpiredToken", "The provided token has expired.")


def _account_role(stack, name: str, actions: list[str]) -> None:
    """A role the account's principals may assume, allowed `actions`."""
    iam = client_for(stack, "iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}))
    iam.put_role_policy(RoleName=name, PolicyName="allowed", PolicyDocument=policy(allow(actions)))


def _sts_without_validation(stack):
    return boto3.client("sts", endpoint_url=stack.endpoint, region_name=REGION,
                        config=Config(parameter_validation=False), **ADMIN)


# ------------------------------------------------------------------------------- service principals

def _pipeline_role(stack, name: str, source_account: str) -> str:
    trust = policy({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": source_account},
                                  "ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:{REGION}:{source_account}:*"}}})
    return client_for(stack, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def _start(stack, name: str, role_arn: str):
    sagemaker = client_for(stack, "sagemaker")
    sagemaker.create_pipeline(PipelineName=name, RoleArn=role_arn,
                              PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": [
                                  {"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "done"}}]}))
    return lambda: sagemaker.start_pipeline_execution(PipelineName=name)


def test_sagemaker_assumes_a_pipeline_role_only_as_its_trust_policy_allows(stack_in):
    stack = stack_in("enforce")
    mine = _pipeline_role(stack, "pipeline-mine", ACCOUNT)
    theirs = _pipeline_role(stack, "pipeline-theirs", OTHER_ACCOUNT)

    assert _start(stack, "trusted", mine)()["PipelineExecutionArn"]
    error = error_of(_start(stack, "confused-deputy", theirs))
    assert "AccessDenied" in error["Message"]
    assert "sts:AssumeRole" in error["Message"]

    assumed = [e for e in trail_events(stack) if e["eventName"] == "AssumeRole"
               and e["userIdentity"].get("invokedBy") == "sagemaker.amazonaws.com"]
    assert {(e["userIdentity"]["type"], bool(e.get("errorCode"))) for e in assumed} == {("AWSService", False),
                                                                                        ("AWSService", True)}


def test_moving_the_stack_clock_expires_no_signature_nor_session(stack_in):
    stack = stack_in("enforce")
    _account_role(stack, "steady", ["sts:GetCallerIdentity"])
    answer = client_for(stack, "sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/steady",
                                                  RoleSessionName="steady-session")["Credentials"]
    session = {"aws_access_key_id": answer["AccessKeyId"], "aws_secret_access_key": answer["SecretAccessKey"],
               "aws_session_token": answer["SessionToken"]}

    call_route(stack.endpoint, "clock/advance", body={"seconds": 2 * 86400})  # schedules' clock, not the signers'

    assert client_for(stack, "sts", session).get_caller_identity()["Arn"].endswith("/steady/steady-session")
    assert client_for(stack, "sts").get_caller_identity()["Account"] == ACCOUNT
