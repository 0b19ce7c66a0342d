"""Invoke a workload account's endpoint: the library behind `invoke-endpoint` (pipelines/cli/invoke_endpoint.py), the
Jenkins smoke test and the demo.

Requests are CSV rows (the features without the label, as the built-in XGBoost container takes them) or a raw
payload with its content type; answers are read as CSV or JSON (`Accept`). A multi-model endpoint needs a
TargetModel (`<group>/v<N>.tar.gz`, or `version=N`); a single-model endpoint refuses one.

Failover is client-side (`invoke_with_failover`, `--failover`): the endpoint in the primary region, then the
same endpoint in prod's secondary region when the primary cannot answer (no such endpoint or not InService, the
region unreachable, a server-side error); a request the model itself refuses is not retried elsewhere. The
pinned boto3's sagemaker-runtime has no cross-region routing of its own (InvokeEndpoint,
InvokeEndpointAsync, InvokeEndpointWithResponseStream only), so the caller chooses the region.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.aws import Target
from pipelines.aws_calls import CONNECTION_FAILURES, explained_aws_errors, failed_endpoint
from pipelines.config import MULTI_MODEL, EnvConfig, load_config
from pipelines.endpoints import hosting
from pipelines.endpoints.deployment import config_versions
from pipelines.endpoints.refresh import target_model as target_model_of
from pipelines.errors import (
    DeploymentFailed,
    EndpointNotFound,
    EndpointUnavailable,
    MlopsError,
    RegionUnreachable,
    RequestRejected,
    TargetModelNotAllowed,
    UsageError,
)

logger = logging.getLogger("invoke-endpoint")
CSV, JSON = "text/csv", "application/json"
ACCEPTS = {"csv": CSV, "json": JSON}
# Two masses of the UCI data set's kind (Age, Shape, Margin, Density): a young patient's round, circumscribed one
# and an old patient's irregular, spiculated one. Any model worth serving scores the second higher.
SMOKE_ROWS = ((25, 1, 1, 3), (75, 4, 5, 3))


@dataclass(frozen=True)
class Invocation:
    """One InvokeEndpoint answer."""

    endpoint: str
    region: str
    target_model: str | None
    invoked_variant: str | None
    content_type: str
    body: str
    predictions: tuple[float, ...]


def csv_payload(rows: Sequence[Sequence[float | int | str]]) -> str:
    return "".join(",".join(str(value) for value in row) + "\n" for row in rows)


def parse_predictions(body: str, content_type: str) -> tuple[float, ...]:
    """Scores from a CSV answer (one per line or comma-separated) or a JSON one ({"predictions": [{"score"}]})."""
    try:
        if content_type.split(";")[0].strip() == JSON:
            answer = json.loads(body)
            items = answer.get("predictions", answer) if isinstance(answer, dict) else answer
            return tuple(float(item["score"] if isinstance(item, dict) else item) for item in items)
        return tuple(float(value) for value in body.replace("\n", ",").split(",") if value.strip())
    except (ValueError, TypeError, KeyError) as error:
        raise MlopsError(f"the endpoint answered {content_type} that holds no scores ({error}): {body[:200]!r}") \
            from None


def invoke_endpoint(runtime, endpoint_name: str, payload: str | bytes, content_type: str = CSV,
                    accept: str = CSV, target_model: str | None = None) -> Invocation:
    """InvokeEndpoint with a sagemaker-runtime client (of the region to call)."""
    kwargs = {"EndpointName": endpoint_name, "Body": payload, "ContentType": content_type, "Accept": accept}
    if target_model:
        kwargs["TargetModel"] = target_model
    try:
        answer = runtime.invoke_endpoint(**kwargs)
    except runtime.exceptions.ModelError as error:
        detail = error.response.get("OriginalMessage") or error.response["Error"].get("Message", "")
        status = error.response.get("OriginalStatusCode")
        if isinstance(status, int) and 400 <= status < 500:  # the model read the request and refused it
            raise RequestRejected(f"endpoint {endpoint_name}'s model refused the request ({status}): {detail}: "
                                  "check the payload (CSV rows of Age,Shape,Margin,Density)") from None
        raise DeploymentFailed(f"endpoint {endpoint_name}'s model failed the request "
                               f"({status if status is not None else '?'}): {detail}") from None
    except runtime.exceptions.ClientError as error:
        message = error.response["Error"].get("Message", str(error))
        if "not found" in message.lower() or "could not find" in message.lower():
            raise EndpointNotFound(f"endpoint {endpoint_name} does not exist in {runtime.meta.region_name}: deploy "
                                   "it first (deploy-endpoint)") from None
        problem = f"invoking endpoint {endpoint_name}: {error.response['Error'].get('Code')}: {message}"
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            raise EndpointUnavailable(problem) from None
        raise MlopsError(problem) from None
    except CONNECTION_FAILURES as error:
        raise RegionUnreachable(f"invoking endpoint {endpoint_name} in {runtime.meta.region_name}: {error}",
                                failed_endpoint(error), f"invoking endpoint {endpoint_name}",
                                type(error).__name__) from None
    body = answer["Body"].read().decode("utf-8", "replace")
    answered_type = answer.get("ContentType") or accept
    return Invocation(endpoint_name, runtime.meta.region_name, target_model, answer.get("InvokedProductionVariant"),
                      answered_type, body, parse_predictions(body, answered_type))


def resolve_target_model(config: EnvConfig, endpoint_name: str, version: int | None,
                         target_model: str | None) -> str | None:
    """The TargetModel to send, checked against the endpoint's mode (a named error before any call)."""
    endpoint = config.require_endpoint(endpoint_name)
    if version is not None and target_model is not None:
        raise UsageError("give --version N or --target-model, not both")
    if endpoint.mode != MULTI_MODEL:
        if version is not None or target_model is not None:
            raise TargetModelNotAllowed(
                f"endpoint {endpoint_name} is single-model: it serves one version and takes no TargetModel; "
                f"invoke it without --version/--target-model (deploy-endpoint --version N changes the version)")
        return None
    if version is not None:
        return target_model_of(config.model_registry.model_package_group_name, version)
    return target_model


