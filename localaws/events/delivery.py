"""EventBridge inside the local stack: SageMaker pipeline events, rule matching once, and target delivery.

Runs in the server process only. Every event reaches the rules of the account's default bus through one path,
`deliver_to_rule`, whether it comes from the executor (`put_event`), from any client's PutEvents (moto's
PutEvents calls it for each rule, see `localaws.events.responses`) or from a schedule firing
(`deliver_to_targets`, see `localaws.events.schedules`):

- a rule is evaluated only when it is ENABLED and has an EventPattern (a schedule-only rule matches no event);
  the pattern is evaluated once, by `localaws.events.patterns.matches`;
- a SageMaker pipeline target starts the pipeline: StartPipelineExecution, called as the target's RoleArn, with
  the target's SageMakerPipelineParameters (the execution then acts as the pipeline's own role, as in AWS);
- an SNS target publishes the target's input (InputTransformer, Input, InputPath or the whole event) to the
  topic; a Lambda target invokes the function asynchronously (InvocationType Event) with that input;
- an event-bus target (another account's or region's bus) receives the event unchanged, as EventBridge forwards
  it (the same id, account, time and resources: the receiving rules see the sender's account), and that bus's
  rules are matched and delivered here in turn;
- SQS queues, log groups and archives are left to moto's own delivery, which knows them.

Each delivery is recorded (`deliveries`, read through `GET /_mlops/events/deliveries`). A failed delivery is
recorded with its error; EventBridge would retry it, the local stack does not.

As in AWS, the pipeline status-change event carries no failure reason (read it with DescribePipelineExecution);
the step status-change event does (`failureReason`).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from localaws import inprocess
from localaws.events.patterns import json_path, matches, transform_input
from pipelines.errors import UsageError

log = logging.getLogger(__name__)

PIPELINE_STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
STEP_STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Step Status Change"
SCHEDULED_EVENT = "Scheduled Event"
DEFAULT_BUS = "default"
TERMINAL_EXECUTION_STATUSES = ("Succeeded", "Failed", "Stopped")
MAX_DELIVERIES_KEPT = 10_000

# The step event names the step's type, which ListPipelineExecutionSteps does not return: the metadata says it.
_STEP_TYPE_BY_METADATA = {
    "ProcessingJob": "Processing", "TrainingJob": "Training", "TransformJob": "Transform",
    "TuningJob": "Tuning", "Model": "Model", "RegisterModel": "RegisterModel", "Condition": "Condition",
    "Callback": "Callback", "Lambda": "Lambda", "QualityCheck": "QualityCheck", "ClarifyCheck": "ClarifyCheck",
    "EMR": "EMR", "Fail": "Fail", "AutoMLJob": "AutoML", "Endpoint": "Endpoint",
    "EndpointConfig": "EndpointConfig",
}


@dataclass(frozen=True)
class Delivery:
    """One target reached (or not) by one event. `kind`: sagemaker-pipeline, sns, lambda, event-bus or moto."""

    time: str
    account: str
    region: str
    rule: str
    rule_arn: str
    event_id: str
    detail_type: str
    target_id: str
    target_arn: str
    kind: str
    detail: str
    """The started execution ARN, the SNS message id, the Lambda request id, the receiving bus' deliveries;
    empty when it failed."""
    error: str | None = None
    source: str = ""
    event: str = ""
    """The matched event as the rule saw it (JSON, indented): what `detail_type` and `event_id` only name."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_deliveries: list[Delivery] = []
_deliveries_lock = threading.Lock()
_clients: dict[tuple[str, str, str, str | None], Any] = {}  # (account, region, service, role) -> a client
_clients_lock = threading.Lock()
_forwarding = threading.local()  # set while moto forwards an event to another bus (AWS sources allowed there)


# ------------------------------------------------------------------------------------------------ event shapes

def event_time(moment: datetime | str | float | None = None) -> str:
    """A time as EventBridge writes it: UTC, whole seconds, 'Z'. Accepts datetimes, ISO text or epoch seconds."""
    if moment is None:
        moment = datetime.now(UTC)
    elif isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, UTC)
    elif isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _arn_region_account(arn: str) -> tuple[str, str]:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[3] or not parts[4]:
        raise ValueError(f"{arn!r} is not an ARN with a region and an account")
    return parts[3], parts[4]


