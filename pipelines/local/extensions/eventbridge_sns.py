"""EventBridge delivery and SNS read-back on the local stack.

1. moto's PutEvents delivers matching events itself to the few target types it knows (SQS, log groups, buses)
   and answers HTTP 500 (NotImplementedError) for any other target, ignoring the rule's State. SNS topics and
   SageMaker pipelines are delivered by `pipelines.local.events.EventRouter` in the client process (it starts
   local pipeline executions and publishes through the SNS API); here moto skips those targets and disabled rules,
   as AWS would not deliver for a disabled rule either.
2. `GET /_mlops/sns/notifications?topic_arn=<arn>` returns what was published to a topic (moto keeps the
   messages on the topic; this module adds the publication time), oldest first, so the demo can print the email
   that would have been sent: {"topic_arn": ..., "notifications": [{"message_id", "subject", "message",
   "timestamp"}]}.
"""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime

from moto.events.models import Rule
from moto.sns.models import Topic, sns_backends
from werkzeug import Request, Response

from pipelines.local.extensions import json_response, on_reset, route

ROUTER_DELIVERED_SERVICES = ("sns", "sagemaker")  # target ARN services that EventRouter delivers

_published_at: dict[str, str] = {}  # SNS message id -> ISO-8601 time of publication
_lock = threading.Lock()


def install() -> None:
    original_send = Rule.send_to_targets
    original_publish = Topic.publish

    def send_to_moto_targets(self: Rule, original_event, transform_input: bool = True) -> None:
        if getattr(self, "state", "ENABLED") == "DISABLED":
            return
        remaining = [t for t in self.targets if _arn_service(t["Arn"]) not in ROUTER_DELIVERED_SERVICES]
        if not remaining:
            return
        # A shallow copy: the stored rule keeps all its targets for ListTargetsByRule.
        delivering = copy.copy(self)
        delivering.targets = remaining
        original_send(delivering, original_event, transform_input)

    def publish_and_time(self: Topic, message: str, *args, **kwargs) -> str:
        message_id = original_publish(self, message, *args, **kwargs)
        with _lock:
            _published_at[message_id] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return message_id

    Rule.send_to_targets = send_to_moto_targets
    Topic.publish = publish_and_time


def _arn_service(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[2] if len(parts) > 2 else ""


@on_reset
def _forget_publication_times() -> None:
    with _lock:
        _published_at.clear()


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
