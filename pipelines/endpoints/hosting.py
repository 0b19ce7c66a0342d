"""The SageMaker hosting calls `deploy-endpoint` and the multi-model refresh share.

Models and endpoint configs are content-addressed: each name ends with a digest of the request that creates it,
so the same version deployed with the same settings names the same model and config (nothing is created or
updated twice), and a config an endpoint uses is never overwritten: a change of any setting makes a new one.

The config an endpoint served before its last switch is recorded on the endpoint itself, as the tag
`mlops:previous-endpoint-config` (AddTags replaces a key's value). A tag lives with the endpoint, so any process
(a person's `--rollback`, a Jenkins stage, the refresh function) reads the same history; an endpoint config's
CreationTime would not do, because a content-addressed config deployed again keeps its first CreationTime.

Needs only boto3 and the standard library: the refresh function's Lambda package carries this module.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pipelines.config import DEPLOYMENT_STRATEGIES
from pipelines.errors import DeploymentFailed, EndpointBusy

log = logging.getLogger(__name__)

IN_SERVICE, FAILED = "InService", "Failed"
# Every status but InService refuses UpdateEndpoint; these end a wait (the others are on their way somewhere).
SETTLED_STATUSES = (IN_SERVICE, FAILED, "OutOfService", "UpdateRollbackFailed")
PREVIOUS_CONFIG_TAG = "mlops:previous-endpoint-config"
MODEL_VERSIONS_TAG = "mlops:model-versions"
MAX_NAME_LENGTH = 63  # SageMaker model, endpoint config and endpoint names
DIGEST_LENGTH = 12
CSV_CONTENT_TYPES = ["text/csv"]
JSON_CONTENT_TYPES = ["application/json"]


class EndpointTarget(Protocol):
    """What the hosting calls read of an endpoint's settings (pipelines.config.EndpointSettings, or the refresh
    function's endpoint objects, which carry the same field names)."""

    name: str
    instance_type: str
    initial_instance_count: int
    deployment_strategy: str
    traffic_step_percent: int | None
    wait_interval_seconds: int
    alarm_names: Sequence[str]
    variant_name: str


@dataclass(frozen=True)
class Capture:
    """Data capture of every config: the data bucket's capture prefix, encrypted with the workload key."""

    s3_uri: str
    sampling_percent: int
    kms_key_arn: str


# ------------------------------------------------------------------------------------------------ names


def content_name(prefix: str, content: Mapping[str, Any]) -> str:
    """`<prefix>-<digest of content>`, at most 63 characters: the same content always gives the same name."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:DIGEST_LENGTH]
    head = prefix[: MAX_NAME_LENGTH - DIGEST_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}"


def single_model_request(endpoint: EndpointTarget, package_arn: str, version: int, role_arn: str) -> dict[str, Any]:
    """CreateModel for one registry version: the container is the package itself (its image, artifact and
    environment, read by SageMaker from the central registry, cross-account)."""
    body = {"PrimaryContainer": {"ModelPackageName": package_arn}, "ExecutionRoleArn": role_arn}
    return {"ModelName": content_name(f"{endpoint.name}-v{version}", body), **body}


def image_model_request(endpoint: EndpointTarget, version: int, image: str, model_data_url: str,
                        role_arn: str) -> dict[str, Any]:
    """CreateModel for one registry version from its image and artifact named explicitly (a region the registry's
    package is not in: its image and its artifact's replica in that region)."""
    body = {"PrimaryContainer": {"Image": image, "ModelDataUrl": model_data_url}, "ExecutionRoleArn": role_arn}
    return {"ModelName": content_name(f"{endpoint.name}-v{version}", body), **body}


def multi_model_request(endpoint: EndpointTarget, image: str, models_uri: str, role_arn: str) -> dict[str, Any]:
    """CreateModel for a multi-model endpoint: its image loads `<models_uri><TargetModel>` on demand."""
    body = {"PrimaryContainer": {"Image": image, "Mode": "MultiModel", "ModelDataUrl": models_uri},
            "ExecutionRoleArn": role_arn}
    return {"ModelName": content_name(f"{endpoint.name}-mm", body), **body}


def endpoint_config_request(endpoint: EndpointTarget, model_name: str, capture: Capture | None,
                            versions: Sequence[int]) -> dict[str, Any]:
    """CreateEndpointConfig: one variant (the same name in every config: blue/green needs it), data capture.

    `versions` are the registry versions it serves; they are part of the name's content, so a multi-model
    endpoint whose set of versions changes gets a new config and a new fleet (which forgets the models the old
    one had loaded, a rejected one among them). `capture` None: no data capture and no storage key (a region
    without the data bucket and the workload key, which are regional)."""
    body: dict[str, Any] = {
        "ProductionVariants": [{
            "VariantName": endpoint.variant_name, "ModelName": model_name, "InstanceType": endpoint.instance_type,
            "InitialInstanceCount": endpoint.initial_instance_count, "InitialVariantWeight": 1.0,
        }],
    }
    if capture is not None:
        body["KmsKeyId"] = capture.kms_key_arn
    if capture is not None and capture.sampling_percent > 0:
        body["DataCaptureConfig"] = {
            "EnableCapture": True, "InitialSamplingPercentage": capture.sampling_percent,
            "DestinationS3Uri": capture.s3_uri, "KmsKeyId": capture.kms_key_arn,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": CSV_CONTENT_TYPES,
                                         "JsonContentTypes": JSON_CONTENT_TYPES},
        }
    name = content_name(f"{endpoint.name}-{version_label(versions)}", {**body, "Versions": sorted(versions)})
    return {"EndpointConfigName": name, **body}


