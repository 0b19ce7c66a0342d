"""The demo's access report, read from a real stack enforcing IAM: what its report's Access section shows."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import botocore.exceptions
import pytest

from localaws.tools.stack import LocalAwsStack
from mlops_demo.access import record_access
from mlops_demo.context import DemoContext
from pipelines.aws import Target
from pipelines.config import ENVIRONMENTS, REPO_ROOT, load_config

CONFIGS = {environment: load_config(environment) for environment in ENVIRONMENTS}
DEV = CONFIGS["dev"]


@pytest.fixture(scope="module")
def enforcing_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAwsStack]:
    stack = LocalAwsStack(log_path=tmp_path_factory.mktemp("stack") / "server.log", authorization="enforce").start()
    yield stack
    stack.stop()


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_the_access_facts_name_each_role_its_unused_grants_and_its_denied_calls(enforcing_stack, tmp_path):
    target = Target.local_stack(enforcing_stack.endpoint)
    dev = target.session(DEV.account_id, DEV.aws_region)
    dev.client("s3").create_bucket(Bucket="demo-data")
    iam = dev.client("iam")
    role_arn = iam.create_role(RoleName="demo-reader", AssumeRolePolicyDocument=_policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV.account_id}:root"},
         "Action": "sts:AssumeRole"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="demo-reader", PolicyName="read", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:PutObject"], "Resource": "arn:aws:s3:::demo-data*"}))
    answer = dev.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="demo")["Credentials"]
    reader = target.credentials_session(answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"],
                                        DEV.aws_region).client("s3")
    reader.list_objects_v2(Bucket="demo-data")
    with pytest.raises(botocore.exceptions.ClientError):
        reader.delete_bucket(Bucket="demo-data")
    with contextlib.ExitStack() as resources:
        context = DemoContext(configs=CONFIGS, repo_root=REPO_ROOT, work_dir=tmp_path, report_path=tmp_path / "r.html",
                              endpoint=enforcing_stack.endpoint, resources=resources, target=target)

        record_access(context)

    assert context.facts.authorization == "enforce"
    (role,) = [entry for entry in context.facts.access if entry.arn == role_arn]
    assert role.used == ("s3:DeleteBucket", "s3:ListBucket")
    assert (role.granted, role.unused) == (2, ("s3:PutObject",))
    assert role.denied_calls == 1
    assert [(call, decision) for call, decision, _ in role.denied] == [("s3:DeleteBucket", "Deny")]
