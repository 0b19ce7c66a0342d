"""An endpoint's fleets and their status over the stack's clock, as SageMaker hosting moves them.

CreateEndpoint: Creating until the fleet is ready (`FLEET_READY_SECONDS` of the clock after the call; its
single-model artifacts are loaded then), then InService, or Failed with the reason when an artifact cannot be
loaded.

UpdateEndpoint (only when InService): Updating. A blue/green deployment (`BlueGreenUpdatePolicy`, by default
ALL_AT_ONCE without baking): the old (blue) fleet serves everything until the new (green) fleet is ready; then
traffic shifts by the TrafficRoutingConfiguration: ALL_AT_ONCE all of it, CANARY the CanarySize first and the
rest after one WaitIntervalInSeconds, LINEAR LinearStepSize more after each WaitIntervalInSeconds. Each shift is
followed by a baking period of WaitIntervalInSeconds, during which the AutoRollbackConfiguration alarms are
watched. When all traffic has baked, TerminationWaitInSeconds later the blue fleet is gone and the endpoint is
InService with the new EndpointConfigName. An alarm in ALARM while baking, an artifact that cannot be loaded,
or MaximumExecutionTimeoutInSeconds passing roll the update back: the blue fleet serves everything again, the
endpoint is InService with its old EndpointConfigName and a FailureReason.

Times are the stack's clock (`schedules.CLOCK`: real time plus what tests and the demo advance), so a
WaitIntervalInSeconds of 600 passes with `POST /_mlops/clock/advance` instead of ten minutes; 0 proceeds at once.
Alarms are read when the deployment is advanced (on every call about the endpoint and by the ticker of the
extension); an alarm counts if it was in ALARM at any moment since the baking began.

Requests are routed deterministically: each endpoint draws from its own seeded random sequence, so the same
requests in the same order reach the same fleets and variants.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

CREATING, IN_SERVICE, UPDATING, FAILED = "Creating", "InService", "Updating", "Failed"
IN_PROGRESS = (CREATING, UPDATING)
FLEET_READY_SECONDS = 3.0
STOPPED_WITH_STACK = "The local stack stopped"
SINGLE_MODEL, MULTI_MODEL = "SingleModel", "MultiModel"
ALL_AT_ONCE, CANARY, LINEAR = "ALL_AT_ONCE", "CANARY", "LINEAR"
DEFAULT_ROUTING = {"Type": ALL_AT_ONCE, "WaitIntervalInSeconds": 0}

# stages of a blue/green rollout
PROVISIONING, BAKING, TERMINATING = "provisioning", "baking", "terminating"


class LoadFailure(Exception):
    """A model artifact the container cannot load; the message is the endpoint's FailureReason."""


class ModelDownloadFailure(LoadFailure):
    """The artifact could not be downloaded as the model's execution role: missing, or the role may not read it."""


def health_check_failure_reason(variant: str) -> str:
    """SageMaker's FailureReason when a variant's container does not start serving."""
    return (f"The primary container for production variant {variant} did not pass the ping health check. Please "
            "check CloudWatch logs for this endpoint.")


# The built-in XGBoost container serves in algorithm mode only when its environment has no SAGEMAKER_PROGRAM; with
# one, even empty, it imports that user module first (an empty one cannot be imported, and it never serves).
SCRIPT_PROGRAM = "SAGEMAKER_PROGRAM"


def download_failure_reason(uri: str) -> str:
    """SageMaker's FailureReason when an endpoint cannot download a model's artifact (it never says which)."""
    return (f'Failed to download model data for container "container_1" from URL: "{uri}". Please ensure that '
            "there is an object located at the URL and that the role passed to CreateModel has permissions to "
            "download the object.")


class RoutingError(Exception):
    """A request that no fleet can serve (the runtime answers it as a ValidationError)."""


Loader = Callable[["Variant", str], Any]
"""Loads the booster at an S3 URI as the variant's model's execution role (raises LoadFailure)."""

AlarmCheck = Callable[[list[str], datetime], list[str]]
"""The names, among the given alarms, that were in ALARM at some moment since the (real) time given."""


