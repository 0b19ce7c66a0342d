"""Refresh multi-model endpoints from the central registry: what is Approved serves, nothing else does.

For each endpoint, the Approved versions of the model package group are copied to
`<models_s3_uri>/<endpoint>/<group>/v<N>.tar.gz` (SSE-KMS with the workload key) and every other `v*.tar.gz`
there is deleted; the endpoint then moves (created, or a blue/green update) to a config naming exactly that set
of versions. A client picks a version with `TargetModel="<group>/v<N>.tar.gz"`.

The refresh reads the registry's state rather than the event that triggered it, so it is idempotent and
order-free: run twice, or after several approvals at once, it converges to the same endpoint. It runs in the
refresh Lambda function (handler `endpoint_refresh.handler`, settings in its REFRESH_SETTINGS variable, see
`RefreshSettings`) on every "SageMaker Model Package State Change" the registry forwards, and in
`deploy-endpoint` for a multi-model endpoint.

Needs only boto3 and the standard library: the Lambda package carries this module.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines import model_registry
from pipelines.config import DEPLOYMENT_STRATEGIES
from pipelines.endpoints import hosting
from pipelines.errors import UsageError

SETTINGS_VARIABLE = "REFRESH_SETTINGS"
APPROVED = "Approved"
VARIANT_NAME = "AllTraffic"


@dataclass(frozen=True)
class ServedEndpoint:
    """One multi-model endpoint the refresh keeps up to date (the EndpointSettings fields it needs)."""

    name: str
    instance_type: str
    initial_instance_count: int
    deployment_strategy: str
    traffic_step_percent: int | None
    wait_interval_seconds: int
    alarm_names: tuple[str, ...]
    variant_name: str = VARIANT_NAME


@dataclass(frozen=True)
class RefreshSettings:
    """The refresh function's REFRESH_SETTINGS: one JSON object, written by Terraform."""

    model_package_group_arn: str
    models_s3_uri: str
    """s3://<data bucket>/<models_prefix>"""
    kms_key_arn: str
    execution_role_arn: str
    capture_s3_uri: str
    capture_sampling_percent: int
    endpoints: tuple[ServedEndpoint, ...]

    @property
    def capture(self) -> hosting.Capture:
        return hosting.Capture(self.capture_s3_uri, self.capture_sampling_percent, self.kms_key_arn)

    def models_uri(self, endpoint: str) -> str:
        """The S3 prefix a multi-model endpoint loads its TargetModels from (ends with '/')."""
        return f"{self.models_s3_uri.rstrip('/')}/{endpoint}/"

    def as_json(self) -> str:
        return json.dumps({
            "model_package_group_arn": self.model_package_group_arn, "models_s3_uri": self.models_s3_uri,
            "kms_key_arn": self.kms_key_arn, "execution_role_arn": self.execution_role_arn,
            "capture_s3_uri": self.capture_s3_uri, "capture_sampling_percent": self.capture_sampling_percent,
            "endpoints": [{"name": e.name, "instance_type": e.instance_type,
                           "initial_instance_count": e.initial_instance_count,
                           "deployment_strategy": e.deployment_strategy,
                           "traffic_step_percent": e.traffic_step_percent,
                           "wait_interval_seconds": e.wait_interval_seconds,
                           "alarm_names": list(e.alarm_names)} for e in self.endpoints],
        }, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> RefreshSettings:
        """Parse and check REFRESH_SETTINGS; a UsageError names the key and the fix."""
        if not text:
            raise UsageError(f"{SETTINGS_VARIABLE} is not set: the function's Terraform sets it to the settings JSON")
        try:
            data = json.loads(text)
        except ValueError as error:
            raise UsageError(f"{SETTINGS_VARIABLE} is not valid JSON ({error})") from None
        fields = _Fields(data, SETTINGS_VARIABLE)
        endpoints = []
        for index, value in enumerate(fields.get("endpoints", list)):
            endpoint = _Fields(value, f"{SETTINGS_VARIABLE}.endpoints[{index}]")
            strategy = endpoint.get("deployment_strategy", str)
            if strategy not in DEPLOYMENT_STRATEGIES:
                raise endpoint.fail("deployment_strategy", f"is {strategy!r}: use one of "
                                                           f"{', '.join(DEPLOYMENT_STRATEGIES)}")
            alarms = endpoint.get("alarm_names", list)
            if not all(isinstance(alarm, str) and alarm for alarm in alarms):
                raise endpoint.fail("alarm_names", "must be a list of CloudWatch alarm names")
            endpoints.append(ServedEndpoint(
                name=endpoint.get("name", str), instance_type=endpoint.get("instance_type", str),
                initial_instance_count=endpoint.get("initial_instance_count", int),
                deployment_strategy=strategy,
                traffic_step_percent=endpoint.get("traffic_step_percent", (int, type(None))),
                wait_interval_seconds=endpoint.get("wait_interval_seconds", int), alarm_names=tuple(alarms)))
        models_uri = fields.get("models_s3_uri", str)
        if not models_uri.startswith("s3://"):
            raise fields.fail("models_s3_uri", f"is {models_uri!r}: use s3://<data bucket>/<models_prefix>")
        return cls(model_package_group_arn=fields.get("model_package_group_arn", str), models_s3_uri=models_uri,
                   kms_key_arn=fields.get("kms_key_arn", str), execution_role_arn=fields.get("execution_role_arn", str),
                   capture_s3_uri=fields.get("capture_s3_uri", str),
                   capture_sampling_percent=fields.get("capture_sampling_percent", int), endpoints=tuple(endpoints))


class _Fields:
    def __init__(self, data: Any, where: str):
        if not isinstance(data, dict):
            raise UsageError(f"{where} must be a JSON object, got {json.dumps(data)[:80]}")
        self.data, self.where = data, where

    def fail(self, key: str, problem: str) -> UsageError:
        return UsageError(f"{self.where}.{key} {problem}")

    def get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in self.data:
            raise self.fail(key, "is missing")
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"has the wrong type: {json.dumps(value)[:80]}")
        return value


