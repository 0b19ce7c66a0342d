"""The platform applied on a stack that enforces IAM: the apply tests' fixtures with `platform_stack` (the run's
applied platform, restored) in `enforce` mode whatever MLOPS_LOCAL_AUTHORIZATION says.

`act_as(environment, role_name)`: a session of one of the platform's roles, assumed as the stack's services
assume it (by the account's administrator: the stack's executors, EventBridge and Lambda act through it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import boto3
import pytest
from shell_environment import local_environment

from localaws.tools.stack import LocalAwsStack
from pipelines.aws import Target


@pytest.fixture(scope="module")
def platform_stack(platform_snapshot, tmp_path_factory) -> Iterator[LocalAwsStack]:
    folder = tmp_path_factory.mktemp("enforced-stack")
    with platform_snapshot.restored_stack(folder, authorization="enforce") as stack, local_environment(stack.endpoint):
        yield stack


@pytest.fixture(scope="module")
def platform_target(platform_stack) -> Target:
    return Target.local_stack(platform_stack.endpoint)


@pytest.fixture(scope="module")
def act_as(applied_platform, platform_target) -> Callable[..., boto3.Session]:
    def session(environment: str, role_name: str, region: str | None = None) -> boto3.Session:
        config = applied_platform[environment].config
        region = region or config.aws_region
        admin = platform_target.session(config.account_id, region)
        credentials = admin.client("sts").assume_role(RoleArn=config.role_arn(role_name),
                                                      RoleSessionName="authorization-test")["Credentials"]
        return platform_target.credentials_session(credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                                   credentials["SessionToken"], region)

    return session
