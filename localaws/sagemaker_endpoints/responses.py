"""SageMaker real-time endpoints in the local stack: the hosting actions and sagemaker-runtime InvokeEndpoint.

moto marks endpoints InService at once, has no UpdateEndpoint and answers InvokeEndpoint with a fixed body for
any name. Here (serving logic in `localaws.sagemaker_endpoints`):

- CreateEndpoint: Creating, then InService a few seconds of the stack's clock later (Failed with a FailureReason
  when a model artifact cannot be loaded); a second endpoint of the same name is refused.
- UpdateEndpoint (EndpointConfigName, DeploymentConfig, RetainDeploymentConfig, RetainAllVariantProperties,
  ExcludeRetainedVariantProperties): a blue/green deployment with ALL_AT_ONCE, CANARY or LINEAR traffic shifting,
  baking and auto-rollback on CloudWatch alarms (`localaws.sagemaker_endpoints.deployments`); refused unless InService.
- DescribeEndpoint: ProductionVariants (CurrentWeight, DesiredWeight, CurrentInstanceCount, DeployedImages),
  DataCaptureConfig, PendingDeploymentSummary during an update, LastDeploymentConfig, FailureReason.
- DeleteEndpoint (refused while Creating or Updating), ListEndpoints (statuses brought up to date),
  UpdateEndpointWeightsAndCapacities (applied at once).
- InvokeEndpoint (`localaws.sagemaker_endpoints.invocations`): the endpoint's current fleet (or, while traffic
  shifts, the new one for its share), a variant by weight or TargetVariant, its model (ModelDataUrl + Image, or
  a ModelPackageName: a model package ARN of any account, the central registry's, resolved in that account to
  its InferenceSpecification container), the built-in XGBoost container's answer, data capture, metrics.

A signed InvokeEndpoint request is answered before moto's dispatcher (`DomainDispatcherApplication.__call__` is
wrapped): moto's routing of a request costs more than the inference; any other request goes to moto unchanged.

An endpoint is served as it was deployed: the configuration and models are read when CreateEndpoint or
UpdateEndpoint is called, so deleting or changing them later does not change what the endpoint serves (as on
AWS). State lives on moto's endpoint objects; a moto reset forgets it and the model cache.

Read-back for tests and the demo (not an AWS API): `GET /_mlops/sagemaker/endpoints` answers
{"endpoints": [{"account", "region", "name", "status", "config", "pending_config", "stage", "traffic",
"stage_ends", "failure_reason"}]} after bringing every endpoint up to date with the clock.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.iam.models import get_account_id_from
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend, arn_formatter, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from werkzeug import Request, Response
from werkzeug.http import HTTP_STATUS_CODES

from localaws import inprocess
from localaws.events.schedules import CLOCK
from localaws.middleware import json_response, on_reset, on_restore, route
from localaws.persistence import touched
from localaws.sagemaker_endpoints import deployments, invocations
from localaws.sagemaker_endpoints.deployments import EndpointDeployment, Fleet, Variant
from pipelines import s3_uri
from pipelines.pipeline_definition.images import XGBOOST, image_family

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5
CLIENT_REUSE_SECONDS = 600.0  # well within the hour an assumed-role session lasts

_lock = threading.RLock()  # every endpoint's deployment state
_models = invocations.ModelStore()
_clients: dict[tuple[str, str, str | None], tuple[float, Any]] = {}
_clients_lock = threading.Lock()
_ticker_started = threading.Event()
_original_list_endpoints = SageMakerResponse.list_endpoints
_original_dispatch = DomainDispatcherApplication.__call__
_INVOCATIONS_PATH = re.compile(r"/endpoints/([^/]+)/invocations")
# Credential=<access key>/<date>/<region>/<service>/aws4_request
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/aws4_request")


def install() -> None:
    SageMakerResponse.create_endpoint = _create_endpoint
    SageMakerResponse.update_endpoint = _update_endpoint
    SageMakerResponse.describe_endpoint = _describe_endpoint
    SageMakerResponse.delete_endpoint = _delete_endpoint
    SageMakerResponse.list_endpoints = _list_endpoints
    SageMakerResponse.update_endpoint_weights_and_capacities = _update_endpoint_weights_and_capacities
    SageMakerRuntimeResponse.invoke_endpoint = _invoke_endpoint
    SageMakerRuntimeResponse.use_raw_body = True  # payloads are bytes (an image, protobuf), not UTF-8 text
    DomainDispatcherApplication.__call__ = _dispatch_invocations_first
    if not _ticker_started.is_set():
        _ticker_started.set()
        threading.Thread(target=_tick_forever, name="endpoint-ticker", daemon=True).start()


# -- moto's objects ------------------------------------------------------------------------------------------


def _deployment(endpoint: FakeEndpoint) -> EndpointDeployment:
    return endpoint.deployment


def _endpoint_arn(name: str, backend: SageMakerModelBackend) -> str:
    return arn_formatter("endpoint", name, backend.account_id, backend.region_name)


def _endpoint(backend: SageMakerModelBackend, name: str) -> FakeEndpoint:
    endpoint = backend.endpoints.get(name)
    if endpoint is None or not hasattr(endpoint, "deployment"):
        raise ValidationError(f'Could not find endpoint "{_endpoint_arn(name, backend)}".')
    return endpoint


def _all_endpoints() -> Iterator[tuple[SageMakerModelBackend, FakeEndpoint]]:
    for _account, regional in list(sagemaker_backends.items()):
        for _region, backend in list(regional.items()):
            for endpoint in list(backend.endpoints.values()):
                if hasattr(endpoint, "deployment"):
                    yield backend, endpoint


def _advance(backend: SageMakerModelBackend, endpoint: FakeEndpoint) -> EndpointDeployment:
    """The endpoint's deployment with every transition due by the clock's now applied (moto's fields synced)."""
    account, region = backend.account_id, backend.region_name
    with _lock:
        deployment = _deployment(endpoint)
        deployment.advance(CLOCK.now(), utcnow(), lambda variant, uri: _load_model(account, region, variant, uri),
                           lambda names, since: _alarms_in_alarm(account, region, names, since))
        touched.mark(sagemaker_backends)  # the ticker reaches endpoints by iterating, which notes nothing
        return _sync(endpoint, deployment)


def _sync(endpoint: FakeEndpoint, deployment: EndpointDeployment) -> EndpointDeployment:
    """moto's fields of the endpoint (ListEndpoints reads them) as the deployment stands."""
    endpoint.endpoint_status = deployment.status
    endpoint.endpoint_config_name = deployment.current.config_name
    endpoint.last_modified_time = _moto_time(deployment.last_modified)
    endpoint.failure_reason = deployment.failure_reason
    return deployment


@on_restore
def _fail_interrupted_deployments() -> None:
    """A deployment in progress when the stack stopped never completes: it fails, as an internal failure
    would (its fleet's models were never loaded by this process). InService fleets load theirs again at their
    first request (`Variant.single_model`)."""
    with _lock:
        for _backend, endpoint in _all_endpoints():
            if _deployment(endpoint).interrupt(CLOCK.now(), deployments.STOPPED_WITH_STACK):
                _sync(endpoint, _deployment(endpoint))
                touched.mark(sagemaker_backends)
                log.warning("endpoint %s was being deployed when the local stack stopped: %s",
                            endpoint.endpoint_name, endpoint.endpoint_status)


def _moto_time(moment: datetime) -> datetime:
    """moto keeps times naive (UTC) and compares them with the request's (ListEndpoints' time filters)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _tick_forever() -> None:
    while True:
        time.sleep(TICK_SECONDS)
        # What advancing may meet (an artifact that does not load) rolls the update back inside `advance`;
        # anything else is a bug, and surfaces.
        for backend, endpoint in _all_endpoints():
            if _deployment(endpoint).status in deployments.IN_PROGRESS:
                _advance(backend, endpoint)


def _s3(account: str, region: str, role_arn: str | None = None) -> Any:
    """An S3 client acting in the endpoint's account: as `role_arn` (a model's execution role, assumed as
    SageMaker assumes it for the account) when given, otherwise as the account's administrator."""
    key = (account, region, role_arn)
    with _clients_lock:
        made, client = _clients.get(key, (0.0, None))
        if client is None or time.monotonic() - made > CLIENT_REUSE_SECONDS:
            acting = {"role_arn": role_arn, "service": inprocess.SAGEMAKER_PRINCIPAL} if role_arn else {}
            client = inprocess.session(account, region, **acting).client("s3")
            _clients[key] = (time.monotonic(), client)
        return client


