"""Fixtures shared by every test area (owned by the local stack engineer; areas add their own conftest).

- No test can reach real AWS: the session starts with every real credential, profile and endpoint variable
  removed and moto's fake keys in their place. MLOPS_LOCAL_DIR points at a session temp dir, so `.local`
  (stack.json, terraform work dirs) of the developer is never touched.
- `local_stack` (session): ONE moto server with the project's extensions on a free loopback port, this
  process activated for it (AWS_ENDPOINT_URL etc.). Started on first use, stopped at the end of the session.
- `aws` (function): the same stack, reset (every account emptied) before the test; `target` (function): that
  stack as a `pipelines.aws.Target`, for library calls.
- `dev_config` (session): the dev environment's EnvConfig (accounts, names and region come from it and its
  tfvars, never from literals); `dev_session`, `registry_session` (function): sessions acting in the dev and
  registry accounts of the reset stack; `dev_data_bucket`: the dev data bucket, created; `model_package_group`:
  the registry account's SageMaker client with the central group created, as Terraform creates it;
  `register_version(tag, status)`: a version registered in that group as the train pipeline registers one.
- `require_tool("terraform")`: the tool's path, or a skip with the reason - a FAILURE instead when
  MLOPS_REQUIRE_ALL_TOOLS=1 (set by `.ci/run`, where every tool must be installed).
- `platform_snapshot` (session): registry, dev and prod applied ONCE per run, shared by the xdist workers
  (`support.prepared`); a module takes its own copy: `platform_snapshot.restored_stack(folder)` is a stack of its
  own on a copy of that state, `place_bootstrap_state(runner)` an account's bootstrap state for a runner of it.

Terraform tests do not use `local_stack`/`aws`: a reset by another test would wipe what they applied.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator

import boto3
import pytest
from shell_environment import activate, restore_environment
from support.prepared import PlatformSnapshot, build_once

from localaws.tools.stack import LocalAwsStack
from pipelines.aws import (
    FAKE_ACCESS_KEY_ID,
    FAKE_SECRET_ACCESS_KEY,
    Target,
    local_environment_variables,
    session_for_account,
)
from pipelines.config import EnvConfig, load_config

REQUIRE_ALL_TOOLS = "MLOPS_REQUIRE_ALL_TOOLS"

pytest_plugins = ["support.called_operations"]  # --record-operations DIR


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No real AWS credentials, and a private MLOPS_LOCAL_DIR: tests never touch the developer's `.local`
    (a stack they started with `mlops-local up`, their terraform work dirs)."""
    _, to_remove = local_environment_variables("unused")
    previous = {name: os.environ.get(name) for name in
                [*to_remove, "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED", "MLOPS_LOCAL_DIR"]}
    for name in [*to_remove, "AWS_ENDPOINT_URL"]:
        os.environ.pop(name, None)
    os.environ.update({
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "MLOPS_LOCAL_DIR": str(tmp_path_factory.mktemp("mlops-local")),
    })
    yield
    restore_environment(previous)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAwsStack]:
    stack = LocalAwsStack(log_path=tmp_path_factory.mktemp("local-stack") / "server.log").start()
    previous = activate(stack.endpoint)
    yield stack
    restore_environment(previous)
    stack.stop()


@pytest.fixture
def aws(local_stack: LocalAwsStack) -> LocalAwsStack:
    local_stack.reset()
    return local_stack


@pytest.fixture
def target(aws: LocalAwsStack) -> Target:
    """The reset session stack as the library sees it: an explicit local target."""
    return Target.local_stack(aws.endpoint)


@pytest.fixture(scope="session")
def dev_config() -> EnvConfig:
    return load_config("dev")


@pytest.fixture
def dev_session(aws: LocalAwsStack, dev_config: EnvConfig) -> boto3.Session:
    return session_for_account(dev_config.account_id, dev_config.aws_region)


@pytest.fixture
def dev_data_bucket(dev_session: boto3.Session, dev_config: EnvConfig) -> str:
    """The dev account's data bucket, created as Terraform creates it (empty); its name."""
    dev_session.client("s3").create_bucket(Bucket=dev_config.workload.data_bucket_name)
    return dev_config.workload.data_bucket_name


@pytest.fixture
def registry_session(aws: LocalAwsStack, dev_config: EnvConfig) -> boto3.Session:
    return session_for_account(dev_config.accounts.registry, dev_config.aws_region)


@pytest.fixture
def model_package_group(registry_session: boto3.Session, dev_config: EnvConfig):
    """The registry account's SageMaker client, its central model package group created with its policy."""
    from support.platform import model_package_group_policy

    client = registry_session.client("sagemaker")
    group = dev_config.model_registry.model_package_group_name
    client.create_model_package_group(ModelPackageGroupName=group)
    client.put_model_package_group_policy(ModelPackageGroupName=group,
                                          ResourcePolicy=model_package_group_policy(dev_config))
    return client