def _envelope(detail_type: str, source: str, arn_for_account: str, resources: list[str], detail: dict,
              time: datetime | str | float | None = None) -> dict[str, Any]:
    region, account = _arn_region_account(arn_for_account)
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": source,
            "account": account, "time": event_time(time), "region": region, "resources": resources,
            "detail": detail}


def pipeline_status_change_event(description: Mapping[str, Any], previous_status: str | None) -> dict[str, Any]:
    """The event SageMaker puts on the default bus when a pipeline execution changes status.

    `description` is a DescribePipelineExecution response; the event time is now.
    """
    status = description["PipelineExecutionStatus"]
    detail: dict[str, Any] = {
        "pipelineExecutionDisplayName": description.get("PipelineExecutionDisplayName")
        or description["PipelineExecutionArn"].rsplit("/", 1)[-1],
        "currentPipelineExecutionStatus": status,
    }
    if previous_status:
        detail["previousPipelineExecutionStatus"] = previous_status
    detail["executionStartTime"] = event_time(description.get("CreationTime"))
    if status in TERMINAL_EXECUTION_STATUSES:
        detail["executionEndTime"] = event_time(description.get("EndTime") or description.get("LastModifiedTime"))
    if description.get("PipelineExecutionDescription"):
        detail["pipelineExecutionDescription"] = description["PipelineExecutionDescription"]
    detail["pipelineArn"] = description["PipelineArn"]
    detail["pipelineExecutionArn"] = description["PipelineExecutionArn"]
    return _envelope(PIPELINE_STATUS_CHANGE, "aws.sagemaker", description["PipelineArn"],
                     [description["PipelineArn"], description["PipelineExecutionArn"]], detail)


def step_status_change_event(description: Mapping[str, Any], step: Mapping[str, Any],
                             previous_status: str | None) -> dict[str, Any]:
    """The event SageMaker puts on the default bus when a pipeline step changes status.

    `step` is one ListPipelineExecutionSteps entry. The step's type is taken from its metadata (the API does not
    return it), or from a "StepType" key the caller may add; it is left out when neither says.
    """
    status = step["StepStatus"]
    detail: dict[str, Any] = {}
    if step.get("Metadata"):
        detail["metadata"] = _lower_camel(step["Metadata"])
    if step.get("StartTime"):
        detail["stepStartTime"] = event_time(step["StartTime"])
    if step.get("EndTime"):
        detail["stepEndTime"] = event_time(step["EndTime"])
    detail["stepName"] = step["StepName"]
    step_type = step.get("StepType") or next(
        (_STEP_TYPE_BY_METADATA[key] for key in (step.get("Metadata") or {}) if key in _STEP_TYPE_BY_METADATA), None)
    if step_type:
        detail["stepType"] = step_type
    if previous_status:
        detail["previousStepStatus"] = previous_status
    detail["currentStepStatus"] = status
    if status == "Failed" and step.get("FailureReason"):
        detail["failureReason"] = step["FailureReason"]
    if step.get("CacheHitResult"):
        detail["cacheHitResult"] = _lower_camel(step["CacheHitResult"])
    detail["pipelineArn"] = description["PipelineArn"]
    detail["pipelineExecutionArn"] = description["PipelineExecutionArn"]
    return _envelope(STEP_STATUS_CHANGE, "aws.sagemaker", description["PipelineArn"],
                     [description["PipelineArn"], description["PipelineExecutionArn"]], detail)


def model_package_state_change_event(description: Mapping[str, Any]) -> dict[str, Any]:
    """The event SageMaker puts on the registry account's default bus when a model package is created or its
    approval status changes. `description` is a DescribeModelPackage response; the detail is that description
    (times in ISO form), without the response metadata."""
    detail = {key: _iso_times(value) for key, value in description.items() if key != "ResponseMetadata"}
    arn = description["ModelPackageArn"]
    return _envelope(MODEL_PACKAGE_STATE_CHANGE, "aws.sagemaker", arn, [arn], detail,
                     description.get("LastModifiedTime") or description.get("CreationTime"))


def _iso_times(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _iso_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso_times(item) for item in value]
    if isinstance(value, datetime):
        return event_time(value)
    return value