def _load_model(account: str, region: str, variant: Variant, uri: str) -> Any:
    """The booster at `uri`, downloaded as the variant's model's execution role, as SageMaker does."""
    if deployments.SCRIPT_PROGRAM in variant.environment:  # empty: a non-empty one was refused at creation
        raise deployments.LoadFailure(deployments.health_check_failure_reason(variant.name))
    try:
        s3 = _s3(account, region, variant.execution_role_arn)
    except (ClientError, BotoCoreError):  # SageMaker cannot assume the role (its trust policy, or no such role)
        raise deployments.ModelDownloadFailure(deployments.download_failure_reason(uri)) from None
    return _models.load(s3, uri)


def _alarms_in_alarm(account: str, region: str, names: list[str], since: datetime) -> list[str]:
    """The alarms among `names` (in the endpoint's account and region) in ALARM at some moment since `since`."""
    alarms = cloudwatch_backends[account][region].alarms
    tripped = []
    for name in names:
        alarm = alarms.get(name)
        if alarm is None:
            continue
        # (state, entered) for every state the alarm has been in; a state lasts until the next one is entered
        states = [(entry[3], entry[4]) for entry in alarm.history if entry[0] == "StateUpdate"]
        states.append((alarm.state_value, alarm.state_updated_timestamp))
        for (state, _entered), (_next_state, left) in zip(states, [*states[1:], (None, None)], strict=True):
            if state == "ALARM" and (left is None or left >= since):
                tripped.append(name)
                break
    return tripped