def invoke(target: Target, config: EnvConfig, endpoint_name: str, payload: str | bytes, *,
           content_type: str = CSV, accept: str = CSV, version: int | None = None, target_model: str | None = None,
           region: str | None = None) -> Invocation:
    """Invoke `endpoint_name` of `config`'s account in `region` (default: the account's region)."""
    chosen = resolve_target_model(config, endpoint_name, version, target_model)
    if config.require_endpoint(endpoint_name).mode == MULTI_MODEL and chosen is None:
        raise TargetModelNotAllowed(f"endpoint {endpoint_name} is multi-model: choose the version to invoke with "
                                    f"--version N (TargetModel <group>/v<N>.tar.gz)")
    session = target.session(config.account_id, region or config.aws_region)
    return invoke_endpoint(session.client("sagemaker-runtime"), endpoint_name, payload, content_type, accept, chosen)


@dataclass(frozen=True)
class FailoverInvocation:
    """What `invoke_with_failover` got: the answer, the region that served it, and why the primary did not."""

    invocation: Invocation
    primary_region: str
    primary_error: str | None
    """None when the primary region answered."""

    @property
    def region(self) -> str:
        return self.invocation.region

    @property
    def failed_over(self) -> bool:
        return self.primary_error is not None


def invoke_with_failover(target: Target, config: EnvConfig, endpoint_name: str, payload: str | bytes, *,
                         content_type: str = CSV, accept: str = CSV, version: int | None = None,
                         target_model: str | None = None) -> FailoverInvocation:
    """Invoke the endpoint in the primary region; when that region cannot answer (EndpointNotFound,
    EndpointUnavailable), the same endpoint in the secondary region. An error there is raised as it is."""
    secondary = config.require_secondary_region().region
    kwargs = {"content_type": content_type, "accept": accept, "version": version, "target_model": target_model}
    try:
        return FailoverInvocation(invoke(target, config, endpoint_name, payload, **kwargs), config.aws_region, None)
    except (EndpointNotFound, EndpointUnavailable) as error:
        logger.warning("%s; failing over to %s", error, secondary)
        answer = invoke(target, config, endpoint_name, payload, region=secondary, **kwargs)
        return FailoverInvocation(answer, config.aws_region, str(error))


