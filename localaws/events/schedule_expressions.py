"""EventBridge schedule expressions: when a rule's `rate(...)` or `cron(...)` schedule fires (UTC).

- `rate(N minute|minutes|hour|hours|day|days)` fires every N units counted from the rule's creation: the first
  occurrence is one period after it (the schedule starts when the rule is created).
- `cron(minutes hours day-of-month month day-of-week year)` is AWS's six-field cron (`?`, `L`, `W`, `#`, ranges,
  lists, increments, names, the year field), evaluated by pyawscron; the first occurrence is the first time the
  expression matches strictly after the rule's creation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyawscron import AWSCron

from pipelines.errors import UsageError

_RATE = re.compile(r"^rate\((?P<value>[1-9][0-9]*) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((?P<fields>[^()]+)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Schedule:
    expression: str
    period: timedelta | None  # rate expressions
    cron: AWSCron | None

    def first_after(self, created: datetime) -> datetime | None:
        """The first occurrence for a rule created at `created`."""
        created = _utc(created)
        if self.period is not None:
            return created + self.period
        return self.next_after(created)

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime | None:
        """The first occurrence strictly after `moment` (a rate counts its periods from `anchor`); None if none."""
        moment = _utc(moment)
        if self.period is not None:
            anchor = _utc(anchor) if anchor is not None else moment
            periods = int((moment - anchor) / self.period) + 1 if moment >= anchor else 1
            return anchor + periods * self.period
        # pyawscron works at minute precision and returns the next match after the given minute.
        occurrence = self.cron.occurrence(moment.replace(second=0, microsecond=0)).next()
        return _utc(occurrence) if occurrence is not None else None


def parse_schedule(expression: str) -> Schedule:
    """A rule's ScheduleExpression; UsageError naming the expression when it is not one EventBridge accepts."""
    rate = _RATE.match(expression or "")
    if rate:
        value, unit = int(rate["value"]), rate["unit"]
        if (value == 1) != (not unit.endswith("s")):
            raise UsageError(f"ScheduleExpression {expression!r}: use the singular unit for 1 and the plural "
                             "otherwise, e.g. rate(1 day), rate(5 days)")
        return Schedule(expression, timedelta(seconds=value * _UNIT_SECONDS[unit.rstrip("s")]), None)
    cron = _CRON.match(expression or "")
    if cron:
        fields = cron["fields"].split()
        if len(fields) != 6:
            raise UsageError(f"ScheduleExpression {expression!r}: cron takes 6 fields (minutes hours day-of-month "
                             "month day-of-week year), e.g. cron(0 6 * * ? *)")
        if (fields[2] == "?") == (fields[4] == "?"):
            raise UsageError(f"ScheduleExpression {expression!r}: exactly one of day-of-month (3rd field) and "
                             "day-of-week (5th field) must be '?', e.g. cron(0 6 * * ? *)")
        try:
            return Schedule(expression, None, AWSCron(cron["fields"]))
        except Exception as error:  # pyawscron raises plain exceptions for bad fields
            raise UsageError(f"ScheduleExpression {expression!r} is not a valid cron expression: {error}") from None
    raise UsageError(f"ScheduleExpression {expression!r} is neither rate(N unit) nor cron(6 fields)")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
