"""EventBridge on the local stack: pipeline status-change events, rule evaluation and target delivery.

AWS emits a "SageMaker Model Building Pipeline Execution Status Change" event on the account's default bus for
every execution status change, and EventBridge delivers it to the targets of the matching rules. moto stores the
rules Terraform creates but delivers neither to SageMaker pipelines nor to SNS topics (see
`pipelines.local.extensions.eventbridge_sns`), so `EventRouter` does it here:

1. the event, in AWS's exact shape, is put on the account's default bus (events:PutEvents);
2. the account's rules are listed; each ENABLED rule whose EventPattern matches (`event_patterns.matches`) has
   its targets listed (ListTargetsByRule);
3. a SageMaker pipeline target calls the injected `start_pipeline(account_session, pipeline_arn, parameters,
   role_arn)` with the target's SageMakerPipelineParameters; an SNS target publishes the target's input (its
   InputTransformer applied, or Input / InputPath / the whole event) through the SNS API. Other target types are
   left to moto, which delivers SQS, CloudWatch Logs and event-bus targets itself.

`fire_schedule` does what EventBridge does when a schedule rule (ScheduleExpression) fires: a "Scheduled Event"
delivered to that rule's targets - if the rule is ENABLED.

As in AWS, the status-change event carries no failure reason; read it with DescribePipelineExecution.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3

from pipelines.aws import session_for_account
from pipelines.errors import LocalStackError, UsageError
from pipelines.local.event_patterns import json_path, matches, transform_input

log = logging.getLogger(__name__)

STATUS_CHANGE_DETAIL_TYPE = "SageMaker Model Building Pipeline Execution Status Change"
SCHEDULED_EVENT_DETAIL_TYPE = "Scheduled Event"
DEFAULT_BUS = "default"

SessionFactory = Callable[[str, str], boto3.Session]
StartPipeline = Callable[[boto3.Session, str, dict[str, str], str | None], object]


@dataclass(frozen=True)
class Delivery:
    """One target reached by one event. `kind`: "sagemaker-pipeline", "sns" or "left-to-moto"."""

    rule_name: str
    target_id: str
    target_arn: str
    kind: str
    detail: str  # the started execution, the SNS message id, or why nothing was done here

    def __str__(self) -> str:
        return f"rule {self.rule_name} -> {self.kind} {self.target_arn}: {self.detail}"


def event_time(moment: datetime | None = None) -> str:
    """Timestamps as EventBridge writes them: UTC, seconds, 'Z'."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_change_event(*, pipeline_arn: str, execution_arn: str, display_name: str, current_status: str,
                        previous_status: str | None, start_time: datetime, end_time: datetime | None = None,
                        description: str | None = None, time: datetime | None = None) -> dict:
    """The event AWS emits when a pipeline execution changes status (account and region from the ARN)."""
    region, account = _arn_region_account(pipeline_arn)
    detail = {
        "pipelineExecutionDisplayName": display_name,
        "currentPipelineExecutionStatus": current_status,
        "executionStartTime": event_time(start_time),
        "pipelineArn": pipeline_arn,
        "pipelineExecutionArn": execution_arn,
    }
    if previous_status:
        detail["previousPipelineExecutionStatus"] = previous_status
    if end_time is not None:
        detail["executionEndTime"] = event_time(end_time)
    if description:
        detail["pipelineExecutionDescription"] = description
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": STATUS_CHANGE_DETAIL_TYPE,
        "source": "aws.sagemaker",
        "account": account,
        "time": event_time(time),
        "region": region,
        "resources": [pipeline_arn, execution_arn],
        "detail": detail,
    }


def _arn_region_account(arn: str) -> tuple[str, str]:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[3] or not parts[4]:
        raise UsageError(f"{arn!r} is not an ARN with a region and an account")
    return parts[3], parts[4]