def smoke_test(target: Target, config: EnvConfig, endpoint_name: str, region: str | None = None,
               version: int | None = None) -> Invocation:
    """Invoke with SMOKE_ROWS (a multi-model endpoint: `version`, by default the newest it serves);
    DeploymentFailed unless the answer is one probability per row and the malignant-looking mass scores higher."""
    if version is None and config.require_endpoint(endpoint_name).mode == MULTI_MODEL:
        sagemaker = target.session(config.account_id, region or config.aws_region).client("sagemaker")
        with explained_aws_errors(f"reading what endpoint {endpoint_name} serves"):
            endpoint = hosting.describe_endpoint(sagemaker, endpoint_name)
            if endpoint is None:
                raise UsageError(f"endpoint {endpoint_name} does not exist in {config.environment}: deploy it first")
            versions = config_versions(sagemaker, endpoint["EndpointConfigName"])
        if not versions:
            raise DeploymentFailed(f"endpoint {endpoint_name} serves no version: approve one")
        version = versions[-1]
    try:
        answer = invoke(target, config, endpoint_name, csv_payload(SMOKE_ROWS), version=version, region=region)
    except RequestRejected as refused:  # the smoke rows are well-formed: a model that refuses them is broken
        raise DeploymentFailed(f"smoke test of {endpoint_name}: {refused}") from None
    scores = answer.predictions
    if len(scores) != len(SMOKE_ROWS) or not all(0.0 <= score <= 1.0 for score in scores):
        raise DeploymentFailed(f"smoke test of {endpoint_name}: expected {len(SMOKE_ROWS)} probabilities, got "
                               f"{answer.body[:200]!r}")
    if not scores[1] > scores[0]:
        raise DeploymentFailed(f"smoke test of {endpoint_name}: the malignant-looking mass {SMOKE_ROWS[1]} scored "
                               f"{scores[1]}, not above the benign-looking {SMOKE_ROWS[0]} ({scores[0]})")
    return answer


@dataclass(frozen=True)
class InvokeRequest:
    """What `invoke-endpoint` asks: CSV rows (or the smoke test) for an endpoint of a workload environment."""

    env: str
    endpoint: str
    rows: tuple[str, ...] = ()
    """CSV rows of features; empty with smoke."""
    smoke: bool = False
    version: int | None = None
    target_model: str | None = None
    accept: str = CSV
    region: str | None = None
    failover: bool = False


@dataclass(frozen=True)
class InvokeOutcome:
    invocation: Invocation
    smoke: bool = False
    """The smoke test passed (it raises DeploymentFailed otherwise)."""
    failed_over: bool = False


def run_invocation(request: InvokeRequest, target: Target, config: EnvConfig | None = None) -> InvokeOutcome:
    """Invoke with the rows, with failover when asked, or run the smoke test; checks the request first."""
    config = config or load_config(request.env)
    if request.smoke:
        if request.target_model:
            raise UsageError("--smoke takes --version N (multi-model endpoints), not --target-model")
        if request.failover:
            raise UsageError("--smoke tests one region: give --region R instead of --failover")
        return InvokeOutcome(smoke_test(target, config, request.endpoint, request.region, request.version),
                             smoke=True)
    payload = "".join(row.strip() + "\n" for row in request.rows)
    if request.failover:
        result = invoke_with_failover(target, config, request.endpoint, payload, accept=request.accept,
                                      version=request.version, target_model=request.target_model)
        logger.info("served by %s%s", result.region, " (failed over)" if result.failed_over else "")
        return InvokeOutcome(result.invocation, failed_over=result.failed_over)
    return InvokeOutcome(invoke(target, config, request.endpoint, payload, accept=request.accept,
                                version=request.version, target_model=request.target_model, region=request.region))
