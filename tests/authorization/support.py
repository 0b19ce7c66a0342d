"""Clients that sign as a given principal on a local stack, and the policies and users the tests give them."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest

from localaws.tools.stack import LocalAwsStack
from pipelines.aws import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

REGION = "us-east-1"
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "222233334444"
ADMIN = {"aws_access_key_id": FAKE_ACCESS_KEY_ID, "aws_secret_access_key": FAKE_SECRET_ACCESS_KEY}


def client_for(stack: LocalAwsStack, service: str, credentials: dict[str, str] | None = None):
    return boto3.client(service, endpoint_url=stack.endpoint, region_name=REGION, **(credentials or ADMIN))


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*") -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def object_in(stack: LocalAwsStack, bucket: str, key: str, body: bytes,
              credentials: dict[str, str] | None = None) -> None:
    """A bucket with one object, created by the administrator (or `credentials`)."""
    s3 = client_for(stack, "s3", credentials)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def user_with_keys(stack: LocalAwsStack, name: str, *statements: dict,
                   credentials: dict[str, str] | None = None) -> dict[str, str]:
    """An IAM user (in the account of `credentials`, the admin's by default) with inline policy `statements`;
    its access key as client keyword arguments."""
    iam = client_for(stack, "iam", credentials)
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def assumed(stack: LocalAwsStack, role_arn: str, credentials: dict[str, str] | None = None,
            session: str = "job") -> dict[str, str]:
    """Credentials of a session of `role_arn`, assumed with `credentials` (the admin's by default)."""
    answer = client_for(stack, "sts", credentials).assume_role(RoleArn=role_arn, RoleSessionName=session)
    keys = answer["Credentials"]
    return {"aws_access_key_id": keys["AccessKeyId"], "aws_secret_access_key": keys["SecretAccessKey"],
            "aws_session_token": keys["SessionToken"]}


def admin_in(stack: LocalAwsStack, account_id: str) -> dict[str, str]:
    """Credentials of the stack's administrator role in `account_id` (what `Target.session` uses)."""
    return assumed(stack, f"arn:aws:iam::{account_id}:role/mlops-local-admin", session="test")


def trail_events(stack: LocalAwsStack, credentials: dict[str, str] | None = None, **lookup) -> list[dict]:
    """The account's trail through CloudTrail LookupEvents, newest first, each event's full record."""
    pages = client_for(stack, "cloudtrail", credentials).get_paginator("lookup_events").paginate(**lookup)
    return [json.loads(event["CloudTrailEvent"]) for page in pages for event in page["Events"]]


def error_of(call) -> dict:
    """The error a call that must fail answers (its Code and Message)."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    return caught.value.response["Error"]