def scheduled_event(rule_arn: str, time: datetime) -> dict[str, Any]:
    """The event EventBridge sends a schedule rule's targets when the schedule fires."""
    return _envelope(SCHEDULED_EVENT, "aws.events", rule_arn, [rule_arn], {}, time)


def _lower_camel(value: Any) -> Any:
    """API shapes (ProcessingJob.Arn) as SageMaker writes them in events (processingJob.arn)."""
    if isinstance(value, Mapping):
        return {key[:1].lower() + key[1:]: _lower_camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lower_camel(item) for item in value]
    if isinstance(value, datetime):
        return event_time(value)
    return value


# ------------------------------------------------------------------------------------------------ the bus

def put_event(event: Mapping[str, Any]) -> list[Delivery]:
    """Put an AWS-shaped event on its account's default bus in this server: every rule sees it once."""
    from moto.events.models import events_backends

    bus = events_backends[event["account"]][event["region"]].describe_event_bus(DEFAULT_BUS)
    deliveries: list[Delivery] = []
    for rule in list(bus.rules.values()):
        deliveries.extend(deliver_to_rule(rule, event))
    log.info("%s event %s (%s) in %s/%s: %d delivery(ies)", event["detail-type"], event["id"],
             event["detail"].get("currentPipelineExecutionStatus") or event["detail"].get("currentStepStatus", "-"),
             event["account"], event["region"], len(deliveries))
    return deliveries


def deliver_to_rule(rule, event: Mapping[str, Any]) -> list[Delivery]:
    """Match `event` against one rule (a moto Rule) and deliver it to the rule's targets if it matches."""
    if getattr(rule, "state", "ENABLED") != "ENABLED":
        return []
    pattern = rule.event_pattern.get_pattern()
    if not pattern:  # a schedule rule: it fires on its schedule, never on events
        return []
    try:
        matched = matches(pattern, event)
    except UsageError as error:  # a pattern EventBridge would have refused at PutRule: it matches nothing
        log.warning("rule %s matches nothing: %s", rule.arn, error)
        return []
    return deliver_to_targets(rule, event) if matched else []


def deliver_to_targets(rule, event: Mapping[str, Any]) -> list[Delivery]:
    """Deliver `event` to every target of `rule` (already matched, or a schedule firing)."""
    deliveries = []
    for target in list(rule.targets):
        delivery = _deliver(rule, target, event)
        with _deliveries_lock:
            _deliveries.append(delivery)
            del _deliveries[:-MAX_DELIVERIES_KEPT]
        if delivery.error:
            log.warning("rule %s -> %s %s failed: %s", delivery.rule, delivery.kind, delivery.target_arn,
                        delivery.error)
        else:
            log.info("rule %s -> %s %s: %s", delivery.rule, delivery.kind, delivery.target_arn, delivery.detail)
        deliveries.append(delivery)
    return deliveries


def deliveries(account: str | None = None) -> list[Delivery]:
    """Recorded deliveries (of `account`'s rules if given), oldest first."""
    with _deliveries_lock:
        return [d for d in _deliveries if account is None or d.account == account]


def reset() -> None:
    """Forget the deliveries and the cached clients (after a moto reset their credentials mean nothing)."""
    with _deliveries_lock:
        _deliveries.clear()
    with _clients_lock:
        _clients.clear()


def _client(account: str, region: str, service: str, role_arn: str | None = None, rule_arn: str | None = None):
    """A client acting as EventBridge in `account`, as `role_arn` when a target names one, assumed for the rule
    (aws:SourceArn) as EventBridge does (created once: an assumed role and a client cost ~0.3 s)."""
    key = (account, region, service, role_arn, rule_arn)
    with _clients_lock:
        client = _clients.get(key)
    if client is None:
        acting = {"service": "events.amazonaws.com", "source_arn": rule_arn} if role_arn else {}
        client = inprocess.session(account, region, role_arn=role_arn, **acting).client(service)
        with _clients_lock:
            client = _clients.setdefault(key, client)
    return client


def target_input(target: Mapping[str, Any], event: Mapping[str, Any], rule_name: str, rule_arn: str) -> str:
    """The text EventBridge sends a target for an event."""
    if target.get("InputTransformer"):
        return transform_input(target["InputTransformer"], event, rule_name, rule_arn)
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        return json.dumps(json_path(event, target["InputPath"]))
    return json.dumps(event)


