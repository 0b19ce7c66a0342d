"""An SNS notification as the e-mail subscription delivers it: what the person on call reads."""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_SUBJECT = "AWS Notification Message"
SENDER = "AWS Notifications <no-reply@sns.amazonaws.com>"


def format_email(notification, topic_arn: str, recipients: Sequence[str] = ()) -> str:
    """Subject "AWS Notification Message" when the publisher set none (as EventBridge does), the body verbatim."""
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