def version_label(versions: Sequence[int]) -> str:
    return f"v{versions[0]}" if len(versions) == 1 else "mm"


def deployment_config(endpoint: EndpointTarget) -> dict[str, Any]:
    """UpdateEndpoint's blue/green policy and the alarms that roll it back (Terraform creates them)."""
    routing: dict[str, Any] = {"Type": DEPLOYMENT_STRATEGIES[endpoint.deployment_strategy],
                               "WaitIntervalInSeconds": endpoint.wait_interval_seconds}
    step = {"Type": "CAPACITY_PERCENT", "Value": endpoint.traffic_step_percent}
    if routing["Type"] == "CANARY":
        routing["CanarySize"] = step
    elif routing["Type"] == "LINEAR":
        routing["LinearStepSize"] = step
    return {
        "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing, "TerminationWaitInSeconds": 0},
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": name} for name in endpoint.alarm_names]},
    }


# ------------------------------------------------------------------------------------------------ resources


def _client_error_code(error: Exception) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def _missing(error: Exception) -> bool:
    """SageMaker answers ValidationException "Could not find ..." for a model, config or endpoint that is not."""
    message = getattr(error, "response", {}).get("Error", {}).get("Message", "")
    return _client_error_code(error) in ("ValidationException", "ValidationError") and "ould not find" in message


def describe_endpoint(sagemaker, name: str) -> dict[str, Any] | None:
    try:
        return sagemaker.describe_endpoint(EndpointName=name)
    except sagemaker.exceptions.ClientError as error:
        if _missing(error):
            return None
        raise


def ensure_model(sagemaker, request: Mapping[str, Any], tags: Sequence[Mapping[str, str]] = ()) -> bool:
    """Create the model unless a model of that (content-addressed) name exists; True when created."""
    try:
        sagemaker.describe_model(ModelName=request["ModelName"])
        return False
    except sagemaker.exceptions.ClientError as error:
        if not _missing(error):
            raise
    try:
        sagemaker.create_model(**request, **({"Tags": list(tags)} if tags else {}))
    except sagemaker.exceptions.ClientError as error:
        if "already existing" not in str(error):  # created meanwhile by another deploy: the same content
            raise
        return False
    return True


