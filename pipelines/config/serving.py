"""`workload.serving`: a workload account's endpoints, their fleets, scaling, deployment guardrails and alarms."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pipelines.config.fields import (
    FUNCTION_HINT,
    FUNCTION_NAME,
    IAM_HINT,
    IAM_NAME,
    INSTANCE_HINT,
    INSTANCE_TYPE,
    NAME_HINT,
    RESOURCE_NAME,
    Fields,
)

# Endpoints: one model per endpoint, or many behind one endpoint chosen per request by TargetModel.
SINGLE_MODEL, MULTI_MODEL = "single-model", "multi-model"
ENDPOINT_MODES = (SINGLE_MODEL, MULTI_MODEL)
# How UpdateEndpoint shifts traffic to the new fleet (BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type).
DEPLOYMENT_STRATEGIES = {"all-at-once": "ALL_AT_ONCE", "canary": "CANARY", "linear": "LINEAR"}
S3_PREFIX = re.compile(r"[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*", re.ASCII)


@dataclass(frozen=True)
class EndpointSettings:
    """One SageMaker endpoint of a workload account: its fleet, scaling, deployment guardrails and alarms."""

    name: str
    mode: str
    """single-model (one model per endpoint config) or multi-model (versions chosen per request by TargetModel)."""
    instance_type: str
    initial_instance_count: int
    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: int
    """Application Auto Scaling target for SageMakerVariantInvocationsPerInstance."""
    deployment_strategy: str
    """all-at-once, canary or linear (see DEPLOYMENT_STRATEGIES)."""
    traffic_step_percent: int | None
    """Canary size or linear step, in percent of the fleet's capacity; None for all-at-once."""
    wait_interval_seconds: int
    """Baking period after each traffic shift, during which an alarm in ALARM rolls the update back."""
    error_alarm_threshold: int
    """Invocation5XXErrors per minute at which the errors alarm goes to ALARM."""
    latency_alarm_threshold_ms: int
    """Average ModelLatency per minute, in milliseconds, at which the latency alarm goes to ALARM."""
    autoscaling_enabled: bool = False
    """Whether Terraform registers the variant with Application Auto Scaling. AWS registers only a variant of an
    existing endpoint, so it is switched on once deploy-endpoint has created the endpoint."""

    variant_name = "AllTraffic"
    """Every config of an endpoint keeps one variant name: blue/green deployments require the same name."""

    @property
    def routing_type(self) -> str:
        return DEPLOYMENT_STRATEGIES[self.deployment_strategy]

    @property
    def error_alarm_name(self) -> str:
        return f"{self.name}-invocation-5xx-errors"

    @property
    def latency_alarm_name(self) -> str:
        return f"{self.name}-model-latency"

    @property
    def alarm_names(self) -> tuple[str, str]:
        return self.error_alarm_name, self.latency_alarm_name


@dataclass(frozen=True)
class Serving:
    """The workload account's endpoints and what they share: the execution role, data capture, and the
    function that refreshes multi-model endpoints when the registry approves or rejects a version."""

    execution_role_name: str
    refresh_function_name: str
    refresh_role_name: str
    models_prefix: str
    """Key prefix in the data bucket under which each multi-model endpoint's versions live:
    <models_prefix>/<endpoint>/<model package group>/v<N>.tar.gz."""
    capture_prefix: str
    """Key prefix in the data bucket for data capture (expired after capture_retention_days)."""
    capture_sampling_percent: int
    capture_retention_days: int
    endpoints: tuple[EndpointSettings, ...]

    def endpoint(self, name: str) -> EndpointSettings | None:
        return next((endpoint for endpoint in self.endpoints if endpoint.name == name), None)

    @property
    def multi_model_endpoints(self) -> tuple[EndpointSettings, ...]:
        return tuple(endpoint for endpoint in self.endpoints if endpoint.mode == MULTI_MODEL)


def parse_serving(fields: Fields) -> Serving:
    prefix_hint = "use an S3 key prefix such as endpoint-capture (no leading or trailing '/')"
    capture = fields.child("data_capture")
    sampling = capture.between("sampling_percent", 0, 100)
    endpoints_value = fields.data.get("endpoints")
    fields.known.add("endpoints")
    if not isinstance(endpoints_value, list):
        raise fields.fail("endpoints", f"must be a list of endpoint objects, got {json.dumps(endpoints_value)}")
    endpoints = []
    for index, value in enumerate(endpoints_value):
        endpoint_fields = Fields(fields.path, value, f"{fields.where}.endpoints[{index}]")
        fields.children.append(endpoint_fields)
        endpoints.append(_parse_endpoint(endpoint_fields))
    names = [endpoint.name for endpoint in endpoints]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise fields.fail("endpoints", f"names endpoint {duplicate!r} twice: endpoint names are unique in an account")
    return Serving(
        execution_role_name=fields.get("execution_role_name", str, IAM_NAME, IAM_HINT),
        refresh_function_name=fields.get("refresh_function_name", str, FUNCTION_NAME, FUNCTION_HINT),
        refresh_role_name=fields.get("refresh_role_name", str, IAM_NAME, IAM_HINT),
        models_prefix=fields.get("models_prefix", str, S3_PREFIX, prefix_hint),
        capture_prefix=capture.get("prefix", str, S3_PREFIX, prefix_hint),
        capture_sampling_percent=sampling,
        capture_retention_days=capture.positive("retention_days"),
        endpoints=tuple(endpoints),
    )


def _parse_endpoint(fields: Fields) -> EndpointSettings:
    autoscaling = fields.child("autoscaling")
    deployment = fields.child("deployment")
    alarms = fields.child("alarms")
    initial = fields.positive("initial_instance_count")
    minimum, maximum = autoscaling.positive("min_capacity"), autoscaling.positive("max_capacity")
    if not minimum <= initial <= maximum:
        raise fields.fail("initial_instance_count", f"is {initial}: it must lie between autoscaling.min_capacity "
                                                    f"({minimum}) and autoscaling.max_capacity ({maximum})")
    strategy = deployment.choice("strategy", tuple(DEPLOYMENT_STRATEGIES))
    step = deployment.get("traffic_step_percent", int, optional=True)
    if strategy == "all-at-once":
        if step is not None:
            raise deployment.fail("traffic_step_percent", "must be null for the all-at-once strategy (it shifts all "
                                                          "traffic in one step)")
    elif step is None or not 1 <= step <= 99:
        raise deployment.fail("traffic_step_percent", f"must be between 1 and 99 for the {strategy} strategy, "
                                                      f"got {json.dumps(step)}")
    wait = deployment.between("wait_interval_seconds", 0, 3600)
    return EndpointSettings(
        name=fields.get("name", str, RESOURCE_NAME, NAME_HINT),
        mode=fields.choice("mode", ENDPOINT_MODES),
        instance_type=fields.get("instance_type", str, INSTANCE_TYPE, INSTANCE_HINT),
        initial_instance_count=initial,
        min_capacity=minimum,
        max_capacity=maximum,
        target_invocations_per_instance=autoscaling.positive("target_invocations_per_instance"),
        deployment_strategy=strategy,
        traffic_step_percent=step,
        wait_interval_seconds=wait,
        error_alarm_threshold=alarms.positive("invocation_5xx_errors"),
        latency_alarm_threshold_ms=alarms.positive("model_latency_ms"),
        autoscaling_enabled=autoscaling.get("enabled", bool, default=False, optional=True),
    )
