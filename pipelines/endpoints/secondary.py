"""Serving a registry version in prod's secondary region, from its model artifact's replica there.

The model package lives in the registry in the primary region, and SageMaker reads a package only in its own
region, so the Model in the secondary region names its container explicitly: the built-in XGBoost image of that
region (the package image's version, looked up as the pipelines look images up: the SageMaker SDK's bundled
image URIs, offline) and the artifact's replica in the replica bucket (same key). The endpoint config has no data
capture and no storage key: the data bucket and the workload key are in the primary region.

A replica is served only when it is current: it exists, S3 marks it `ReplicationStatus` REPLICA, and its version
id is the primary object's current version id (S3 replication keeps version ids), with the primary object's
replication COMPLETED. Otherwise ReplicaNotCurrent names what is missing or behind.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.aws import Target
from pipelines.aws_calls import explained_aws_errors
from pipelines.config import MULTI_MODEL, EnvConfig
from pipelines.endpoints import hosting
from pipelines.endpoints.deployment import Deployment, DeployRequest, choose_version, settle
from pipelines.endpoints.invoke import Invocation, csv_payload, invoke
from pipelines.errors import ReplicaNotCurrent, UnknownModelVersion, UsageError
from pipelines.s3_uri import split as split_s3_uri

logger = logging.getLogger("deploy-endpoint")
SOURCE_PACKAGE_TAG = "mlops:model-package"
# <account>.dkr.ecr.<region>.<domain>/<repository>:<tag>, as the SDK's image URIs are written.
ECR_IMAGE = re.compile(r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.[a-z0-9.]+/(?P<repository>[^:@]+)"
                       r":(?P<tag>[\w.-]+)")
FRAMEWORKS = {"sagemaker-xgboost": "xgboost"}


@dataclass(frozen=True)
class Replica:
    """A version's artifact in both regions, checked current."""

    primary_uri: str
    replica_uri: str
    version_id: str


@dataclass(frozen=True)
class RegionComparison:
    """The same payload sent to the endpoint in both regions (`compare_regions`)."""

    primary: Invocation
    secondary: Invocation

    @property
    def identical(self) -> bool:
        return self.primary.predictions == self.secondary.predictions


def secondary_image(image: str, region: str) -> str:
    """The URI of the same built-in image (same version) in `region`."""
    # The SDK is heavy to import and only this path needs it; sdk_quiet imports it without side effects.
    # isort: off
    import pipelines.sdk_quiet  # noqa: F401
    from sagemaker.core import image_uris
    # isort: on

    match = ECR_IMAGE.fullmatch(image)
    framework = FRAMEWORKS.get(match.group("repository")) if match else None
    if framework is None:
        raise UsageError(f"the version's image {image} is not a built-in image this project serves "
                         f"({', '.join(FRAMEWORKS)}): its URI in {region} is unknown")
    try:
        return image_uris.retrieve(framework, region, version=match.group("tag"), instance_type="ml.m5.large")
    except ValueError as error:
        raise UsageError(f"the version's image {image}: no {framework} image of version {match.group('tag')} "
                         f"in {region} ({error})") from None


def current_replica(s3_primary, s3_secondary, config: EnvConfig, artifact_uri: str) -> Replica:
    """The artifact's replica, or ReplicaNotCurrent when it is missing or not the primary's current version."""
    replica_uri = config.replica_artifact_uri(artifact_uri)
    bucket, key = split_s3_uri(artifact_uri)
    replica_bucket, _ = split_s3_uri(replica_uri)
    source = s3_primary.head_object(Bucket=bucket, Key=key)
    source_status = source.get("ReplicationStatus")
    if source_status != "COMPLETED":
        raise ReplicaNotCurrent(f"the replica of {artifact_uri} in {config.require_secondary_region().region} is "
                                f"not current: the primary object's replication is {source_status or 'not set'} "
                                "(PENDING: wait and run again; FAILED or not set: see the replication rule)")
    try:
        replica = s3_secondary.head_object(Bucket=replica_bucket, Key=key)
    except s3_secondary.exceptions.ClientError as error:
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
            raise
        raise ReplicaNotCurrent(f"the replica {replica_uri} is missing: S3 has not replicated {artifact_uri} "
                                "(replication is on for new objects only); copy it or wait, and run again") from None
    if replica.get("ReplicationStatus") != "REPLICA":
        raise ReplicaNotCurrent(f"{replica_uri} is not a replica of {artifact_uri} (ReplicationStatus "
                                f"{replica.get('ReplicationStatus') or 'not set'}): S3 replication writes it")
    if replica.get("VersionId") != source.get("VersionId"):
        raise ReplicaNotCurrent(f"the replica {replica_uri} is older than the primary's artifact: version "
                                f"{replica.get('VersionId')}, the primary's is {source.get('VersionId')}; wait for "
                                "replication and run again")
    return Replica(artifact_uri, replica_uri, source["VersionId"])


