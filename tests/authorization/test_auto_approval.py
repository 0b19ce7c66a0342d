"""Auto-approval as AWS decides it: the central group's policy as Terraform writes it (tests/support/platform.py)
lets the environments of the registry file's model_registry.auto_approving_environments register versions
Approved, and every other workload account register them PendingManualApproval only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support.platform import model_package_group_policy

from pipelines.config import ENVIRONMENTS_DIR, REGISTRY, EnvConfig, load_config

from .support import admin_in, client_for, error_of, user_with_keys

DENIED_BY_THE_GROUP = "because no resource-based policy allows the sagemaker:CreateModelPackage action"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def environments_listing(tmp_path: Path, listed: list[str]) -> Path:
    """Copies of the environment files whose registry file lists `listed` (whose files allow auto-approval)."""
    directory = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS_DIR, directory)
    registry = json.loads((directory / "registry.tfvars.json").read_text())
    registry["model_registry"]["auto_approving_environments"] = listed
    (directory / "registry.tfvars.json").write_text(json.dumps(registry))
    for name in listed:
        document = json.loads((directory / f"{name}.tfvars.json").read_text())
        document["workload"]["pipeline"]["allow_auto_approval"] = True
        (directory / f"{name}.tfvars.json").write_text(json.dumps(document))
    return directory


def central_group(stack, config: EnvConfig) -> None:
    """The registry account's group with its policy, as Terraform creates them."""
    registry = client_for(stack, "sagemaker", admin_in(stack, config.accounts.registry))
    group = config.model_registry.model_package_group_name
    registry.create_model_package_group(ModelPackageGroupName=group)
    registry.put_model_package_group_policy(ModelPackageGroupName=group,
                                            ResourcePolicy=model_package_group_policy(config))


def registrar(stack, config: EnvConfig):
    """`register(status)` by a principal of `config`'s account whose own policy allows registering in the group
    (as the SageMaker execution role's does): the group's policy decides."""
    packages = config.model_package_group_arn.replace(":model-package-group/", ":model-package/").lower() + "/*"
    principal = user_with_keys(stack, f"trainer-{config.environment}", {
        "Effect": "Allow", "Action": "sagemaker:CreateModelPackage",
        "Resource": [config.model_package_group_arn, packages]}, credentials=admin_in(stack, config.account_id))

    def register(status: str) -> str:
        return client_for(stack, "sagemaker", principal).create_model_package(
            ModelPackageGroupName=config.model_package_group_arn, ModelApprovalStatus=status,
            InferenceSpecification={"Containers": [{"Image": IMAGE}], "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]

    return register


def test_a_listed_environment_registers_approved_versions_and_a_later_stage_does_not(stack_in, tmp_path):
    stack = stack_in("enforce")
    directory = environments_listing(tmp_path, ["dev"])
    order = load_config(REGISTRY, directory).promotion
    dev, staging = load_config(order[0], directory), load_config(order[1], directory)
    central_group(stack, dev)

    assert registrar(stack, dev)("Approved").endswith("/1")
    register_in_staging = registrar(stack, staging)
    error = error_of(lambda: register_in_staging("Approved"))
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].startswith(
        f"User: arn:aws:iam::{staging.account_id}:user/trainer-{staging.environment} is not authorized to perform: "
        "sagemaker:CreateModelPackage on resource: ")
    assert error["Message"].endswith(DENIED_BY_THE_GROUP)
    assert register_in_staging("PendingManualApproval").endswith("/2")


def test_without_the_list_every_registration_waits_for_an_approver(stack_in):
    stack = stack_in("enforce")
    dev = load_config(load_config(REGISTRY).promotion[0])
    assert dev.model_registry.auto_approving_environments == ()
    central_group(stack, dev)
    register = registrar(stack, dev)

    error = error_of(lambda: register("Approved"))
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].startswith(f"User: arn:aws:iam::{dev.account_id}:user/trainer-{dev.environment} is not "
                                       "authorized to perform: sagemaker:CreateModelPackage on resource: ")
    assert error["Message"].endswith(DENIED_BY_THE_GROUP)
    assert register("PendingManualApproval").endswith("/1")
