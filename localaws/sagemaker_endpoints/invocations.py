"""InvokeEndpoint as SageMaker's runtime answers it, once the endpoint and the variant are chosen.

- A single-model variant answers with the model its fleet loaded when it became ready. A multi-model variant
  (container Mode MultiModel, ModelDataUrl an S3 prefix) loads `<prefix>/<TargetModel>` on the first request
  naming it and keeps it for the fleet's life: an artifact overwritten later is served again only by a fleet
  that UpdateEndpoint brings up. Boosters are shared by artifact URI and ETag.
- Errors are the runtime's: ValidationError (HTTP 400) for requests no model can take (a body over 6 MiB among
  them), ModelError (HTTP 424) with OriginalStatusCode, OriginalMessage and LogStreamArn when the container
  answers 4xx/5xx.
- Data capture (the fleet's DataCaptureConfig): a sampled invocation is written as one JSON Lines record
  {"captureData": {"endpointInput", "endpointOutput"}, "eventMetadata": {"eventId", "inferenceId",
  "inferenceTime"}, "eventVersion": "0"} to
  `<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<mmm>-<uuid>.jsonl` (one object per record
  here; SageMaker buffers several per object). Data is CSV- or JSON-encoded text when its content type is listed
  in CaptureContentTypeHeader, BASE64 otherwise.
- Metrics in AWS/SageMaker (dimensions EndpointName and VariantName): Invocations,
  Invocation4XXErrors, Invocation5XXErrors, ModelLatency and OverheadLatency (microseconds).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from localaws.sagemaker_endpoints.deployments import (
    Fleet,
    Loader,
    LoadFailure,
    ModelDownloadFailure,
    Variant,
    download_failure_reason,
)
from pipelines import s3_uri

if TYPE_CHECKING:
    from localaws.sagemaker_endpoints import xgboost_container

METRICS_NAMESPACE = "AWS/SageMaker"
# The runtime's request body limit (botocore's sagemaker-runtime model: BodyBlob max 6291456, 6 MiB). A longer body
# fails the service's input validation, before any endpoint is looked up, with its usual message for a length
# constraint on the member `body`. An empty body passes: the runtime hands it to the container (the XGBoost
# container answers 204, no content).
MAX_BODY_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class InvokeRequest:
    account: str
    region: str
    endpoint_name: str
    body: bytes
    content_type: str | None = None
    accept: str | None = None
    target_model: str | None = None
    target_variant: str | None = None
    inference_id: str | None = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class InvokeResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def validation_error(message: str) -> InvokeResponse:
    return _error(400, "ValidationError", {"Message": message})


def body_too_long(request: InvokeRequest) -> InvokeResponse | None:
    if len(request.body) <= MAX_BODY_BYTES:
        return None
    return validation_error("1 validation error detected: Value at 'body' failed to satisfy constraint: Member must "
                            f"have length less than or equal to {MAX_BODY_BYTES}")


def _error(status: int, code: str, fields: dict[str, Any]) -> InvokeResponse:
    return InvokeResponse(status, {"x-amzn-ErrorType": code, "Content-Type": "application/json"},
                          json.dumps(fields).encode())


class ModelStore:
    """Boosters by artifact URI and ETag, read from S3 with the client the caller gives."""

    def __init__(self) -> None:
        self._boosters: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._boosters.clear()

    def load(self, s3: Any, uri: str) -> Any:
        bucket, key = s3_uri.split(uri)
        try:
            etag = s3.head_object(Bucket=bucket, Key=key)["ETag"]
        except ClientError:  # missing, or denied to the role: SageMaker's reason does not tell them apart
            raise ModelDownloadFailure(download_failure_reason(uri)) from None
        with self._lock:
            booster = self._boosters.get((uri, etag))
        if booster is not None:
            return booster
        try:
            data = s3.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"].read()
        except ClientError:
            raise ModelDownloadFailure(download_failure_reason(uri)) from None
        # Imported at the first load: XGBoost costs a stack about a second of CPU at start, and most never serve.
        from localaws.sagemaker_endpoints import model_archive

        try:
            booster = model_archive.load_xgboost_model(data)
        except model_archive.ModelArchiveError as error:
            raise LoadFailure(f"Failed to extract model data archive from URL {uri}: {error}.") from None
        booster.set_param("nthread", 1)  # as the container does: one worker per core, one thread per worker
        with self._lock:
            self._boosters[(uri, etag)] = booster
        return booster


def multi_model_uri(prefix: str, target_model: str) -> str:
    return prefix + target_model if prefix.endswith("/") else f"{prefix}/{target_model}"


def invoke(request: InvokeRequest, fleet: Fleet, variant: Variant, load: Loader,
           capture: Callable[[dict[str, Any], str], None] | None, metrics: Callable[[list[dict]], None],
           now: datetime) -> InvokeResponse:
    """Answer the request with `variant` of `fleet`; `capture(record, key_uri)` writes a capture record."""
    started = time.perf_counter()
    if request.target_model is not None and not variant.multi_model:
        return validation_error(f"Endpoint {request.endpoint_name} is not a multi-model endpoint and does not "
                                "support target model header.")
    if variant.multi_model:
        if not request.target_model:
            return validation_error(f"Request {request.request_id} is missing a target model header.")
        booster = _multi_model_booster(variant, request.target_model, load)
        if isinstance(booster, InvokeResponse):
            return booster
    else:
        try:
            booster = variant.single_model(load)
        except LoadFailure as failure:  # a restarted stack reloads the artifact, which may be gone since
            return _error(424, "ModelError", {"Message": f"Failed to load model {variant.model_name}: {failure}",
                                              "OriginalStatusCode": 500, "OriginalMessage": str(failure)})
    from localaws.sagemaker_endpoints import xgboost_container  # see ModelStore.load

    model_started = time.perf_counter()
    answer = xgboost_container.invoke(booster, request.body, request.content_type, request.accept)
    model_microseconds = (time.perf_counter() - model_started) * 1e6
    metrics(_metric_data(request.endpoint_name, variant.name, answer.status, model_microseconds,
                         (time.perf_counter() - started) * 1e6 - model_microseconds, now))
    if not answer.ok:
        return _model_error(request, answer)
    if capture is not None:
        _capture(request, fleet, variant, answer, capture, now)
    return InvokeResponse(200, {"Content-Type": answer.content_type,
                                "x-Amzn-Invoked-Production-Variant": variant.name}, answer.body)


def _multi_model_booster(variant: Variant, target_model: str, load: Loader) -> Any:
    with variant.lock:  # one load per model and fleet, as the instance downloads it once
        booster = variant.loaded.get(target_model)
        if booster is not None:
            return booster
        uri = multi_model_uri(variant.model_data_url or "", target_model)
        try:
            booster = load(variant, uri)
        except LoadFailure as failure:
            if isinstance(failure, ModelDownloadFailure):
                bucket, key = s3_uri.split(uri)
                return validation_error(
                    f"Failed to download model data(bucket: {bucket}, key: {key}). Please ensure that there is an "
                    "object located at the URL and that the role passed to CreateModel has permissions to download "
                    "the model.")
            return _error(424, "ModelError", {"Message": f"Failed to load model {target_model}: {failure}",
                                              "OriginalStatusCode": 500, "OriginalMessage": str(failure)})
        variant.loaded[target_model] = booster
        return booster


def _model_error(request: InvokeRequest, answer: xgboost_container.ContainerAnswer) -> InvokeResponse:
    original = answer.body.decode("utf-8", "replace")
    kind = "client" if answer.status < 500 else "server"
    log_group = f"/aws/sagemaker/Endpoints/{request.endpoint_name}"
    return _error(424, "ModelError", {
        "Message": f'Received {kind} error ({answer.status}) from primary with message "{original}". See '
                   f"https://{request.region}.console.aws.amazon.com/cloudwatch/home?region={request.region}"
                   f"#logEventViewer:group={log_group} in account {request.account} for more information.",
        "OriginalStatusCode": answer.status, "OriginalMessage": original,
        "LogStreamArn": f"arn:aws:logs:{request.region}:{request.account}:log-group:{log_group}"})


def _metric_data(endpoint: str, variant: str, status: int, model_us: float, overhead_us: float,
                 now: datetime) -> list[dict]:
    values = [("Invocations", 1.0, "None"), ("Invocation4XXErrors", float(400 <= status < 500), "None"),
              ("Invocation5XXErrors", float(status >= 500), "None"), ("ModelLatency", model_us, "Microseconds"),
              ("OverheadLatency", max(overhead_us, 0.0), "Microseconds")]
    # Only the EndpointName+VariantName set: moto matches a query's dimensions against any superset, so the set
    # with EndpointConfigName as well (which SageMaker also emits during deployments) would count twice.
    dimensions = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}]
    return [{"MetricName": name, "Value": value, "Unit": unit, "Dimensions": dimensions, "Timestamp": now}
            for name, value, unit in values]


def _capture(request: InvokeRequest, fleet: Fleet, variant: Variant, answer: xgboost_container.ContainerAnswer,
             capture: Callable[[dict[str, Any], str], None], now: datetime) -> None:
    config = fleet.data_capture or {}
    modes = {option.get("CaptureMode") for option in config.get("CaptureOptions") or []}
    headers = config.get("CaptureContentTypeHeader") or {}
    data: dict[str, Any] = {}
    if modes & {"Input", "InputAndOutput"}:
        data["endpointInput"] = _captured(request.content_type or "application/octet-stream", request.body, "INPUT",
                                          headers)
    if modes & {"Output", "InputAndOutput"}:
        data["endpointOutput"] = _captured(answer.content_type, answer.body, "OUTPUT", headers)
    event_id = str(uuid.uuid4())
    metadata = {"eventId": event_id, "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if request.inference_id:
        metadata["inferenceId"] = request.inference_id
    record = {"captureData": data, "eventMetadata": metadata, "eventVersion": "0"}
    key = (f"{config['DestinationS3Uri'].rstrip('/')}/{request.endpoint_name}/{variant.name}/"
           f"{now:%Y/%m/%d/%H}/{now:%M-%S}-{now.microsecond // 1000:03d}-{event_id}.jsonl")
    capture(record, key)


def _captured(content_type: str, body: bytes, mode: str, headers: dict) -> dict[str, str]:
    media_type = content_type.split(";")[0].strip().lower()
    encoding = "BASE64"
    if media_type in {value.lower() for value in headers.get("CsvContentTypes") or []}:
        encoding = "CSV"
    elif media_type in {value.lower() for value in headers.get("JsonContentTypes") or []}:
        encoding = "JSON"
    text = base64.b64encode(body).decode() if encoding == "BASE64" else body.decode("utf-8", "replace")
    return {"observedContentType": content_type, "mode": mode, "data": text, "encoding": encoding}