@dataclass(frozen=True)
class EndpointRefresh:
    """What one refresh did to one endpoint."""

    endpoint: str
    group: str
    versions: tuple[int, ...]
    """The Approved versions it now serves (or will, once InService)."""
    copied: tuple[int, ...]
    removed: tuple[int, ...]
    config_name: str | None
    action: str
    """created, updated, unchanged, busy (not InService: the next refresh finishes) or nothing-to-serve."""
    reason: str = ""

    def target_model(self, version: int) -> str:
        return target_model(self.group, version)


@dataclass(frozen=True)
class RefreshResult:
    endpoints: tuple[EndpointRefresh, ...]

    @property
    def busy(self) -> tuple[EndpointRefresh, ...]:
        return tuple(endpoint for endpoint in self.endpoints if endpoint.action == "busy")

    def as_dict(self) -> dict[str, Any]:
        return {"endpoints": [{"endpoint": e.endpoint, "versions": list(e.versions), "copied": list(e.copied),
                               "removed": list(e.removed), "config_name": e.config_name, "action": e.action,
                               "reason": e.reason} for e in self.endpoints]}


def target_model(group: str, version: int) -> str:
    """The TargetModel of a version on a multi-model endpoint: its key under the endpoint's prefix."""
    return f"{group}/v{version}.tar.gz"


def refresh(session, settings: RefreshSettings, only: Sequence[str] | None = None,
            progress: Callable[[str], None] = hosting.log.info) -> RefreshResult:
    """Bring the models prefix and the endpoints of `settings` (or only those named) in line with the registry."""
    sagemaker, s3 = session.client("sagemaker"), session.client("s3")
    group_arn = settings.model_package_group_arn
    approved = {}
    for summary in model_registry.list_versions(sagemaker, group_arn, APPROVED):
        package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        approved[summary["ModelPackageVersion"]] = package["InferenceSpecification"]["Containers"][0]
    results = []
    for endpoint in settings.endpoints:
        if only is not None and endpoint.name not in only:
            continue
        results.append(_refresh_endpoint(sagemaker, s3, settings, endpoint, approved, progress))
    return RefreshResult(tuple(results))