def _deliver(rule, target: Mapping[str, Any], event: Mapping[str, Any]) -> Delivery:
    arn = target["Arn"]
    parts = arn.split(":", 5)
    service = parts[2] if len(parts) > 2 else ""
    kind = {"sagemaker": "sagemaker-pipeline", "sns": "sns", "lambda": "lambda"}.get(service, "moto")
    if service == "events" and len(parts) == 6 and parts[5].startswith("event-bus/"):
        kind = "event-bus"
    detail, error = "", None
    try:
        if kind == "sagemaker-pipeline":
            detail = _start_pipeline(rule, target)
        elif kind == "sns":
            message = target_input(target, event, rule.name, rule.arn)
            sns = _client(rule.account_id, rule.region_name, "sns")
            detail = sns.publish(TopicArn=arn, Message=message)["MessageId"]
        elif kind == "event-bus":
            forwarded = _forward_to_bus(arn, event)
            detail = f"{len(forwarded)} delivery(ies) on {arn}"
        elif kind == "lambda":
            payload = target_input(target, event, rule.name, rule.arn)
            response = _client(rule.account_id, rule.region_name, "lambda").invoke(
                FunctionName=arn, InvocationType="Event", Payload=payload.encode())
            detail = response["ResponseMetadata"].get("RequestId", "")
        else:
            _deliver_with_moto(rule, target, event)
            detail = "delivered by moto"
    except Exception as exc:  # one target's failure must not stop the others, as in EventBridge
        error = f"{type(exc).__name__}: {exc}"
    return Delivery(time=event_time(), account=rule.account_id, region=rule.region_name, rule=rule.name,
                    rule_arn=rule.arn, event_id=event["id"], detail_type=event["detail-type"],
                    target_id=target["Id"], target_arn=arn, kind=kind, detail=detail, error=error,
                    source=str(event.get("source", "")), event=json.dumps(event, indent=2, default=str))


def _forward_to_bus(bus_arn: str, event: Mapping[str, Any]) -> list[Delivery]:
    """Another bus' rules, matched and delivered with the event as it is (the sender's envelope)."""
    from moto.events.models import events_backends

    _, _, _, region, account, resource = bus_arn.split(":", 5)
    bus = events_backends[account][region].describe_event_bus(resource.removeprefix("event-bus/"))
    deliveries: list[Delivery] = []
    for rule in list(bus.rules.values()):
        deliveries.extend(deliver_to_rule(rule, event))
    return deliveries


def _start_pipeline(rule, target: Mapping[str, Any]) -> str:
    """StartPipelineExecution as EventBridge calls it: as the target's role; the execution acts as the pipeline's
    own role, as in AWS."""
    parameter_list = (target.get("SageMakerPipelineParameters") or {}).get("PipelineParameterList") or []
    sagemaker = _client(rule.account_id, rule.region_name, "sagemaker", role_arn=target.get("RoleArn"),
                        rule_arn=rule.arn)
    parameters = [{"Name": p["Name"], "Value": p["Value"]} for p in parameter_list]
    return sagemaker.start_pipeline_execution(PipelineName=target["Arn"],
                                              PipelineParameters=parameters)["PipelineExecutionArn"]


def _deliver_with_moto(rule, target: Mapping[str, Any], event: Mapping[str, Any]) -> None:
    """SQS, log groups, archives, buses: moto's own delivery of this one target, without matching again."""
    from moto.events.models import EventPattern, Rule

    one_target = copy.copy(rule)
    one_target.targets = [dict(target)]
    one_target.event_pattern = EventPattern(None, {})  # already matched here
    moto_event = copy.deepcopy(dict(event))
    moto_event["time"] = datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
    # Without an input transformer EventBridge sends the whole event as it is; moto's default template would drop
    # its account. moto's archive targets are transformers that record the ingestion time as well.
    transform = bool(target.get("InputTransformer"))
    if transform:
        moto_event.setdefault("ingestion-time", moto_event["time"])
    _forwarding.active = True
    try:
        # set by localaws.events.responses
        Rule.moto_send_to_targets(one_target, moto_event, transform_input=transform)
    finally:
        _forwarding.active = False


def forwarding_between_buses() -> bool:
    """Whether this thread is delivering to an event-bus target (where AWS-sourced events may be put)."""
    return getattr(_forwarding, "active", False)
