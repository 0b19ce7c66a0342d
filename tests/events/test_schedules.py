"""Schedule rules fire from the stack's clock: once per period passed, in order, only when ENABLED, through the
same delivery path as events (tests advance the clock; none waits for real time)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from localaws.tools.stack import advance_clock, call_route
from pipelines.errors import LocalStackError

DAY = 86400


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_rate_schedule_fires_once_per_period_passed(dev):
    events = dev.client("events")
    rule_arn = events.put_rule(Name="daily-report", ScheduleExpression="rate(1 day)")["RuleArn"]
    events.put_targets(Rule="daily-report", Targets=[{"Id": "alert", "Arn": dev.topic}])
    created = _time(call_route(dev.endpoint, "clock")["now"])

    fired = advance_clock(dev.endpoint, 3 * DAY)["fired"]

    assert [f["rule"] for f in fired] == ["daily-report"] * 3
    times = [_time(f["time"]) for f in fired]
    assert times == sorted(times)
    assert [t - times[0] for t in times] == [timedelta(0), timedelta(days=1), timedelta(days=2)]
    assert timedelta(days=1) - timedelta(seconds=60) <= times[0] - created <= timedelta(days=1)  # one period after
    messages = [json.loads(n.message) for n in dev.notifications()]
    assert len(messages) == 3
    assert {m["detail-type"] for m in messages} == {"Scheduled Event"}
    assert {m["source"] for m in messages} == {"aws.events"}
    assert all(m["resources"] == [rule_arn] and m["detail"] == {} for m in messages)
    assert [m["time"] for m in messages] == [f["time"] for f in fired]

    assert advance_clock(dev.endpoint, DAY // 2)["fired"] == []
    assert len(advance_clock(dev.endpoint, DAY // 2)["fired"]) == 1
    assert len(dev.notifications()) == 4


def test_the_first_rate_occurrence_is_one_period_after_creation(dev):
    events = dev.client("events")
    events.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="hourly", Targets=[{"Id": "alert", "Arn": dev.topic}])

    assert advance_clock(dev.endpoint, 3600 - 60)["fired"] == []
    assert len(advance_clock(dev.endpoint, 60)["fired"]) == 1


def test_the_terraform_schedule_starts_the_inference_pipeline_once_a_day_at_six_utc(dev):
    """The pipeline-triggers schedule: cron(0 6 * * ? *), a SageMaker pipeline target with no parameters."""
    events = dev.client("events")
    expression = dev.config.require_workload().inference_schedule.expression
    events.put_rule(Name="mammo-inference-schedule", ScheduleExpression=expression, State="ENABLED")
    events.put_targets(Rule="mammo-inference-schedule", Targets=[
        {"Id": "start-inference-pipeline", "Arn": dev.inference, "RoleArn": dev.events_role,
         "SageMakerPipelineParameters": {}}])

    fired = advance_clock(dev.endpoint, 2 * DAY)["fired"]

    assert [(_time(f["time"]).hour, _time(f["time"]).minute) for f in fired] == [(6, 0), (6, 0)]
    started = [d["detail"] for f in fired for d in f["deliveries"]]
    assert len(started) == 2
    assert all(d.startswith(f"{dev.inference}/execution/") for d in started)
    assert sorted(e["PipelineExecutionArn"] for e in dev.executions(dev.inference)) == sorted(started)


def test_a_disabled_schedule_does_not_fire_nor_catch_up(dev):
    events = dev.client("events")
    events.put_rule(Name="daily-report", ScheduleExpression="rate(1 day)", State="DISABLED")
    events.put_targets(Rule="daily-report", Targets=[{"Id": "alert", "Arn": dev.topic}])

    assert advance_clock(dev.endpoint, 3 * DAY)["fired"] == []
    events.enable_rule(Name="daily-report")
    assert advance_clock(dev.endpoint, 60)["fired"] == []  # the missed occurrences are not delivered late
    assert len(advance_clock(dev.endpoint, DAY)["fired"]) == 1
    assert len(dev.notifications()) == 1


def test_occurrences_of_several_rules_fire_in_time_order(dev):
    events = dev.client("events")
    for name, expression in (("every-6h", "rate(6 hours)"), ("every-4h", "rate(4 hours)")):
        events.put_rule(Name=name, ScheduleExpression=expression)
        events.put_targets(Rule=name, Targets=[{"Id": "alert", "Arn": dev.topic}])

    fired = advance_clock(dev.endpoint, 12 * 3600)["fired"]

    assert [_time(f["time"]) for f in fired] == sorted(_time(f["time"]) for f in fired)
    assert sorted(f["rule"] for f in fired) == ["every-4h"] * 3 + ["every-6h"] * 2


def test_the_clock_shows_the_next_occurrences_and_refuses_bad_advances(dev):
    dev.client("events").put_rule(Name="daily-report", ScheduleExpression="rate(1 day)")
    clock = call_route(dev.endpoint, "clock")
    [schedule] = [s for s in clock["schedules"] if s["rule"] == "daily-report"]
    assert _time(schedule["next"]) - _time(clock["now"]) <= timedelta(days=1)
    assert schedule["state"] == "ENABLED"

    with pytest.raises(LocalStackError, match=r'HTTP 400.*field \\?"seconds\\?" must be a number >= 0'):
        advance_clock(dev.endpoint, -1)
    dev.client("events").put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")
    with pytest.raises(LocalStackError, match="would fire more than 1000 schedule occurrences"):
        advance_clock(dev.endpoint, 30 * DAY)
    assert call_route(dev.endpoint, "clock")["offset_seconds"] == 0