@on_reset
def _forget() -> None:
    _models.clear()
    with _clients_lock:
        _clients.clear()


# -- fleets from endpoint configurations ---------------------------------------------------------------------


def _fleet(backend: SageMakerModelBackend, config_name: str, now: datetime,
           retained: Fleet | None = None, excluded: frozenset[str] = frozenset()) -> Fleet:
    config = backend.endpoint_configs.get(config_name)
    if config is None:
        arn = arn_formatter("endpoint-config", config_name, backend.account_id, backend.region_name)
        raise ValidationError(f'Could not find endpoint configuration "{arn}".')
    variants = []
    for production_variant in config.production_variants:
        model = backend._models.get(production_variant["ModelName"])
        if model is None:
            arn = arn_formatter("model", production_variant["ModelName"], backend.account_id, backend.region_name)
            raise ValidationError(f'Could not find model "{arn}".')
        if len(model.containers) > 1:
            raise ValidationError(f"Model {model.model_name} has {len(model.containers)} containers: the local "
                                  "stack serves single-container models only")
        container = model.primary_container or (model.containers[0] if model.containers else {})
        image, model_data_url, environment = _container_source(backend, container)
        if image_family(image) != XGBOOST:
            raise ValidationError(f"Model {model.model_name}: the local stack serves the built-in XGBoost image "
                                  f"(sagemaker-xgboost) only, not {image}")
        if environment.get(deployments.SCRIPT_PROGRAM):
            raise ValidationError(f"Model {model.model_name}: the local stack serves the built-in XGBoost algorithm "
                                  f"only, not a script ({deployments.SCRIPT_PROGRAM}="
                                  f"{environment[deployments.SCRIPT_PROGRAM]})")
        if not model_data_url:
            raise ValidationError(f"Model {model.model_name} has no ModelDataUrl to serve")
        weight = float(production_variant.get("InitialVariantWeight", 1.0))
        count = int(production_variant.get("InitialInstanceCount") or 1)
        previous = retained.variant(production_variant["VariantName"]) if retained else None
        if previous is not None:  # RetainAllVariantProperties
            weight = weight if "DesiredWeight" in excluded else previous.weight
            count = count if "DesiredInstanceCount" in excluded else previous.instance_count
        variants.append(Variant(
            name=production_variant["VariantName"], model_name=model.model_name, image=image,
            model_data_url=model_data_url, mode=container.get("Mode") or deployments.SINGLE_MODEL,
            instance_type=production_variant.get("InstanceType"), instance_count=count, weight=weight,
            execution_role_arn=model.execution_role_arn, environment=environment))
    capture = config.data_capture_config or None
    if retained is not None and "DataCaptureConfig" not in excluded:
        capture = retained.data_capture
    return Fleet(config_name=config_name, variants=variants, data_capture=capture,
                 ready_at=now + timedelta(seconds=deployments.FLEET_READY_SECONDS))