@dataclass
class Variant:
    """One production variant of a fleet and what its container serves."""

    name: str
    model_name: str
    image: str
    model_data_url: str | None
    mode: str
    instance_type: str | None
    instance_count: int
    weight: float
    execution_role_arn: str | None = None  # the model's: SageMaker downloads its artifacts as this role
    environment: dict[str, str] = field(default_factory=dict)  # the container's (a package's, then the model's)
    booster: Any = None  # a single-model variant's model, loaded when the fleet becomes ready
    loaded: dict[str, Any] = field(default_factory=dict)  # a multi-model variant's models, by TargetModel
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def multi_model(self) -> bool:
        return self.mode == MULTI_MODEL

    def __getstate__(self) -> dict[str, Any]:
        # A durable snapshot keeps what was deployed, not the loaded models (XGBoost's objects are native memory
        # and may not load in another XGBoost): a restarted stack loads them again from the artifacts.
        return {**vars(self), "booster": None, "loaded": {}, "lock": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update({"execution_role_arn": None, "environment": {}, **state}, lock=threading.Lock())

    def single_model(self, loader: Loader) -> Any:
        """The single-model variant's booster, loaded again from its artifact if a restart dropped it."""
        if self.booster is not None:  # the steady case: no lock taken per request
            return self.booster
        with self.lock:
            if self.booster is None:
                self.booster = loader(self, self.model_data_url)
            return self.booster

    def deployed_image(self, resolved_at: datetime) -> dict[str, Any]:
        digest = hashlib.sha256(self.image.encode()).hexdigest()
        return {"SpecifiedImage": self.image, "ResolvedImage": f"{self.image.split(':')[0]}@sha256:{digest}",
                "ResolutionTime": resolved_at}


@dataclass
class Fleet:
    """The instances serving one endpoint configuration."""

    config_name: str
    variants: list[Variant]
    data_capture: dict[str, Any] | None
    ready_at: datetime

    def variant(self, name: str) -> Variant | None:
        return next((variant for variant in self.variants if variant.name == name), None)

    def load(self, loader: Loader) -> None:
        for variant in self.variants:
            if not variant.multi_model and variant.booster is None:
                variant.booster = loader(variant, variant.model_data_url)

    def capture_summary(self) -> dict[str, Any] | None:
        config = self.data_capture
        if not config:
            return None
        enabled = config.get("EnableCapture", True)
        summary = {"EnableCapture": enabled, "CaptureStatus": "Started" if enabled else "Stopped",
                   "CurrentSamplingPercentage": config["InitialSamplingPercentage"],
                   "DestinationS3Uri": config["DestinationS3Uri"]}
        if config.get("KmsKeyId"):
            summary["KmsKeyId"] = config["KmsKeyId"]
        return summary


@dataclass
class Rollout:
    """A blue/green update in progress: the green fleet and where its traffic shifting stands."""

    fleet: Fleet
    routing: dict[str, Any]
    termination_wait: float
    max_seconds: float | None
    alarms: list[str]
    started: datetime
    stage: str = PROVISIONING
    stage_start: datetime | None = None
    stage_end: datetime | None = None
    traffic: float = 0.0  # share of the requests the green fleet serves
    watching_since: datetime | None = None  # real time the alarms are watched from


class EndpointDeployment:
    """The serving state of one endpoint (kept on moto's endpoint object, so a reset forgets it)."""

    def __init__(self, name: str, arn: str, fleet: Fleet, deployment_config: dict | None, now: datetime):
        self.name, self.arn = name, arn
        self.status = CREATING
        self.current = fleet
        self.rollout: Rollout | None = None
        self.failure_reason: str | None = None
        self.last_deployment_config = deployment_config or None
        self.creation_time = self.last_modified = now
        self.updates = 0
        self.rng = random.Random(arn)  # noqa: S311 - routing, seeded to be reproducible

    # -- the API's view ---------------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"EndpointName": self.name, "EndpointArn": self.arn,
                               "EndpointConfigName": self.current.config_name, "EndpointStatus": self.status,
                               "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified,
                               "ProductionVariants": [self._variant_summary(v) for v in self.current.variants]}
        capture = self.current.capture_summary()
        if capture:
            out["DataCaptureConfig"] = capture
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        if self.last_deployment_config:
            out["LastDeploymentConfig"] = self.last_deployment_config
        if self.rollout is not None:
            rollout = self.rollout
            out["PendingDeploymentSummary"] = {
                "EndpointConfigName": rollout.fleet.config_name, "StartTime": rollout.started,
                "ProductionVariants": [self._pending_summary(v, rollout) for v in rollout.fleet.variants]}
        return out

    def _variant_summary(self, variant: Variant) -> dict[str, Any]:
        summary: dict[str, Any] = {"VariantName": variant.name, "DesiredWeight": variant.weight,
                                   "DesiredInstanceCount": variant.instance_count}
        if self.status == CREATING:
            summary["VariantStatus"] = [{"Status": "Creating", "StartTime": self.creation_time}]
        else:
            summary.update(DeployedImages=[variant.deployed_image(self.current.ready_at)],
                           CurrentWeight=variant.weight, CurrentInstanceCount=variant.instance_count)
        return summary

    def _pending_summary(self, variant: Variant, rollout: Rollout) -> dict[str, Any]:
        summary: dict[str, Any] = {"VariantName": variant.name, "DesiredWeight": variant.weight,
                                   "DesiredInstanceCount": variant.instance_count}
        if variant.instance_type:
            summary["InstanceType"] = variant.instance_type
        if rollout.stage == PROVISIONING:
            summary["VariantStatus"] = [{"Status": "Creating", "StartTime": rollout.started}]
            return summary
        summary.update(DeployedImages=[variant.deployed_image(rollout.fleet.ready_at)],
                       CurrentWeight=variant.weight * rollout.traffic, CurrentInstanceCount=variant.instance_count,
                       VariantStatus=[{"Status": "Baking", "StartTime": rollout.stage_start,
                                       "StatusMessage": f"{rollout.traffic:.0%} of the traffic"}])
        return summary

    # -- transitions ------------------------------------------------------------------------------------------

    def start_update(self, fleet: Fleet, deployment_config: dict | None, now: datetime) -> None:
        """UpdateEndpoint on an InService endpoint (the caller checked the status)."""
        policy = (deployment_config or {}).get("BlueGreenUpdatePolicy") or {}
        rollback = (deployment_config or {}).get("AutoRollbackConfiguration") or {}
        self.rollout = Rollout(
            fleet=fleet, routing=policy.get("TrafficRoutingConfiguration") or DEFAULT_ROUTING,
            termination_wait=float(policy.get("TerminationWaitInSeconds") or 0),
            max_seconds=float(policy["MaximumExecutionTimeoutInSeconds"])
            if policy.get("MaximumExecutionTimeoutInSeconds") else None,
            alarms=[alarm["AlarmName"] for alarm in rollback.get("Alarms") or []], started=now)
        self.status, self.failure_reason, self.last_modified = UPDATING, None, now
        if deployment_config:
            self.last_deployment_config = deployment_config
        self.updates += 1
        self.rng = random.Random(f"{self.arn}#{self.updates}")  # noqa: S311 - as above

    def advance(self, now: datetime, real_now: datetime, loader: Loader, alarms_in_alarm: AlarmCheck) -> None:
        """Every transition due by `now`, in order."""
        while True:
            if self.status == CREATING:
                if now < self.current.ready_at:
                    return
                try:
                    self.current.load(loader)
                except LoadFailure as failure:
                    self.status, self.failure_reason = FAILED, str(failure)
                else:
                    self.status = IN_SERVICE
                self.last_modified = self.current.ready_at
                return
            rollout = self.rollout
            if self.status != UPDATING or rollout is None:
                return
            if rollout.max_seconds is not None:
                # timed out if the next transition falls after the deadline (a clock jump may pass both)
                deadline = rollout.started + timedelta(seconds=rollout.max_seconds)
                next_at = rollout.fleet.ready_at if rollout.stage == PROVISIONING else rollout.stage_end
                if now >= deadline and next_at > deadline:
                    self._roll_back(deadline, f"The deployment did not complete within "
                                              f"MaximumExecutionTimeoutInSeconds ({rollout.max_seconds:g}); rolled "
                                              f"back to endpoint configuration {self.current.config_name}.")
                    return
            if rollout.stage == PROVISIONING:
                if now < rollout.fleet.ready_at:
                    return
                try:
                    rollout.fleet.load(loader)
                except LoadFailure as failure:
                    self._roll_back(rollout.fleet.ready_at, f"{failure} Rolled back to endpoint configuration "
                                                            f"{self.current.config_name}.")
                    return
                self._shift(rollout, rollout.fleet.ready_at, self._first_step(rollout), real_now)
                continue
            if rollout.stage == BAKING:
                tripped = alarms_in_alarm(rollout.alarms, rollout.watching_since) if rollout.alarms else []
                if tripped:
                    self._roll_back(now, f"Auto rollback was triggered by the CloudWatch alarm(s) "
                                         f"[{', '.join(tripped)}] in ALARM state while baking "
                                         f"{rollout.traffic:.0%} of the traffic on endpoint configuration "
                                         f"{rollout.fleet.config_name}; endpoint configuration "
                                         f"{self.current.config_name} serves all traffic.")
                    return
                if now < rollout.stage_end:
                    return
                if rollout.traffic >= 1.0:
                    rollout.stage, rollout.stage_start = TERMINATING, rollout.stage_end
                    rollout.stage_end = rollout.stage_start + timedelta(seconds=rollout.termination_wait)
                else:
                    self._shift(rollout, rollout.stage_end, self._next_step(rollout), real_now)
                continue
            if rollout.stage == TERMINATING:
                if now < rollout.stage_end:
                    return
                self.current, self.rollout = rollout.fleet, None
                self.status, self.last_modified = IN_SERVICE, rollout.stage_end
                return

    def _shift(self, rollout: Rollout, at: datetime, traffic: float, real_now: datetime) -> None:
        rollout.stage, rollout.traffic, rollout.stage_start = BAKING, traffic, at
        rollout.stage_end = at + timedelta(seconds=float(rollout.routing.get("WaitIntervalInSeconds") or 0))
        if rollout.watching_since is None:
            rollout.watching_since = real_now

    def interrupt(self, now: datetime, reason: str) -> bool:
        """The stack stopped during a deployment: a creation fails, an update rolls back (as SageMaker reports a
        deployment that failed internally: the endpoint Failed, or InService on its old configuration, with the
        FailureReason); whether there was one."""
        if self.status == CREATING:
            self.status, self.last_modified = FAILED, now
            self.failure_reason = f"{reason} while endpoint configuration {self.current.config_name} was being " \
                                  "deployed. Delete the endpoint and create it again."
            return True
        if self.status == UPDATING and self.rollout is not None:
            self._roll_back(now, f"{reason} while endpoint configuration {self.rollout.fleet.config_name} was "
                                 f"being deployed; rolled back to endpoint configuration {self.current.config_name}.")
            return True
        return False

    def _roll_back(self, at: datetime, reason: str) -> None:
        self.rollout = None
        self.status, self.failure_reason, self.last_modified = IN_SERVICE, reason, at

    def _first_step(self, rollout: Rollout) -> float:
        kind = rollout.routing.get("Type", ALL_AT_ONCE)
        if kind == CANARY:
            return _share(rollout.routing.get("CanarySize"), rollout.fleet)
        if kind == LINEAR:
            return _share(rollout.routing.get("LinearStepSize"), rollout.fleet)
        return 1.0

    def _next_step(self, rollout: Rollout) -> float:
        if rollout.routing.get("Type") == LINEAR:
            return min(1.0, rollout.traffic + _share(rollout.routing.get("LinearStepSize"), rollout.fleet))
        return 1.0

    # -- routing ----------------------------------------------------------------------------------------------

    def route(self, target_variant: str | None) -> tuple[Fleet, Variant]:
        """The fleet and variant that serve the next request (the caller holds the lock)."""
        fleet = self.current
        rollout = self.rollout
        if rollout is not None and rollout.stage != PROVISIONING:
            share = 1.0 if rollout.stage == TERMINATING else rollout.traffic
            if self.rng.random() < share:
                fleet = rollout.fleet
        if target_variant is not None:
            for candidate in (fleet, self.current, rollout.fleet if rollout else None):
                variant = candidate.variant(target_variant) if candidate else None
                if variant is not None:
                    return candidate, variant
            raise RoutingError(f"The variant {target_variant} is not one of the production variants of endpoint "
                               f"{self.name}.")
        weights = [max(variant.weight, 0.0) for variant in fleet.variants]
        if sum(weights) <= 0:
            raise RoutingError(f"No production variant of endpoint {self.name} has a weight above 0.")
        return fleet, self.rng.choices(fleet.variants, weights=weights)[0]

    def sample(self, percentage: float) -> bool:
        return self.rng.random() * 100 < percentage


