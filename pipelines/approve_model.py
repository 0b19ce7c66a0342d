"""What `approve-model` does: list the central group's model versions with their evaluation metrics; approve or
reject one.

Acts in the registry account, where the model package group lives, as its approver role
(`model_registry.approver_role_name`): the only principal that may approve or reject a version. The current
credentials are used as they are when they already are that role, otherwise the command assumes it. The metrics
come from each version's registered model-quality report (the train pipeline's evaluation.json), so the
approver sees them first. The CLI is pipelines/cli/approve_model.py.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions

from pipelines import model_registry
from pipelines.aws import Target
from pipelines.aws_calls import explained_aws_errors
from pipelines.config import EnvConfig, load_config
from pipelines.errors import UsageError
from pipelines.model_registry import HEADLINE_METRICS, MetricsUnavailableError, PackageMetrics, package_metrics

logger = logging.getLogger("approve-model")


@dataclass(frozen=True)
class ApprovalRequest:
    env: str
    """Any environment: its file names the registry."""
    list: bool = False
    version: int | None = None
    latest: bool = False
    reject: bool = False
    description: str | None = None
    """Recorded on the version as its ApprovalDescription."""


@dataclass(frozen=True)
class VersionReview:
    package: dict[str, Any]
    metrics: PackageMetrics | str
    """The evaluation metrics, or a sentence saying why they cannot be shown."""


@dataclass(frozen=True)
class ApprovalResult:
    group_arn: str
    listed: tuple[VersionReview, ...] | None
    """Every version, oldest first; None when no list was asked for."""
    chosen: VersionReview | None = None
    previous_status: str | None = None
    new_status: str | None = None


def approve_model(request: ApprovalRequest, target: Target) -> ApprovalResult:
    if not (request.list or request.version is not None or request.latest):
        raise UsageError("give --list, --version N or --latest")
    if request.reject and request.version is None and not request.latest:
        raise UsageError("--reject needs --version N or --latest")
    config = load_config(request.env)
    session = approver_session(target, config)
    with explained_aws_errors(f"reviewing model package group {config.model_package_group_arn}"):
        return review(request, config, session.client("sagemaker"), session.client("s3"))


APPROVER_SESSION_NAME = "approve-model"


def approver_session(target: Target, config: EnvConfig) -> boto3.Session:
    """A session acting as the registry's approver role: the current credentials when they already are that
    role, else the role assumed from them (on the local stack, from the registry account's admin session)."""
    region, role_arn = config.aws_region, config.approver_role_arn
    if target.is_local:
        session = target.session(config.accounts.registry, region)
    else:
        session = target.base_session(region)
        target.caller_account(session)  # no credentials or rejected ones: one clear line
    sts = session.client("sts")
    with explained_aws_errors("finding who the current credentials are"):
        caller = sts.get_caller_identity()["Arn"]
    if is_role(caller, role_arn):
        return session
    logger.info("assuming the approver role %s", role_arn)
    try:
        credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=APPROVER_SESSION_NAME)["Credentials"]
    except botocore.exceptions.ClientError as error:
        raise UsageError(
            f"{caller} cannot assume the approver role {role_arn} "
            f"({error.response['Error'].get('Message', error)}): approvals are made by the principals that role "
            f"trusts; use their credentials") from None
    return target.credentials_session(credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                      credentials["SessionToken"], region)


def is_role(caller_arn: str, role_arn: str) -> bool:
    """Whether a caller ARN (GetCallerIdentity) is `role_arn` itself or a session of it."""
    role = re.fullmatch(r"arn:([\w-]+):iam::(\d{12}):role/(?:.*/)?([^/]+)", role_arn)
    caller = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+", caller_arn)
    return caller_arn == role_arn or bool(role and caller and role.groups() == caller.groups())


def review(request: ApprovalRequest, config: EnvConfig, sagemaker, s3) -> ApprovalResult:
    """List and/or approve or reject, with clients of the registry account."""
    versions = list_versions(sagemaker, config)

    def reviewed(package: dict[str, Any]) -> VersionReview:
        return VersionReview(package, evaluation_metrics(sagemaker, s3, package["ModelPackageArn"]))

    listed = tuple(map(reviewed, versions)) if request.list else None
    if request.version is None and not request.latest:
        return ApprovalResult(config.model_package_group_arn, listed)
    chosen = reviewed(pick_version(versions, config, request.version))
    status = "Rejected" if request.reject else "Approved"
    update: dict[str, Any] = {"ModelPackageArn": chosen.package["ModelPackageArn"], "ModelApprovalStatus": status}
    if request.description:
        update["ApprovalDescription"] = request.description
    sagemaker.update_model_package(**update)
    return ApprovalResult(config.model_package_group_arn, listed, chosen, chosen.package["ModelApprovalStatus"],
                          status)


def list_versions(sagemaker, config: EnvConfig) -> list[dict[str, Any]]:
    """Every version of the central group, oldest first."""
    try:
        return model_registry.list_versions(sagemaker, config.model_registry.model_package_group_name)
    except sagemaker.exceptions.ClientError as error:
        raise UsageError(f"cannot list model package group {config.model_package_group_arn}: "
                         f"{error.response['Error'].get('Message', error)}") from None


def pick_version(versions: list[dict[str, Any]], config: EnvConfig, number: int | None) -> dict[str, Any]:
    if not versions:
        raise UsageError(f"model package group {config.model_package_group_arn} has no version yet: "
                         "run the train pipeline first")
    if number is None:
        return versions[-1]
    for package in versions:
        if package.get("ModelPackageVersion") == number:
            return package
    known = ", ".join(str(p.get("ModelPackageVersion")) for p in versions)
    raise UsageError(f"--version {number} is not in model package group {config.model_package_group_arn} "
                     f"(versions: {known})")


def evaluation_metrics(sagemaker, s3, package_arn: str) -> PackageMetrics | str:
    """The version's classification metrics, or a sentence saying why they cannot be shown."""
    try:
        return package_metrics(sagemaker, s3, package_arn)
    except MetricsUnavailableError as error:
        return str(error)


def format_version(package: dict[str, Any], metrics: PackageMetrics | str) -> str:
    created = package.get("CreationTime")
    head = f"version {package.get('ModelPackageVersion')}  {package.get('ModelApprovalStatus'):<22}"
    if created:
        head += f"  created {created:%Y-%m-%d %H:%M:%S}"
    if isinstance(metrics, str):
        return f"{head}  ({metrics})"
    values = "  ".join(f"{name} {metrics.metrics[name]:.3f}" for name in HEADLINE_METRICS if name in metrics.metrics)
    if metrics.confusion_matrix:
        values += f"  confusion {metrics.confusion_matrix}"
    return f"{head}  {values}"
