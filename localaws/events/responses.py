"""EventBridge and SNS in the local stack: one delivery path for every event, and read-backs.

1. moto's PutEvents (any client's) calls `Rule.send_to_targets` for every rule of the bus; here that is
   `localaws.events.delivery.deliver_to_rule`, so a client's event, a pipeline's status change
   (`localaws.events.delivery.put_event`) and a schedule firing are matched and delivered the same way, once.
   moto's own matcher is not used: it takes `true` for `1`, and an array of objects never matches a nested
   pattern (see tests/events/test_event_patterns.py).
   PutEvents refuses entries whose Source starts with "aws." (NotAuthorizedForSourceException), as EventBridge
   does: only the services themselves put those, here through `put_event`.
2. `GET /_mlops/events/deliveries?account=<id>` returns what was delivered, oldest first:
   {"deliveries": [{"time", "account", "region", "rule", "rule_arn", "event_id", "detail_type", "target_id",
   "target_arn", "kind", "detail", "error"}]}.
3. `GET /_mlops/sns/notifications?topic_arn=<arn>` returns what was published to a topic (moto keeps the
   messages on the topic; this module adds the publication time), oldest first, so the demo can print the email
   that would have been sent: {"topic_arn": ..., "notifications": [{"message_id", "subject", "message",
   "timestamp"}]}.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from moto.events.models import EventsBackend, Rule
from moto.sns.models import Topic, sns_backends
from werkzeug import Request, Response

from localaws.events import delivery
from localaws.middleware import json_response, on_reset, route

# What PutEvents answers for an entry whose Source is an AWS service's ("aws." is reserved for AWS).
NOT_AUTHORIZED_FOR_SOURCE = {"ErrorCode": "NotAuthorizedForSourceException",
                             "ErrorMessage": "Not authorized for the source."}

_published_at: dict[str, str] = {}  # SNS message id -> ISO-8601 time of publication
_lock = threading.Lock()


def install() -> None:
    original_publish = Topic.publish

    def deliver(self: Rule, moto_event: dict, transform_input: bool = True) -> None:
        delivery.deliver_to_rule(self, _aws_shape(moto_event))

    def publish_and_time(self: Topic, message: str, *args, **kwargs) -> str:
        message_id = original_publish(self, message, *args, **kwargs)
        with _lock:
            _published_at[message_id] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return message_id

    original_put_events = EventsBackend.put_events

    def put_events_refusing_aws_sources(self: EventsBackend, entries: list[dict]) -> list[dict]:
        if len(entries) > 10 or delivery.forwarding_between_buses():
            return original_put_events(self, entries)  # moto refuses more than 10; buses forward AWS events
        accepted = iter(original_put_events(self, [e for e in entries if not _aws_source(e)]))
        return [NOT_AUTHORIZED_FOR_SOURCE if _aws_source(e) else next(accepted) for e in entries]

    Rule.moto_send_to_targets = Rule.send_to_targets  # kept for the targets moto delivers (SQS, logs, buses)
    Rule.send_to_targets = deliver
    EventsBackend.put_events = put_events_refusing_aws_sources
    Topic.publish = publish_and_time


def _aws_source(entry: dict) -> bool:
    return str(entry.get("Source") or "").startswith("aws.")


def _aws_shape(moto_event: dict) -> dict:
    """moto's event message as EventBridge delivers it: ISO time, no ingestion-time field."""
    event = {key: value for key, value in moto_event.items() if key != "ingestion-time"}
    event["time"] = delivery.event_time(moto_event.get("time"))
    return event


@on_reset
def _forget() -> None:
    with _lock:
        _published_at.clear()
    delivery.reset()


@route("events/deliveries", methods=("GET",))
def deliveries(request: Request) -> Response:
    account = request.args.get("account") or None
    if account is not None and not (account.isdigit() and len(account) == 12):
        return json_response({"error": f"query parameter account must be a 12-digit account id, got {account!r}"},
                             400)
    return json_response({"deliveries": [d.as_dict() for d in delivery.deliveries(account)]})


@route("sns/notifications", methods=("GET",))
def notifications(request: Request) -> Response:
    topic_arn = request.args.get("topic_arn", "")
    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[2] != "sns":
        return json_response({"error": f"query parameter topic_arn must be an SNS topic ARN, got {topic_arn!r}"},
                             400)
    region, account = parts[3], parts[4]
    topic = sns_backends[account][region].topics.get(topic_arn)
    if topic is None:
        return json_response({"error": f"topic {topic_arn} does not exist"}, 404)
    with _lock:
        times = dict(_published_at)
    return json_response({"topic_arn": topic_arn, "notifications": [
        {"message_id": message_id, "subject": subject, "message": message, "timestamp": times.get(message_id)}
        for message_id, message, subject, *_ in topic.sent_notifications
    ]})
