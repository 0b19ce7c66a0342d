"""When schedule expressions fire: rate from the rule's creation, AWS's six-field cron in UTC (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from localaws.events.schedule_expressions import parse_schedule
from pipelines.errors import UsageError

CREATED = datetime(2026, 11, 26, 0, 37, 25, tzinfo=UTC)  # a Thursday


def occurrences(expression: str, count: int, start: datetime = CREATED) -> list[str]:
    schedule = parse_schedule(expression)
    moment, found = schedule.first_after(start), []
    while moment is not None and len(found) < count:
        found.append(moment.strftime("%Y-%m-%d %H:%M %a"))
        moment = schedule.next_after(moment, start)
    return found


def test_rate_counts_whole_periods_from_creation():
    schedule = parse_schedule("rate(1 day)")
    assert schedule.first_after(CREATED) == CREATED + timedelta(days=1)
    assert schedule.next_after(CREATED + timedelta(days=3, hours=5), CREATED) == CREATED + timedelta(days=4)
    assert schedule.next_after(CREATED + timedelta(days=2), CREATED) == CREATED + timedelta(days=3)  # strictly after
    assert parse_schedule("rate(15 minutes)").first_after(CREATED) == CREATED + timedelta(minutes=15)
    assert parse_schedule("rate(2 hours)").first_after(CREATED) == CREATED + timedelta(hours=2)


@pytest.mark.parametrize(("expression", "expected"), [
    ("cron(0 6 * * ? *)", ["2026-11-26 06:00 Thu", "2026-11-27 06:00 Fri", "2026-11-28 06:00 Sat"]),
    ("cron(0/15 * * * ? *)", ["2026-11-26 00:45 Thu", "2026-11-26 01:00 Thu", "2026-11-26 01:15 Thu"]),
    ("cron(0 18 ? * MON-FRI *)", ["2026-11-26 18:00 Thu", "2026-11-27 18:00 Fri", "2026-11-30 18:00 Mon"]),
    ("cron(0 10 ? * 6L *)", ["2026-11-27 10:00 Fri", "2026-12-25 10:00 Fri", "2027-01-29 10:00 Fri"]),  # last Fri
    ("cron(0 10 L * ? *)", ["2026-11-30 10:00 Mon", "2026-12-31 10:00 Thu", "2027-01-31 10:00 Sun"]),
    ("cron(0 10 15W * ? *)", ["2026-12-15 10:00 Tue", "2027-01-15 10:00 Fri", "2027-02-15 10:00 Mon"]),
    ("cron(0 10 ? * 2#1 *)", ["2026-12-07 10:00 Mon", "2027-01-04 10:00 Mon", "2027-02-01 10:00 Mon"]),  # 1st Mon
    ("cron(0 8 1 1 ? 2027)", ["2027-01-01 08:00 Fri"]),                                 # the year field ends it
    ("cron(0 8 1 1 ? 2025)", []),
])
def test_cron_follows_aws_syntax_in_utc(expression, expected):
    assert occurrences(expression, 3) == expected


def test_a_weekday_nearest_to_a_saturday_is_the_friday_before():
    assert occurrences("cron(0 9 14W * ? *)", 1, datetime(2026, 11, 1, tzinfo=UTC)) == ["2026-11-13 09:00 Fri"]


@pytest.mark.parametrize(("expression", "message"), [
    ("rate(1 days)", "singular unit for 1"),
    ("rate(5 day)", "singular unit for 1"),
    ("rate(0 days)", "neither rate"),
    ("cron(0 6 * * *)", "cron takes 6 fields"),
    ("cron(0 6 * * * *)", "exactly one of day-of-month"),
    ("cron(0 6 ? * ? *)", "exactly one of day-of-month"),
    ("every day", "neither rate"),
])
def test_invalid_expressions_are_named(expression, message):
    with pytest.raises(UsageError, match=message):
        parse_schedule(expression)
