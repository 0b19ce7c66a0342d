"""Serving a registry version on a workload account's endpoint in its primary region, and what both regions share.

The request and result types, choosing the version, following the endpoint until it settles (`settle`) and the
capture and refresh settings; `deploy_primary` is the single-model blue/green update, the multi-model refresh
and the rollback (pipelines.endpoints.deploy chooses the region; pipelines.endpoints.secondary builds on this).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines import model_registry
from pipelines.aws import Target
from pipelines.aws_calls import explained_aws_errors
from pipelines.config import MULTI_MODEL, EndpointSettings, EnvConfig
from pipelines.endpoints import hosting
from pipelines.endpoints.refresh import APPROVED, RefreshSettings, ServedEndpoint, refresh, target_model
from pipelines.errors import ModelVersionNotApproved, UnknownModelVersion, UsageError

logger = logging.getLogger("deploy-endpoint")
PRIMARY, SECONDARY = "primary", "secondary"


@dataclass(frozen=True)
class DeployRequest:
    env: str
    endpoint: str
    version: int | None = None
    latest_approved: bool = False
    rollback: bool = False
    wait: bool = False
    region: str = PRIMARY
    """primary (the env file's aws_region) or secondary (its secondary_region.region)."""


@dataclass(frozen=True)
class EndpointState:
    """What an endpoint serves, read back from SageMaker."""

    endpoint: str
    status: str
    config_name: str
    versions: tuple[int, ...]
    multi_model: bool
    group: str

    def describe(self) -> str:
        if self.multi_model:
            models = ", ".join(target_model(self.group, version) for version in self.versions) or "none"
            return (f"endpoint {self.endpoint} {self.status}: config {self.config_name}, multi-model, "
                    f"TargetModel {models}")
        version = ", ".join(map(str, self.versions)) or "unknown"
        return f"endpoint {self.endpoint} {self.status}: config {self.config_name}, model version {version}"


@dataclass(frozen=True)
class Deployment:
    """What `deploy_endpoint` did."""

    endpoint: str
    mode: str
    action: str
    """created, updated, unchanged, rolled-back (a --rollback), or busy (multi-model refresh while not InService)."""
    config_name: str
    versions: tuple[int, ...]
    previous_config: str | None
    serving: EndpointState | None = None
    """After --wait: what the endpoint serves once settled."""
    region: str = ""
    """The AWS region the endpoint is in."""


def deploy_primary(request: DeployRequest, target: Target, config: EnvConfig) -> Deployment:
    """Deploy, refresh or roll back the endpoint in the env file's own region (aws_region)."""
    endpoint = config.require_endpoint(request.endpoint)
    session = target.session(config.account_id, config.aws_region)
    sagemaker = session.client("sagemaker")
    with explained_aws_errors(f"deploying endpoint {endpoint.name} in {config.environment} "
                              f"({config.account_id})"):
        if endpoint.mode == MULTI_MODEL:
            deployment = _deploy_multi_model(request, session, config, endpoint)
        elif request.rollback:
            deployment = _rollback(sagemaker, config, endpoint)
        else:
            deployment = _deploy_version(request, session, config, endpoint)
        deployment = dataclasses.replace(deployment, region=config.aws_region)
        return settle(request, target, sagemaker, config, deployment)


def settle(request: DeployRequest, target: Target, sagemaker, config: EnvConfig, deployment: Deployment) -> Deployment:
    """With --wait: follow the endpoint until it settles; DeploymentFailed unless it serves the new config."""
    if not request.wait:
        return deployment
    settled = hosting.wait_for_endpoint(sagemaker, deployment.endpoint, target.poll_seconds, target.progress)
    hosting.require_serving(settled, deployment.config_name)
    return dataclasses.replace(deployment, serving=serving_now(sagemaker, config, settled))


def _deploy_version(request: DeployRequest, session, config: EnvConfig, endpoint: EndpointSettings) -> Deployment:
    sagemaker = session.client("sagemaker")
    package = choose_version(sagemaker, config, request.version)
    version = package["ModelPackageVersion"]
    model = hosting.single_model_request(endpoint, package["ModelPackageArn"], version,
                                         config.endpoint_execution_role_arn)
    endpoint_config = hosting.endpoint_config_request(endpoint, model["ModelName"], capture(session, config),
                                                      [version])
    current = hosting.describe_endpoint(sagemaker, endpoint.name)
    changes = current is None or current.get("EndpointConfigName") != endpoint_config["EndpointConfigName"]
    if current is not None and changes:  # before anything is created: a refused deploy leaves nothing behind
        hosting.require_updatable(current)
    tags = [{"Key": hosting.MODEL_VERSIONS_TAG, "Value": str(version)}]
    hosting.ensure_model(sagemaker, model, tags)
    hosting.ensure_endpoint_config(sagemaker, endpoint_config, tags)
    action = hosting.switch_endpoint(sagemaker, endpoint, endpoint_config["EndpointConfigName"], current)
    logger.info("endpoint %s %s: config %s serves version %d (%s)", endpoint.name, action,
                endpoint_config["EndpointConfigName"], version, package["ModelPackageArn"])
    return Deployment(endpoint.name, endpoint.mode, action, endpoint_config["EndpointConfigName"], (version,),
                      current.get("EndpointConfigName") if current else None)


def _rollback(sagemaker, config: EnvConfig, endpoint: EndpointSettings) -> Deployment:
    current = hosting.describe_endpoint(sagemaker, endpoint.name)
    if current is None:
        raise UsageError(f"endpoint {endpoint.name} does not exist in {config.environment}: nothing to roll back "
                         f"(deploy a version with --version N or --latest-approved)")
    hosting.require_updatable(current)
    previous = hosting.previous_config(sagemaker, current)
    if previous is None:
        raise UsageError(f"endpoint {endpoint.name} has no previous config recorded (tag "
                         f"{hosting.PREVIOUS_CONFIG_TAG}): it was deployed once only; deploy a version with "
                         f"--version N instead")
    if previous == current["EndpointConfigName"]:
        raise UsageError(f"endpoint {endpoint.name} already serves its previous config {previous} (its last update "
                         f"was rolled back): deploy a version with --version N instead")
    versions = config_versions(sagemaker, previous)
    for version in versions:
        status = version_status(sagemaker, config, version)
        if status != APPROVED:
            raise ModelVersionNotApproved(
                f"--rollback would serve version {version} again (config {previous}), which is {status} in "
                f"{config.model_package_group_arn}: deploy an Approved version with --version N instead")
    action = hosting.switch_endpoint(sagemaker, endpoint, previous, current)
    logger.info("endpoint %s %s to config %s (version %s)", endpoint.name, action, previous,
                ", ".join(map(str, versions)) or "unknown")
    return Deployment(endpoint.name, endpoint.mode, "rolled-back", previous, versions, current["EndpointConfigName"])


def _deploy_multi_model(request: DeployRequest, session, config: EnvConfig, endpoint: EndpointSettings) -> Deployment:
    if request.rollback:
        raise UsageError(f"endpoint {endpoint.name} is multi-model: it serves every Approved version, so there is "
                         "nothing to roll back to; reject the bad version (approve-model --reject --version N) and "
                         "the refresh takes it out")
    sagemaker = session.client("sagemaker")
    if request.version is not None:
        package = choose_version(sagemaker, config, request.version)
        logger.info("version %d is Approved: it serves as TargetModel %s", request.version,
                    target_model(config.model_registry.model_package_group_name, package["ModelPackageVersion"]))
    else:
        choose_version(sagemaker, config, None)  # at least one Approved version, or a named error
    current = hosting.describe_endpoint(sagemaker, endpoint.name)
    [result] = refresh(session, refresh_settings(session, config, [endpoint]), only=[endpoint.name],
                       progress=logger.info).endpoints
    if result.action == "busy":  # the prefix is refreshed; the endpoint's update waits
        hosting.require_updatable(current)
    return Deployment(endpoint.name, endpoint.mode, result.action, result.config_name or "", result.versions,
                      current.get("EndpointConfigName") if current else None)


# ------------------------------------------------------------------------------------------------ the registry


def choose_version(sagemaker, config: EnvConfig, number: int | None) -> dict[str, Any]:
    """The summary of version `number` (it must be Approved), or of the newest Approved version."""
    group = config.model_package_group_arn
    packages = model_registry.list_versions(sagemaker, group)
    if number is None:
        approved = [package for package in packages if package.get("ModelApprovalStatus") == APPROVED]
        if not approved:
            raise ModelVersionNotApproved(f"model package group {group} has no Approved version: approve one "
                                          f"(approve-model --env {config.environment} --version N)")
        return approved[-1]
    for package in packages:
        if package.get("ModelPackageVersion") == number:
            status = package.get("ModelApprovalStatus")
            if status != APPROVED:
                raise ModelVersionNotApproved(
                    f"--version {number} is {status} in {group}: only Approved versions are served; "
                    f"approve it first (approve-model --version {number}) or choose another")
            return package
    known = ", ".join(str(package.get("ModelPackageVersion")) for package in packages) or "none"
    raise UnknownModelVersion(f"--version {number} is not in model package group {group} (versions: {known})")


def version_status(sagemaker, config: EnvConfig, version: int) -> str:
    arn = config.model_package_group_arn.replace(":model-package-group/", ":model-package/") + f"/{version}"
    return sagemaker.describe_model_package(ModelPackageName=arn).get("ModelApprovalStatus", "unknown")


def config_versions(sagemaker, config_name: str) -> tuple[int, ...]:
    """The registry versions an endpoint config serves, read from its models' containers."""
    described = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    versions = []
    for variant in described["ProductionVariants"]:
        model = sagemaker.describe_model(ModelName=variant["ModelName"])
        for container in [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]:
            version = model_registry.package_version(container.get("ModelPackageName") or "")
            if version is not None:
                versions.append(version)
    if not versions:  # a multi-model config: its versions are recorded in a tag
        arn = described["EndpointConfigArn"]
        tags = {tag["Key"]: tag["Value"] for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn)
                for tag in page.get("Tags", [])}
        versions = [int(v) for v in tags.get(hosting.MODEL_VERSIONS_TAG, "").split() if v.isdigit()]
    return tuple(sorted(set(versions)))