class EventRouter:
    """Puts events on an account's default bus and delivers them to the matching rules' targets."""

    def __init__(self, session_factory: SessionFactory = session_for_account,
                 start_pipeline: StartPipeline | None = None):
        self.session_factory = session_factory
        self.start_pipeline = start_pipeline

    def publish_status_change(self, **fields) -> list[Delivery]:
        """Build the status-change event (see `status_change_event` for the fields) and route it."""
        return self.publish(status_change_event(**fields))

    def publish(self, event: dict) -> list[Delivery]:
        session = self.session_factory(event["account"], event["region"])
        client = session.client("events")
        response = client.put_events(Entries=[{
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": list(event["resources"]),
            "Time": datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
        }])
        entry = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in entry:
            raise LocalStackError(f"events:PutEvents refused the {event['detail-type']} event: "
                                  f"{entry.get('ErrorCode')} {entry.get('ErrorMessage')}")
        event = {**event, "id": entry["EventId"]}
        deliveries = []
        for rule in _rules(client):
            if "EventPattern" not in rule:
                continue
            if rule.get("State") != "ENABLED":
                log.debug("rule %s is %s: not evaluated", rule["Name"], rule.get("State"))
                continue
            if matches(json.loads(rule["EventPattern"]), event):
                deliveries.extend(self._deliver(session, client, rule, event))
        log.info("%s event (%s) in account %s: %d delivery(ies)", event["detail-type"],
                 event["detail"].get("currentPipelineExecutionStatus", "-"), event["account"], len(deliveries))
        return deliveries

    def fire_schedule(self, account_id: str, region: str, rule_name: str,
                      time: datetime | None = None) -> list[Delivery]:
        """Deliver the "Scheduled Event" of a schedule rule, as when its schedule fires; [] if the rule is disabled."""
        session = self.session_factory(account_id, region)
        client = session.client("events")
        try:
            rule = client.describe_rule(Name=rule_name, EventBusName=DEFAULT_BUS)
        except client.exceptions.ResourceNotFoundException:
            raise UsageError(f"EventBridge rule {rule_name!r} does not exist in account {account_id} "
                             f"({region}); apply the account's Terraform first") from None
        if not rule.get("ScheduleExpression"):
            raise UsageError(f"EventBridge rule {rule_name!r} has no ScheduleExpression: it is not a schedule rule")
        if rule.get("State") != "ENABLED":
            log.info("schedule rule %s is %s: it does not fire", rule_name, rule.get("State"))
            return []
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": SCHEDULED_EVENT_DETAIL_TYPE,
            "source": "aws.events",
            "account": account_id,
            "time": event_time(time),
            "region": region,
            "resources": [rule["Arn"]],
            "detail": {},
        }
        return self._deliver(session, client, rule, event)

    def _deliver(self, session: boto3.Session, client, rule: dict, event: dict) -> list[Delivery]:
        deliveries = []
        for target in _targets(client, rule["Name"]):
            arn, service = target["Arn"], target["Arn"].split(":", 5)[2]
            if service == "sagemaker" and ":pipeline/" in arn:
                deliveries.append(self._start_pipeline(session, rule, target))
            elif service == "sns":
                message = target_input(target, event, rule)
                message_id = session.client("sns").publish(TopicArn=arn, Message=message)["MessageId"]
                deliveries.append(Delivery(rule["Name"], target["Id"], arn, "sns", f"message {message_id}"))
            else:
                deliveries.append(Delivery(rule["Name"], target["Id"], arn, "left-to-moto",
                                           "delivered by the local stack's EventBridge if it supports the type"))
        for delivery in deliveries:
            log.info("%s", delivery)
        return deliveries

    def _start_pipeline(self, session: boto3.Session, rule: dict, target: dict) -> Delivery:
        if self.start_pipeline is None:
            raise UsageError(f"rule {rule['Name']} targets the pipeline {target['Arn']} but this EventRouter "
                             "was created without start_pipeline")
        parameter_list = (target.get("SageMakerPipelineParameters") or {}).get("PipelineParameterList") or []
        parameters = {p["Name"]: p["Value"] for p in parameter_list}
        started = self.start_pipeline(session, target["Arn"], parameters, target.get("RoleArn"))
        return Delivery(rule["Name"], target["Id"], target["Arn"], "sagemaker-pipeline",
                        f"started {started}" if started else "started")


def target_input(target: dict, event: dict, rule: dict) -> str:
    """The text EventBridge sends to a target for this event."""
    if target.get("InputTransformer"):
        return transform_input(target["InputTransformer"], event, rule["Name"], rule["Arn"])
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        return json.dumps(json_path(event, target["InputPath"]))
    return json.dumps(event)


def _rules(client) -> Iterator[dict]:
    kwargs = {"EventBusName": DEFAULT_BUS}
    while True:
        page = client.list_rules(**kwargs)
        yield from page.get("Rules", [])
        if not page.get("NextToken"):
            return
        kwargs["NextToken"] = page["NextToken"]


def _targets(client, rule_name: str) -> Iterator[dict]:
    kwargs = {"Rule": rule_name, "EventBusName": DEFAULT_BUS}
    while True:
        page = client.list_targets_by_rule(**kwargs)
        yield from page.get("Targets", [])
        if not page.get("NextToken"):
            return
        kwargs["NextToken"] = page["NextToken"]
