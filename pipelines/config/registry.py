"""`model_registry`: the central model registry in the registry account."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pipelines.config.fields import (
    BUCKET_HINT,
    BUCKET_NAME,
    IAM_HINT,
    IAM_NAME,
    NAME_HINT,
    PRINCIPAL_ARN,
    PRINCIPAL_HINT,
    RESOURCE_NAME,
    Fields,
)


@dataclass(frozen=True)
class ModelRegistry:
    model_package_group_name: str
    artifacts_bucket_name: str
    access_log_bucket_name: str
    kms_alias: str
    noncurrent_version_expiration_days: int
    approver_role_name: str
    """The registry account's role that alone may approve or reject a version (approve-model assumes it)."""
    approver_trusted_principal_arns: tuple[str, ...]
    """The IAM roles or users that may assume the approver role."""
    auto_approving_environments: tuple[str, ...] = ()
    """Registry file only: the environments whose accounts the group lets register versions Approved (at most the
    promotion's first, where models are trained; its file must allow auto-approval)."""


def parse_model_registry(fields: Fields) -> ModelRegistry:
    registry = ModelRegistry(
        model_package_group_name=fields.get("model_package_group_name", str, RESOURCE_NAME, NAME_HINT),
        artifacts_bucket_name=fields.get("artifacts_bucket_name", str, BUCKET_NAME, BUCKET_HINT),
        access_log_bucket_name=fields.get("access_log_bucket_name", str, BUCKET_NAME, BUCKET_HINT),
        kms_alias=fields.kms_alias("kms_alias"),
        noncurrent_version_expiration_days=fields.positive("noncurrent_version_expiration_days"),
        approver_role_name=fields.get("approver_role_name", str, IAM_NAME, IAM_HINT),
        approver_trusted_principal_arns=fields.string_list("approver_trusted_principal_arns", PRINCIPAL_ARN,
                                                           PRINCIPAL_HINT),
        auto_approving_environments=_auto_approving_environments(fields),
    )
    if registry.access_log_bucket_name == registry.artifacts_bucket_name:
        raise fields.fail("access_log_bucket_name", f"is {registry.access_log_bucket_name!r}, the name of "
                                                    "model_registry.artifacts_bucket_name: a bucket cannot log to "
                                                    "itself")
    return registry


def _auto_approving_environments(fields: Fields) -> tuple[str, ...]:
    key = "auto_approving_environments"
    names = fields.get(key, list, default=[], optional=True)
    for index, name in enumerate(names):
        if not isinstance(name, str):
            raise fields.fail(f"{key}[{index}]", f"must be an environment name, got {json.dumps(name)}")
    return tuple(names)


def check_auto_approving_environments(fields: Fields, registry: ModelRegistry,
                                      promotion: tuple[str, ...] | None) -> None:
    """Only the promotion's first environment may register versions Approved: a later stage doing so would let
    them reach production inference with nobody having reviewed them. `promotion`: the registry file's (None in a
    workload file, which lists none)."""
    key = "auto_approving_environments"
    names = registry.auto_approving_environments
    if names and promotion is None:
        raise fields.fail(key, "must be empty in a workload file: list the environments in the registry file's "
                               "model_registry.auto_approving_environments")
    for index, name in enumerate(names):
        item = f"{key}[{index}]"
        if name not in promotion:
            raise fields.fail(item, f"names {name!r}, which is not in 'promotion' ({', '.join(promotion)}): list "
                                    "an environment of the promotion")
        if name in names[:index]:
            raise fields.fail(item, f"names {name!r} twice: list each environment once")
        if name != promotion[0]:
            raise fields.fail(item, f"names {name!r}, a later stage of 'promotion': only {promotion[0]!r} (where "
                                    "models are trained) may register versions Approved; a later stage doing so "
                                    "would let them reach production inference with nobody having reviewed them")