# The image a registered test version names: the built-in XGBoost algorithm's, as the train pipeline registers.
REGISTERED_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


@pytest.fixture
def register_version(model_package_group, dev_config: EnvConfig) -> Callable[[str, str], str]:
    """`register_version(tag, status)`: a version in the central group as the train pipeline registers one (by
    the group's ARN, container and data-quality baseline under s3://<artifacts bucket>/dev/<tag>/); its ARN."""
    def register(tag: str, status: str) -> str:
        artifacts = f"s3://{dev_config.model_registry.artifacts_bucket_name}/dev/{tag}"
        return model_package_group.create_model_package(
            ModelPackageGroupName=dev_config.model_package_group_arn, ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": REGISTERED_IMAGE, "ModelDataUrl": f"{artifacts}/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
            DriftCheckBaselines={"ModelDataQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": f"{artifacts}/statistics.json"},
                "Constraints": {"ContentType": "application/json", "S3Uri": f"{artifacts}/constraints.json"}}},
        )["ModelPackageArn"]

    return register


@pytest.fixture(scope="session")
def require_tool() -> Callable[[str], str]:
    def require(tool: str) -> str:
        path = shutil.which(tool)
        if path is None:
            reason = f"{tool} is not installed (not found on PATH)"
            if os.environ.get(REQUIRE_ALL_TOOLS) == "1":
                pytest.fail(f"{reason}, and {REQUIRE_ALL_TOOLS}=1 forbids skipping")
            pytest.skip(reason)
        return path

    return require


@pytest.fixture(scope="session")
def platform_snapshot(require_tool, tmp_path_factory: pytest.TempPathFactory) -> PlatformSnapshot:
    require_tool("terraform")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # each worker's temp dir is inside the run's: build it there, once
        shared = shared.parent
    folder = shared / "platform-snapshot"
    build_once(folder, PlatformSnapshot.build)
    return PlatformSnapshot(folder)


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """A parameter's id never holds "::" (ARNs do): xdist's --dist loadscope takes a test's module from its node
    id up to the last "::", so such an id would make a group of its own, and its module's fixtures (an applied
    account) would be set up again on another worker."""
    if isinstance(val, str) and "::" in val:
        return re.sub(r":{2,}", ":", val)
    return None


# Handed out first: the applied platform's module builds the run's prepared platform (the modules on a copy of it
# wait for that build), then applies, checks, drifts and destroys it: the longest chain.
FIRST_MODULE = "tests/terraform_apply/test_platform.py"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest groups first, and none handed out only to wait: with workers side by side (`make test`, which
    keeps this order with --no-loadscope-reorder), FIRST_MODULE starts at once; the other workers first take the
    slow modules that need no prepared state (terraform before the rest: it mostly waits on the AWS provider), then
    the modules on a copy of the prepared platform (the demos first), which would only wait for its build if handed
    out sooner; the many short modules then fill the workers as they free up."""
    def rank(item: pytest.Item) -> int:
        if item.nodeid.partition("::")[0] == FIRST_MODULE:
            return 0
        marks = {mark.name for mark in item.iter_markers()}
        if "platform_snapshot" in item.fixturenames:
            return 3 if "e2e" in marks else 4
        if "slow" in marks:
            return 1 if "terraform" in marks else 2
        return 5 if "terraform" in marks else 6

    split = sorted(item.nodeid for item in items if "::" in item.nodeid.partition("[")[2])
    if split:
        raise pytest.UsageError(f"test ids with '::' inside their parameters would split their module between "
                                f"workers: {', '.join(split[:3])}; give those parameters ids without '::'")
    items.sort(key=rank)


@pytest.fixture
def provision_train_inputs(target: Target, tmp_path) -> Callable[..., dict]:
    """What Terraform and prepare-data leave for a train run in a workload account: the central artifacts bucket
    and model package group in the registry account with their keys and policies, the workload's key and SageMaker
    execution role (support.platform), the workload's data bucket with the prepared UCI data. Called with the
    config to provision (e.g. a copy with another engine); returns the prepared files."""
    from support.platform import provision_registry_and_role

    from pipelines.config import REPO_ROOT
    from pipelines.data.prepare import S3_KEYS, prepare
    from pipelines.data.raw import read_raw

    def provision(config) -> dict:
        provision_registry_and_role(target, config)
        s3 = target.session(config.account_id, config.aws_region).client("s3")
        s3.create_bucket(Bucket=config.workload.data_bucket_name)
        prepared = prepare(read_raw(REPO_ROOT / "data" / "mammographic_masses.data"), tmp_path / "prepared-data")
        for name, path in prepared.files.items():
            s3.put_object(Bucket=config.workload.data_bucket_name, Key=S3_KEYS[name], Body=path.read_bytes())
        return prepared.files

    return provision