def serving_now(sagemaker, config: EnvConfig, endpoint: Mapping[str, Any]) -> EndpointState:
    name = endpoint["EndpointName"]
    settings = config.require_endpoint(name)
    return EndpointState(name, endpoint["EndpointStatus"], endpoint["EndpointConfigName"],
                   config_versions(sagemaker, endpoint["EndpointConfigName"]), settings.mode == MULTI_MODEL,
                   config.model_registry.model_package_group_name)


# ------------------------------------------------------------------------------------------------ settings


def workload_key_arn(session, config: EnvConfig) -> str:
    """The workload key's ARN (the configuration names its alias): configs name the key itself, as the refresh
    function's settings do, so both write the same config for the same content."""
    return session.client("kms").describe_key(KeyId=config.workload_kms_alias_arn)["KeyMetadata"]["Arn"]


def capture(session, config: EnvConfig) -> hosting.Capture:
    serving = config.require_serving()
    return hosting.Capture(capture_s3_uri(config), serving.capture_sampling_percent, workload_key_arn(session, config))


def capture_s3_uri(config: EnvConfig) -> str:
    return f"s3://{config.require_workload().data_bucket_name}/{config.require_serving().capture_prefix}"


def refresh_settings(session, config: EnvConfig, endpoints: list[EndpointSettings] | None = None) -> RefreshSettings:
    """The refresh function's settings for this account (what its Terraform writes into REFRESH_SETTINGS)."""
    serving = config.require_serving()
    return RefreshSettings(
        model_package_group_arn=config.model_package_group_arn,
        models_s3_uri=f"s3://{config.require_workload().data_bucket_name}/{serving.models_prefix}",
        kms_key_arn=workload_key_arn(session, config),
        execution_role_arn=config.endpoint_execution_role_arn,
        capture_s3_uri=capture_s3_uri(config),
        capture_sampling_percent=serving.capture_sampling_percent,
        endpoints=tuple(ServedEndpoint(
            name=e.name, instance_type=e.instance_type, initial_instance_count=e.initial_instance_count,
            deployment_strategy=e.deployment_strategy, traffic_step_percent=e.traffic_step_percent,
            wait_interval_seconds=e.wait_interval_seconds, alarm_names=tuple(e.alarm_names))
            for e in (endpoints if endpoints is not None else serving.multi_model_endpoints)),
    )
