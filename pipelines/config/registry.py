"""`model_registry`: the central model registry in the registry account."""

from __future__ import annotations

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
    )
    if registry.access_log_bucket_name == registry.artifacts_bucket_name:
        raise fields.fail("access_log_bucket_name", f"is {registry.access_log_bucket_name!r}, the name of "
                                                    "model_registry.artifacts_bucket_name: a bucket cannot log to "
                                                    "itself")
    return registry
