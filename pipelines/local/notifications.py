"""Reading back what was published to an SNS topic of the local stack, and printing it as the email reads.

The local stack keeps every message published to a topic (route `/_mlops/sns/notifications`, extension
`pipelines.local.extensions.eventbridge_sns`); nothing is sent anywhere. `format_email` renders one message the
way an SNS email subscription delivers it: subject "AWS Notification Message" when the publisher set none (as
EventBridge does), the message body verbatim.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.errors import LocalStackError

ROUTE = "/_mlops/sns/notifications"
DEFAULT_SUBJECT = "AWS Notification Message"
SENDER = "AWS Notifications <no-reply@sns.amazonaws.com>"
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Notification:
    subject: str | None
    message: str
    timestamp: str | None
    message_id: str = ""


def read_notifications(endpoint: str, topic_arn: str) -> list[Notification]:
    """Every message published to `topic_arn` on the local stack at `endpoint`, oldest first."""
    parsed = urllib.parse.urlsplit(endpoint)
    if parsed.scheme != "http" or parsed.hostname not in ("127.0.0.1", "localhost"):
        raise LocalStackError(f"{endpoint} is not a local stack endpoint (expected http://127.0.0.1:PORT)")
    url = f"{endpoint.rstrip('/')}{ROUTE}?{urllib.parse.urlencode({'topic_arn': topic_arn})}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (loopback, checked)
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        reason = error.read().decode(errors="replace")
        raise LocalStackError(f"reading the notifications of {topic_arn} failed (HTTP {error.code}): "
                              f"{reason}") from None
    except (urllib.error.URLError, OSError) as error:
        raise LocalStackError(f"the local stack at {endpoint} does not answer ({error}); is it running? "
                              "(mlops-local up)") from None
    return [Notification(subject=n.get("subject"), message=n["message"], timestamp=n.get("timestamp"),
                         message_id=n.get("message_id", "")) for n in body["notifications"]]


def format_email(notification: Notification, topic_arn: str, recipients: Sequence[str] = ()) -> str:
    """The notification as an SNS email subscription would show it."""
    lines = [f"From: {SENDER}"]
    if recipients:
        lines.append(f"To: {', '.join(recipients)}")
    lines += [
        f"Subject: {notification.subject or DEFAULT_SUBJECT}",
        f"Date: {notification.timestamp or 'unknown'}",
        "",
        notification.message,
        "",
        "--",
        f"You receive this email because your address is subscribed to the SNS topic {topic_arn}.",
    ]
    return "\n".join(lines)