def _refresh_endpoint(sagemaker, s3, settings: RefreshSettings, endpoint: ServedEndpoint,
                      approved: Mapping[int, Mapping[str, Any]], progress: Callable[[str], None]) -> EndpointRefresh:
    group = hosting.group_name(settings.model_package_group_arn)
    models_uri = settings.models_uri(endpoint.name)
    bucket, _, prefix = models_uri.removeprefix("s3://").partition("/")
    copied, removed = _sync_prefix(s3, bucket, prefix, group, approved, settings.kms_key_arn)
    for version in copied:
        progress(f"{endpoint.name}: version {version} copied to {models_uri}{target_model(group, version)}")
    for version in removed:
        progress(f"{endpoint.name}: version {version} removed from {models_uri} (no longer Approved)")
    versions = tuple(sorted(approved))
    current = hosting.describe_endpoint(sagemaker, endpoint.name)
    image = approved[versions[-1]]["Image"] if versions else _current_image(sagemaker, current)
    if image is None:
        return EndpointRefresh(endpoint.name, group, (), copied, removed, None, "nothing-to-serve",
                               "no Approved version in the group yet")
    model = hosting.multi_model_request(endpoint, image, models_uri, settings.execution_role_arn)
    config = hosting.endpoint_config_request(endpoint, model["ModelName"], settings.capture, versions)
    hosting.ensure_model(sagemaker, model)
    hosting.ensure_endpoint_config(sagemaker, config, [{"Key": hosting.MODEL_VERSIONS_TAG,
                                                        "Value": " ".join(map(str, versions))[:256]}])
    if current is not None and current.get("EndpointConfigName") != config["EndpointConfigName"] \
            and current["EndpointStatus"] != hosting.IN_SERVICE:
        return EndpointRefresh(endpoint.name, group, versions, copied, removed, config["EndpointConfigName"], "busy",
                               f"endpoint is {current['EndpointStatus']}")
    action = hosting.switch_endpoint(sagemaker, endpoint, config["EndpointConfigName"], current)
    progress(f"{endpoint.name}: {action} on {config['EndpointConfigName']} serving versions "
             f"{', '.join(map(str, versions)) or 'none'}")
    return EndpointRefresh(endpoint.name, group, versions, copied, removed, config["EndpointConfigName"], action)


def _sync_prefix(s3, bucket: str, prefix: str, group: str, approved: Mapping[int, Mapping[str, Any]],
                 kms_key_arn: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Copy the Approved versions missing under `<prefix><group>/`, delete the others; (copied, removed)."""
    group_prefix = f"{prefix}{group}/"
    present: dict[int, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=group_prefix):
        for item in page.get("Contents", []):
            name = item["Key"][len(group_prefix):]
            if name.startswith("v") and name.endswith(".tar.gz") and name[1:-7].isdigit():
                present[int(name[1:-7])] = item["Key"]
    copied = []
    for version, container in sorted(approved.items()):
        if version in present:  # an Approved version's artifact never changes
            continue
        source_bucket, _, source_key = container["ModelDataUrl"].removeprefix("s3://").partition("/")
        s3.copy({"Bucket": source_bucket, "Key": source_key}, bucket, f"{group_prefix}v{version}.tar.gz",
                ExtraArgs={"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_arn})
        copied.append(version)
    removed = sorted(set(present) - set(approved))
    if removed:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": present[v]} for v in removed], "Quiet": True})
    return tuple(copied), tuple(removed)


def _current_image(sagemaker, endpoint: Mapping[str, Any] | None) -> str | None:
    """The image the endpoint's model runs (to keep serving an empty set when every version was rejected)."""
    if endpoint is None:
        return None
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    return (model.get("PrimaryContainer") or {}).get("Image")