def deploy_secondary(request: DeployRequest, target: Target, config: EnvConfig) -> Deployment:
    """deploy-endpoint --region secondary: the version served from its replica in the secondary region."""
    if request.rollback:
        raise UsageError("--rollback is for the primary region; in the secondary region deploy the version to go "
                         "back to with --version N")
    if request.version is not None and request.version < 1:
        raise UnknownModelVersion(f"--version {request.version}: versions are numbered from 1")
    if (request.version is None) == (not request.latest_approved):
        raise UsageError("give exactly one of --version N or --latest-approved")
    endpoint = config.require_secondary_endpoint(request.endpoint)
    region = config.require_secondary_region().region
    primary = target.session(config.account_id, config.aws_region)
    secondary = target.session(config.account_id, region)
    sagemaker = secondary.client("sagemaker")
    with explained_aws_errors(f"deploying endpoint {endpoint.name} in {config.environment} ({config.account_id}), "
                              f"region {region}"):
        registry = primary.client("sagemaker")
        summary = choose_version(registry, config, request.version)
        version, package_arn = summary["ModelPackageVersion"], summary["ModelPackageArn"]
        [container, *_] = registry.describe_model_package(ModelPackageName=package_arn)[
            "InferenceSpecification"]["Containers"]
        replica = current_replica(primary.client("s3"), secondary.client("s3"), config, container["ModelDataUrl"])
        image = secondary_image(container["Image"], region)
        model = hosting.image_model_request(endpoint, version, image, replica.replica_uri,
                                            config.endpoint_execution_role_arn)
        endpoint_config = hosting.endpoint_config_request(endpoint, model["ModelName"], None, [version])
        current = hosting.describe_endpoint(sagemaker, endpoint.name)
        if current is not None and current.get("EndpointConfigName") != endpoint_config["EndpointConfigName"]:
            hosting.require_updatable(current)  # before anything is created: a refused deploy leaves nothing
        tags = [{"Key": hosting.MODEL_VERSIONS_TAG, "Value": str(version)},
                {"Key": SOURCE_PACKAGE_TAG, "Value": package_arn}]
        hosting.ensure_model(sagemaker, model, tags)
        hosting.ensure_endpoint_config(sagemaker, endpoint_config, tags)
        action = hosting.switch_endpoint(sagemaker, endpoint, endpoint_config["EndpointConfigName"], current)
        logger.info("endpoint %s in %s %s: config %s serves version %d from %s (version id %s), image %s",
                    endpoint.name, region, action, endpoint_config["EndpointConfigName"], version,
                    replica.replica_uri, replica.version_id, image)
        deployment = Deployment(endpoint.name, endpoint.mode, action, endpoint_config["EndpointConfigName"],
                                (version,), current.get("EndpointConfigName") if current else None, region=region)
        return settle(request, target, sagemaker, config, deployment)


def compare_regions(target: Target, config: EnvConfig, endpoint: str,
                    rows: Sequence[Sequence[float | int | str]]) -> RegionComparison:
    """Send the same CSV rows to the endpoint in the primary and the secondary region."""
    if config.require_endpoint(endpoint).mode == MULTI_MODEL:
        raise UsageError(f"endpoint {endpoint} is multi-model: it is served in the primary region only")
    payload = csv_payload(rows)
    region = config.require_secondary_region().region
    return RegionComparison(invoke(target, config, endpoint, payload),
                            invoke(target, config, endpoint, payload, region=region))


def deploy_and_compare(target: Target, config: EnvConfig, endpoint: str, rows: Sequence[Sequence[float | int | str]],
                       version: int | None = None, wait: bool = True) -> tuple[Deployment, RegionComparison]:
    """The demo's step: serve `version` (default: the newest Approved) in the secondary region, then send `rows`
    to both regions. The primary endpoint must already serve the same version for the answers to match."""
    request = DeployRequest(config.environment, endpoint, version=version, latest_approved=version is None,
                            wait=wait, region="secondary")
    deployment = deploy_secondary(request, target, config)
    return deployment, compare_regions(target, config, endpoint, rows)
