"""IAM roles the tests create: a service's trust policy and only the statements what the test does needs.

The stack decides every call as IAM does, so a role a pipeline, a job, a function or a rule target acts as
must be granted what it does, no more:

    arn = create_role(iam, "pipeline-execution", trust_policy("sagemaker.amazonaws.com"), [
        allow(["s3:ListBucket"], bucket_arn(BUCKET)),
        allow(["s3:GetObject", "s3:PutObject"], f"{bucket_arn(BUCKET)}/*"),
    ])

Where a test stands for the platform, `support.platform` gives the roles and resource policies as Terraform
creates them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

POLICY_NAME = "test-permissions"  # the inline policy create_role puts on the role
VERSION = "2012-10-17"


def trust_policy(service: str) -> str:
    """A trust policy letting `service` (e.g. "lambda.amazonaws.com") assume the role."""
    return json.dumps({"Version": VERSION, "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def account_trust_policy(account_id: str) -> str:
    """A trust policy letting the principals of `account_id` that IAM allows assume the role (an operator role)."""
    return json.dumps({"Version": VERSION, "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "sts:AssumeRole"}]})


def allow(actions: str | Iterable[str], resources: str | Iterable[str],
          condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": _listed(actions), "Resource": _listed(resources)}
    if condition:
        statement["Condition"] = condition
    return statement


def create_role(iam, name: str, trust: str, statements: Iterable[dict[str, Any]]) -> str:
    """A role with the `trust` policy and its `statements` in one inline policy (none without statements: IAM
    refuses an empty one); the role's ARN."""
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    statements = list(statements)
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME,
                            PolicyDocument=json.dumps({"Version": VERSION, "Statement": statements}))
    return arn


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def pass_role(role_arn: str, service: str = "sagemaker.amazonaws.com") -> dict[str, Any]:
    """iam:PassRole of one role to one service, as a caller naming the role in a request needs."""
    return allow("iam:PassRole", role_arn, {"StringEquals": {"iam:PassedToService": service}})


def _listed(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)

