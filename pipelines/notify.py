"""What `mlops-notify` does: publish a message to a workload environment's alert topic.

Jenkins' `post { failure }` calls it (through scripts/notify-failure.sh) so a failed deployment reaches the
same people as a failed pipeline execution: the topic's e-mail subscription. It runs with credentials already
in the target account (Jenkins' cross-account role, or the local stack). The CLI is pipelines/cli/mlops_notify.py.
"""

from __future__ import annotations

import logging

import botocore.exceptions

from pipelines.aws import Target
from pipelines.config import EnvConfig
from pipelines.errors import InfraError, UsageError

log = logging.getLogger(__name__)

# SNS rejects subjects longer than 100 characters or containing line breaks.
SUBJECT_MAX_LENGTH = 100


def email_subject(subject: str) -> str:
    """`subject` as SNS accepts it: one line, at most 100 characters (a failure notice must not fail on its title)."""
    one_line = " ".join(subject.split())
    if not one_line:
        raise UsageError("--subject must not be empty")
    if len(one_line) <= SUBJECT_MAX_LENGTH:
        return one_line
    return one_line[: SUBJECT_MAX_LENGTH - 3] + "..."


def publish_alert(config: EnvConfig, subject: str, message: str, target: Target) -> str:
    """Publish to the environment's alert topic; return the SNS message id."""
    if not message.strip():
        raise UsageError("--message must not be empty")
    topic_arn = config.alert_topic_arn
    sns = target.session(config.account_id, config.aws_region).client("sns")
    try:
        response = sns.publish(TopicArn=topic_arn, Subject=email_subject(subject), Message=message)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NotFound":
            raise InfraError(
                f"alert topic {topic_arn} does not exist: apply the {config.environment} infrastructure first "
                f"(mlops-infra apply --env {config.environment})"
            ) from None
        raise InfraError(f"publishing to {topic_arn} failed: {error}") from None
    log.info("published to %s", topic_arn)
    return response["MessageId"]