def _container_source(backend: SageMakerModelBackend, container: dict) -> tuple[str, str | None, dict[str, str]]:
    """(image, model data URL, environment) of a model's container; a ModelPackageName is resolved in its own
    account, the model's environment entries over the package's."""
    environment = dict(container.get("Environment") or {})
    package_name = container.get("ModelPackageName")
    if not package_name:
        source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
        return container.get("Image", ""), container.get("ModelDataUrl") or source.get("S3Uri"), environment
    owner = backend
    if package_name.startswith("arn:"):
        _, _, _, region, account, _ = package_name.split(":", 5)
        owner = sagemaker_backends[account][region]
    package = owner.describe_model_package(package_name)
    package_containers = (package.inference_specification or {}).get("Containers") or []
    if not package_containers:
        raise ValidationError(f"Model package {package_name} has no InferenceSpecification container")
    first = package_containers[0]
    source = (first.get("ModelDataSource") or {}).get("S3DataSource") or {}
    return (first.get("Image", ""), first.get("ModelDataUrl") or source.get("S3Uri"),
            {**(first.get("Environment") or {}), **environment})


# -- the SageMaker actions -----------------------------------------------------------------------------------


def _create_endpoint(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    name = self._get_param("EndpointName")
    config_name = self._get_param("EndpointConfigName")
    with _lock:
        if name in backend.endpoints:
            raise ValidationError(f'Cannot create already existing endpoint "{_endpoint_arn(name, backend)}".')
        now = CLOCK.now()
        fleet = _fleet(backend, config_name, now)
        deployment_config = self._get_param("DeploymentConfig")
        reason = deployments.check_routing(deployment_config, fleet)
        if reason:
            raise ValidationError(reason)
        config = backend.endpoint_configs[config_name]
        endpoint = FakeEndpoint(account_id=backend.account_id, region_name=backend.region_name, endpoint_name=name,
                                endpoint_config_name=config_name, production_variants=config.production_variants,
                                data_capture_config=config.data_capture_config, tags=self._get_param("Tags") or [])
        endpoint.deployment = EndpointDeployment(name, endpoint.arn, fleet, deployment_config, now)
        endpoint.endpoint_status = deployments.CREATING
        endpoint.creation_time = endpoint.last_modified_time = _moto_time(now)
        backend.endpoints[name] = endpoint
    return ActionResult({"EndpointArn": endpoint.arn})


def _update_endpoint(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    endpoint = _endpoint(backend, self._get_param("EndpointName"))
    with _lock:
        deployment = _refuse_unless_in_service(_advance(backend, endpoint), endpoint)
        now = CLOCK.now()
        retain = bool(self._get_param("RetainAllVariantProperties"))
        excluded = frozenset(item["VariantPropertyType"]
                             for item in self._get_param("ExcludeRetainedVariantProperties") or [])
        fleet = _fleet(backend, self._get_param("EndpointConfigName"), now,
                       deployment.current if retain else None, excluded)
        deployment_config = self._get_param("DeploymentConfig")
        if not deployment_config and self._get_param("RetainDeploymentConfig"):
            deployment_config = deployment.last_deployment_config
        reason = deployments.check_routing(deployment_config, fleet)
        if reason:
            raise ValidationError(reason)
        deployment.start_update(fleet, deployment_config, now)
        _advance(backend, endpoint)
    return ActionResult({"EndpointArn": endpoint.arn})


def _refuse_unless_in_service(deployment: EndpointDeployment, endpoint: FakeEndpoint) -> EndpointDeployment:
    if deployment.status in deployments.IN_PROGRESS:
        raise ValidationError(f'Cannot update in-progress endpoint "{endpoint.arn}".')
    if deployment.status == deployments.FAILED:  # on AWS only DeleteEndpoint acts on a failed endpoint
        raise ValidationError(f'Cannot update failed endpoint "{endpoint.arn}": delete it and create it again.')
    return deployment


def _describe_endpoint(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    endpoint = _endpoint(backend, self._get_param("EndpointName"))
    with _lock:
        description = _advance(backend, endpoint).describe()
        description["EndpointArn"] = endpoint.arn
    return ActionResult(description)


def _delete_endpoint(self: SageMakerResponse) -> EmptyResult:
    backend = self.sagemaker_backend
    endpoint = _endpoint(backend, self._get_param("EndpointName"))
    with _lock:
        if _advance(backend, endpoint).status in deployments.IN_PROGRESS:
            raise ValidationError(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        del backend.endpoints[endpoint.endpoint_name]
    return EmptyResult()


def _list_endpoints(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    for endpoint in list(backend.endpoints.values()):
        if hasattr(endpoint, "deployment"):
            _advance(backend, endpoint)
    return _original_list_endpoints(self)


def _update_endpoint_weights_and_capacities(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    endpoint = _endpoint(backend, self._get_param("EndpointName"))
    with _lock:
        deployment = _refuse_unless_in_service(_advance(backend, endpoint), endpoint)
        changes = self._get_param("DesiredWeightsAndCapacities") or []
        names = [change.get("VariantName") for change in changes]
        for name in names:
            if names.count(name) > 1:
                raise ValidationError(f'The variant name "{name}" was non-unique within the request.')
            if deployment.current.variant(name) is None:
                raise ValidationError(f'The variant name(s) "{name}" is/are not present within endpoint '
                                      f'configuration "{deployment.current.config_name}".')
        for change in changes:
            variant = deployment.current.variant(change["VariantName"])
            if change.get("DesiredWeight") is not None:
                variant.weight = float(change["DesiredWeight"])
            if change.get("DesiredInstanceCount") is not None:
                variant.instance_count = int(change["DesiredInstanceCount"])
        deployment.last_modified = CLOCK.now()
    return ActionResult({"EndpointArn": endpoint.arn})


# -- sagemaker-runtime InvokeEndpoint ------------------------------------------------------------------------


def _invoke_endpoint(self: SageMakerRuntimeResponse) -> tuple[int, dict[str, str], bytes]:
    account, region = self.current_account, self.region
    name = urllib.parse.unquote(self.path.split("/")[2])
    headers = {key.lower(): value for key, value in self.headers.items()}
    request = invocations.InvokeRequest(
        account=account, region=region, endpoint_name=name, body=self.raw_body or b"",
        content_type=headers.get("content-type"), accept=headers.get("accept"),
        target_model=headers.get("x-amzn-sagemaker-target-model"),
        target_variant=headers.get("x-amzn-sagemaker-target-variant"),
        inference_id=headers.get("x-amzn-sagemaker-inference-id"))
    response = _invoke(request)
    # moto takes the HTTP status of an answer from its "status" header
    return response.status, {**response.headers, "status": str(response.status)}, response.body


def _dispatch_invocations_first(self: DomainDispatcherApplication, environ: dict, start_response) -> Any:
    """A signed InvokeEndpoint is answered here, before moto's dispatcher: finding the backend and building the
    request through Flask costs more than the inference itself. The answer is the same (`_invoke`)."""
    match = _INVOCATIONS_PATH.fullmatch(environ.get("PATH_INFO", ""))
    credential = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not (match and credential and credential.group(3) == "sagemaker" and environ.get("REQUEST_METHOD") == "POST"):
        return _original_dispatch(self, environ, start_response)
    # the account as moto's responses find it
    account = os.environ.get("MOTO_ACCOUNT_ID") or environ.get("HTTP_X_MOTO_ACCOUNT_ID") or \
        get_account_id_from(credential.group(1))
    request = Request(environ)
    request_id = str(uuid.uuid4())
    response = _invoke(invocations.InvokeRequest(
        account=account, region=credential.group(2), endpoint_name=urllib.parse.unquote(match.group(1)),
        body=request.get_data(), content_type=environ.get("CONTENT_TYPE") or None, accept=environ.get("HTTP_ACCEPT"),
        target_model=environ.get("HTTP_X_AMZN_SAGEMAKER_TARGET_MODEL"),
        target_variant=environ.get("HTTP_X_AMZN_SAGEMAKER_TARGET_VARIANT"),
        inference_id=environ.get("HTTP_X_AMZN_SAGEMAKER_INFERENCE_ID"), request_id=request_id))
    headers = [*response.headers.items(), ("x-amzn-RequestId", request_id),
               ("Content-Length", str(len(response.body)))]
    start_response(f"{response.status} {HTTP_STATUS_CODES.get(response.status, '')}".rstrip(), headers)
    return [response.body]


def _invoke(request: invocations.InvokeRequest) -> invocations.InvokeResponse:
    if (too_long := invocations.body_too_long(request)) is not None:
        return too_long
    with touched.reading():  # an invocation changes no endpoint unless one is due to move (`_advance` says so)
        backend = sagemaker_backends[request.account][request.region]
    endpoint = backend.endpoints.get(request.endpoint_name)
    not_found = invocations.validation_error(f"Endpoint {request.endpoint_name} of account {request.account} "
                                             "not found.")
    if endpoint is None or not hasattr(endpoint, "deployment"):
        return not_found
    with _lock:
        deployment = _deployment(endpoint)
        if deployment.status != deployments.IN_SERVICE or deployment.rollout is not None:
            deployment = _advance(backend, endpoint)  # a steady endpoint has nothing due
        if deployment.status not in (deployments.IN_SERVICE, deployments.UPDATING):
            return not_found
        try:
            fleet, variant = deployment.route(request.target_variant)
        except deployments.RoutingError as error:
            return invocations.validation_error(str(error))
        capture_config = fleet.data_capture or {}
        sampled = bool(capture_config.get("EnableCapture", True)) and bool(capture_config) and \
            deployment.sample(float(capture_config.get("InitialSamplingPercentage", 0)))
    now = CLOCK.now()
    capture = (lambda record, uri: _write_capture(request, capture_config, record, uri)) if sampled else None
    return invocations.invoke(request, fleet, variant,
                              lambda served, uri: _load_model(request.account, request.region, served, uri),
                              capture, lambda data: _put_metrics(request.account, request.region, data), now)


def _write_capture(request: invocations.InvokeRequest, config: dict, record: dict, uri: str) -> None:
    bucket, key = s3_uri.split(uri)
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": config["KmsKeyId"]} if config.get("KmsKeyId") else {}
    try:
        _s3(request.account, request.region).put_object(
            Bucket=bucket, Key=key, Body=(json.dumps(record, separators=(",", ":")) + "\n").encode(), **extra)
    except (ClientError, BotoCoreError):  # capture never fails the invocation, as on AWS
        log.exception("data capture of endpoint %s could not be written to %s", request.endpoint_name, uri)


def _put_metrics(account: str, region: str, metric_data: list[dict]) -> None:
    naive = [{**datum, "Timestamp": _moto_time(datum["Timestamp"])} for datum in metric_data]
    cloudwatch_backends[account][region].put_metric_data(invocations.METRICS_NAMESPACE, naive)


# -- read-back -----------------------------------------------------------------------------------------------


@route("sagemaker/endpoints", methods=("GET",))
def endpoints_route(request: Request) -> Response:
    rows = []
    for backend, endpoint in _all_endpoints():
        with _lock:
            deployment = _advance(backend, endpoint)
            rollout = deployment.rollout
            rows.append({"account": backend.account_id, "region": backend.region_name, "name": deployment.name,
                         "status": deployment.status, "config": deployment.current.config_name,
                         "pending_config": rollout.fleet.config_name if rollout else None,
                         "stage": rollout.stage if rollout else None,
                         "traffic": rollout.traffic if rollout else None,
                         "stage_ends": rollout.stage_end.isoformat() if rollout and rollout.stage_end else None,
                         "failure_reason": deployment.failure_reason})
    return json_response({"endpoints": rows})