def ensure_endpoint_config(sagemaker, request: Mapping[str, Any], tags: Sequence[Mapping[str, str]] = ()) -> bool:
    try:
        sagemaker.describe_endpoint_config(EndpointConfigName=request["EndpointConfigName"])
        return False
    except sagemaker.exceptions.ClientError as error:
        if not _missing(error):
            raise
    try:
        sagemaker.create_endpoint_config(**request, **({"Tags": list(tags)} if tags else {}))
    except sagemaker.exceptions.ClientError as error:
        if "already existing" not in str(error):
            raise
        return False
    return True


def endpoint_tags(sagemaker, endpoint_arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=endpoint_arn):
        tags.update({tag["Key"]: tag["Value"] for tag in page.get("Tags", [])})
    return tags


def previous_config(sagemaker, endpoint: Mapping[str, Any]) -> str | None:
    """The config the endpoint served before its last switch (its `mlops:previous-endpoint-config` tag)."""
    return endpoint_tags(sagemaker, endpoint["EndpointArn"]).get(PREVIOUS_CONFIG_TAG)


def require_updatable(endpoint: Mapping[str, Any]) -> None:
    status = endpoint["EndpointStatus"]
    if status == IN_SERVICE:
        return
    name = endpoint["EndpointName"]
    if status == FAILED:
        raise EndpointBusy(f"endpoint {name} is Failed ({endpoint.get('FailureReason', 'no reason given')}): "
                           f"SageMaker cannot update a failed endpoint; delete it (aws sagemaker delete-endpoint "
                           f"--endpoint-name {name}) and deploy again")
    raise EndpointBusy(f"endpoint {name} is {status}: it takes a deployment only when InService; wait for the "
                       f"change in progress to end (deploy-endpoint ... --wait follows it) and run again")


def switch_endpoint(sagemaker, endpoint: EndpointTarget, config_name: str,
                    current: Mapping[str, Any] | None) -> str:
    """Create the endpoint on `config_name`, or move it there by a blue/green update recording the config it
    leaves; 'created', 'updated' or 'unchanged' (already on it: no call, so a second run changes nothing)."""
    if current is None:
        sagemaker.create_endpoint(EndpointName=endpoint.name, EndpointConfigName=config_name)
        return "created"
    if current.get("EndpointConfigName") == config_name and "PendingDeploymentSummary" not in current:
        return "unchanged"  # an update under way would move it off config_name: refused below, not unchanged
    require_updatable(current)
    sagemaker.update_endpoint(EndpointName=endpoint.name, EndpointConfigName=config_name,
                              DeploymentConfig=deployment_config(endpoint))
    sagemaker.add_tags(ResourceArn=current["EndpointArn"],
                       Tags=[{"Key": PREVIOUS_CONFIG_TAG, "Value": current["EndpointConfigName"]}])
    return "updated"


def wait_for_endpoint(sagemaker, name: str, poll_seconds: float,
                      progress: Callable[[str], None] = log.info) -> dict[str, Any]:
    """Follow the endpoint until it settles (InService, Failed, ...); its last description."""
    last_status = None
    while True:
        endpoint = sagemaker.describe_endpoint(EndpointName=name)
        status = endpoint["EndpointStatus"]
        if status != last_status:
            progress(f"endpoint {name}: {status}")
            last_status = status
        if status in SETTLED_STATUSES:
            return endpoint
        time.sleep(poll_seconds)


def require_serving(endpoint: Mapping[str, Any], config_name: str) -> None:
    """DeploymentFailed unless the settled endpoint is InService on `config_name`."""
    name, status = endpoint["EndpointName"], endpoint["EndpointStatus"]
    if status != IN_SERVICE:
        raise DeploymentFailed(f"endpoint {name} ended {status}: {endpoint.get('FailureReason', 'no reason given')}")
    if endpoint.get("EndpointConfigName") != config_name:
        reason = endpoint.get("FailureReason")
        raise DeploymentFailed(
            f"the update of endpoint {name} to {config_name} was rolled back: it still serves "
            f"{endpoint.get('EndpointConfigName')}" + (f" ({reason})" if reason else "")
            + "; see its alarms (5xx errors, model latency) and the new model's logs")


# ------------------------------------------------------------------------------------------------ the registry


def group_name(group_arn: str) -> str:
    return group_arn.rsplit("/", 1)[-1]
