"""The authorization layer's state outlives the server: a session assumed before a restart keeps its session
policies (AssumeRole's PolicyArns, which moto drops and the layer keeps) and the trail of decisions is still read."""

from __future__ import annotations

import botocore.exceptions
import pytest

from localaws.tools.stack import LocalAwsStack

from .support import allow, client_for, object_in, policy, trail_events, user_with_keys

ACCOUNT = "123456789012"


def _denied(call) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def test_an_assumed_role_session_keeps_its_session_policies_after_a_restart(tmp_path):
    state = tmp_path / "state"
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log", authorization="enforce") as first:
        object_in(first, "narrow", "k", b"v")
        iam = client_for(first, "iam")
        iam.create_role(RoleName="wide", AssumeRolePolicyDocument=policy({
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}))
        iam.put_role_policy(RoleName="wide", PolicyName="s3", PolicyDocument=policy(allow("s3:*")))
        get_only = iam.create_policy(PolicyName="get-only",
                                     PolicyDocument=policy(allow("s3:GetObject")))["Policy"]["Arn"]
        user = user_with_keys(first, "gina", allow("sts:AssumeRole"))
        answer = client_for(first, "sts", user).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/wide", RoleSessionName="narrow",
            PolicyArns=[{"arn": get_only}])["Credentials"]
        session = {"aws_access_key_id": answer["AccessKeyId"], "aws_secret_access_key": answer["SecretAccessKey"],
                   "aws_session_token": answer["SessionToken"]}
        assert _denied(lambda: client_for(first, "s3", session).list_objects_v2(Bucket="narrow")) == "AccessDenied"
        denials_before = _denials_of(first, session)

    with LocalAwsStack(state_dir=state, log_path=tmp_path / "second.log", authorization="enforce") as second:
        assert client_for(second, "s3", session).get_object(Bucket="narrow", Key="k")["Body"].read() == b"v"
        # Without the kept PolicyArns the role's s3:* would allow the listing.
        assert _denied(lambda: client_for(second, "s3", session).list_objects_v2(Bucket="narrow")) == \
            "AccessDenied"
        denials_after = _denials_of(second, session)

    assert denials_before == 1
    assert denials_after == 2  # the first server's decision is still in the trail


def _denials_of(stack: LocalAwsStack, session: dict[str, str]) -> int:
    return sum(1 for event in trail_events(stack) if event.get("errorCode") == "AccessDenied"
               and event["userIdentity"].get("accessKeyId") == session["aws_access_key_id"])
