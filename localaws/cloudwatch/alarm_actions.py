"""CloudWatch alarm actions: an alarm entering a state notifies the SNS topics of that state's actions.

moto records an alarm's state changes (SetAlarmState, or the stack's own evaluation) but performs no action. As
CloudWatch does, when the new state differs from the old one and the alarm's actions are enabled, each SNS topic
among the state's actions (AlarmActions, OKActions, InsufficientDataActions) receives the alarm notification: the
JSON message CloudWatch publishes (AlarmName, NewStateValue, NewStateReason, Trigger, ...) with the subject
`ALARM: "<name>" in <region name>`. CloudWatch notifies topics of the alarm's own account and region only; any
other ARN (another region's topic, an Auto Scaling or EC2 action) is left alone here. A topic that does not
exist receives nothing, as on AWS, where the alarm's history records the failed action.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime

import botocore.session
from moto.cloudwatch.models import Alarm
from moto.sns.models import sns_backends

ACTIONS_OF_STATE = {"ALARM": "alarm_actions", "OK": "ok_actions", "INSUFFICIENT_DATA": "insufficient_data_actions"}


def install() -> None:
    original_update_state = Alarm.update_state

    def update_state_and_notify(self: Alarm, reason: str, reason_data: str, state_value: str) -> None:
        old_state = self.state_value
        original_update_state(self, reason, reason_data, state_value)
        if self.actions_enabled and state_value != old_state:
            notify(self, old_state)

    Alarm.update_state = update_state_and_notify


def notify(alarm: Alarm, old_state: str) -> list[str]:
    """Publish the notification to the alarm's topics for its (new) state; the topic ARNs that received it."""
    _, _, _, region, account, _ = alarm.alarm_arn.split(":", 5)
    backend = sns_backends[account][region]
    subject = f'{alarm.state_value}: "{alarm.name}" in {region_name(region)}'[:100]  # SNS subjects: 100 characters
    message = json.dumps(notification(alarm, account, region, old_state), indent=None)
    notified = []
    for arn in getattr(alarm, ACTIONS_OF_STATE[alarm.state_value]) or []:
        topic = backend.topics.get(arn) if arn.split(":")[2:5] == ["sns", region, account] else None
        if topic is not None:
            topic.publish(message, subject=subject)
            notified.append(arn)
    return notified


def notification(alarm: Alarm, account: str, region: str, old_state: str) -> dict:
    """The message CloudWatch publishes for a metric alarm's state change."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description or None,
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": _timestamp(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _timestamp(alarm.state_updated_timestamp),
        "Region": region_name(region),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
            "Statistic": (alarm.statistic or "").upper(),
            "Unit": alarm.unit,
            "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
            "Period": alarm.period,
            "EvaluationPeriods": alarm.evaluation_periods,
            "DatapointsToAlarm": alarm.datapoints_to_alarm or alarm.evaluation_periods,
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": alarm.threshold,
            "TreatMissingData": alarm.treat_missing_data or "missing",
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
        },
    }


@functools.cache
def region_name(region: str) -> str:
    """The region's name as CloudWatch writes it in notifications (`US West (Oregon)`), from botocore's data."""
    for partition in botocore.session.get_session().get_data("endpoints")["partitions"]:
        if region in partition["regions"]:
            return partition["regions"][region]["description"]
    return region


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
