"""The platform applied on a stack that enforces IAM: the apply tests' fixtures with `terraform_stack` in
`enforce` mode whatever MLOPS_LOCAL_AUTHORIZATION says (each module of this folder applies its own platform).

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
def terraform_stack(require_tool, tmp_path_factory) -> Iterator[LocalAwsStack]:
    require_tool("terraform")
    with LocalAwsStack(log_path=tmp_path_factory.mktemp("enforced-stack") / "server.log",
                       authorization="enforce") as stack:
        with local_environment(stack.endpoint):
            yield stack


@pytest.fixture(scope="module")
def platform_target(terraform_stack) -> Target:
    return Target.local_stack(terraform_stack.endpoint)


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