def _share(size: dict | None, fleet: Fleet) -> float:
    """A CanarySize or LinearStepSize as the share of the green fleet's capacity."""
    if not size:
        return 1.0
    if size.get("Type") == "INSTANCE_COUNT":
        total = sum(variant.instance_count for variant in fleet.variants) or 1
        return min(1.0, size["Value"] / total)
    return min(1.0, size["Value"] / 100.0)


def check_routing(config: dict | None, fleet: Fleet) -> str | None:
    """Why a DeploymentConfig cannot be used with this fleet, or None."""
    if not config:
        return None
    if config.get("RollingUpdatePolicy"):
        return ("DeploymentConfig.RollingUpdatePolicy is not emulated by the local stack: use "
                "BlueGreenUpdatePolicy")
    routing = (config.get("BlueGreenUpdatePolicy") or {}).get("TrafficRoutingConfiguration")
    if not routing:
        return None
    kind = routing.get("Type")
    size_name = {CANARY: "CanarySize", LINEAR: "LinearStepSize"}.get(kind)
    if size_name is None:
        return None
    size = routing.get(size_name)
    if not size:
        return f"TrafficRoutingConfiguration.{size_name} is required when Type is {kind}."
    share = _share(size, fleet)
    if share <= 0 or share > 0.5:
        return (f"TrafficRoutingConfiguration.{size_name} must be more than 0 and at most 50% of the new fleet's "
                f"capacity, got {size['Value']} ({size['Type']}).")
    return None
