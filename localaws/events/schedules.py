"""Schedule rules fire in the local stack, from a clock that tests and the demo can move forward.

Every ENABLED rule with a ScheduleExpression fires at its occurrences (`localaws.events.schedule_expressions`:
rate schedules count from the rule's creation, cron schedules match UTC times): the "Scheduled Event" (source
aws.events, resources [rule ARN], detail {}) goes to the rule's targets through the stack's one delivery path
(`localaws.events.delivery.deliver_to_targets`). A disabled rule does not fire; the occurrences it missed are not
caught up when it is enabled again.

The clock is real time plus an offset. A ticker thread fires what is due every `TICK_SECONDS`;
`POST /_mlops/clock/advance` with {"seconds": N} moves the clock N seconds forward and fires every occurrence
passed, in time order, each exactly once, the clock standing at each occurrence while it fires:
{"now": ISO, "fired": [{"time", "account", "region", "rule", "rule_arn", "deliveries": [...]}]}.
`GET /_mlops/clock` answers {"now", "offset_seconds", "schedules": [{"account", "region", "rule", "rule_arn",
"expression", "state", "next"}]}. A moto reset sets the clock back to real time.

PutRule refuses a ScheduleExpression EventBridge would refuse ("Parameter ScheduleExpression is not valid.").
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.events.exceptions import ValidationException
from moto.events.models import EventsBackend, Rule, events_backends
from werkzeug import Request, Response

from localaws.events import delivery
from localaws.events.schedule_expressions import Schedule, parse_schedule
from localaws.middleware import json_response, on_reset, route
from pipelines.errors import UsageError

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
MAX_FIRINGS_PER_ADVANCE = 1000


class VirtualClock:
    """Real UTC time plus an offset that only grows."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset.total_seconds()

    def advance_to(self, moment: datetime) -> None:
        with self._lock:
            ahead = moment - (datetime.now(UTC) + self._offset)
            if ahead > timedelta():
                self._offset += ahead

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta()

    def restore(self, offset_seconds: float) -> None:
        """Set the offset a saved state had (the server's start, before anything reads the clock)."""
        with self._lock:
            self._offset = timedelta(seconds=offset_seconds)


CLOCK = VirtualClock()


@dataclass
class _ScheduleState:
    expression: str
    schedule: Schedule
    anchor: datetime
    next_due: datetime | None


@dataclass(frozen=True)
class Firing:
    time: datetime
    rule: Any  # moto Rule
    deliveries: list[delivery.Delivery]

    def as_dict(self) -> dict[str, Any]:
        return {"time": delivery.event_time(self.time), "account": self.rule.account_id,
                "region": self.rule.region_name, "rule": self.rule.name, "rule_arn": self.rule.arn,
                "deliveries": [d.as_dict() for d in self.deliveries]}


_states: dict[str, _ScheduleState] = {}  # rule ARN -> its schedule
_fire_lock = threading.RLock()
_ticker_started = threading.Event()


def install() -> None:
    original_init = Rule.__init__
    original_put_rule = EventsBackend.put_rule

    def init_with_creation_time(self: Rule, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        self.created_at = CLOCK.now()

    def put_rule_checking_schedule(self: EventsBackend, name: str, *args, **kwargs):
        expression = kwargs.get("scheduled_expression")
        if expression:
            try:
                parse_schedule(expression)
            except UsageError:
                raise ValidationException("Parameter ScheduleExpression is not valid.") from None
        return original_put_rule(self, name, *args, **kwargs)

    Rule.__init__ = init_with_creation_time
    EventsBackend.put_rule = put_rule_checking_schedule
    if not _ticker_started.is_set():
        _ticker_started.set()
        threading.Thread(target=_tick_forever, name="schedule-ticker", daemon=True).start()


def _tick_forever() -> None:
    while True:
        time.sleep(TICK_SECONDS)
        try:
            fire_due(CLOCK.now())
        except Exception:  # the ticker must survive one bad rule or delivery
            log.exception("schedule ticker failed")


def _schedule_rules() -> list[Rule]:
    rules = []
    for _account, regional in list(events_backends.items()):
        for _region, backend in list(regional.items()):
            bus = backend.event_buses.get(delivery.DEFAULT_BUS)
            if bus is not None:
                rules.extend(r for r in list(bus.rules.values()) if r.scheduled_expression)
    return rules


def _state(rule: Rule) -> _ScheduleState | None:
    state = _states.get(rule.arn)
    if state is None or state.expression != rule.scheduled_expression:
        try:
            schedule = parse_schedule(rule.scheduled_expression)
        except UsageError as error:
            log.warning("rule %s never fires: %s", rule.arn, error)
            return None
        anchor = getattr(rule, "created_at", None) or CLOCK.now()
        state = _ScheduleState(rule.scheduled_expression, schedule, anchor, schedule.first_after(anchor))
        _states[rule.arn] = state
    return state


def fire_due(until: datetime, move_clock: bool = False) -> list[Firing]:
    """Fire every occurrence up to `until` of every ENABLED schedule rule, in time order, each once."""
    firings: list[Firing] = []
    with _fire_lock:
        rules = _schedule_rules()
        for arn in set(_states) - {r.arn for r in rules}:
            del _states[arn]
        while True:
            due = []
            for rule in rules:
                state = _state(rule)
                if state is None or state.next_due is None or state.next_due > until:
                    continue
                if rule.state != "ENABLED":  # skipped, not caught up later
                    state.next_due = state.schedule.next_after(until, state.anchor)
                    continue
                due.append((state.next_due, rule.arn, rule, state))
            if not due:
                break
            moment, _, rule, state = min(due, key=lambda item: (item[0], item[1]))
            if move_clock:
                CLOCK.advance_to(moment)
            deliveries = delivery.deliver_to_targets(rule, delivery.scheduled_event(rule.arn, moment))
            firings.append(Firing(moment, rule, deliveries))
            log.info("schedule %s of rule %s fired at %s: %d delivery(ies)", state.expression, rule.arn,
                     delivery.event_time(moment), len(deliveries))
            state.next_due = state.schedule.next_after(moment, state.anchor)
        if move_clock:
            CLOCK.advance_to(until)
    return firings


def _count_due(until: datetime, limit: int) -> int:
    count = 0
    with _fire_lock:
        for rule in _schedule_rules():
            state = _state(rule)
            if state is None or rule.state != "ENABLED":
                continue
            moment = state.next_due
            while moment is not None and moment <= until and count <= limit:
                count += 1
                moment = state.schedule.next_after(moment, state.anchor)
    return count


def advance(seconds: float) -> tuple[datetime, list[Firing]]:
    """Move the clock `seconds` forward, firing what falls due on the way."""
    with _fire_lock:
        until = CLOCK.now() + timedelta(seconds=seconds)
        if _count_due(until, MAX_FIRINGS_PER_ADVANCE) > MAX_FIRINGS_PER_ADVANCE:
            raise UsageError(f"advancing the clock by {seconds:g} s would fire more than {MAX_FIRINGS_PER_ADVANCE} "
                             "schedule occurrences: advance in smaller steps")
        return until, fire_due(until, move_clock=True)


@on_reset
def _reset_clock() -> None:
    with _fire_lock:
        _states.clear()
        CLOCK.reset()


@route("clock", methods=("GET",))
def clock(request: Request) -> Response:
    with _fire_lock:
        schedules = []
        for rule in _schedule_rules():
            state = _state(rule)
            schedules.append({"account": rule.account_id, "region": rule.region_name, "rule": rule.name,
                              "rule_arn": rule.arn, "expression": rule.scheduled_expression, "state": rule.state,
                              "next": delivery.event_time(state.next_due) if state and state.next_due else None})
    return json_response({"now": _iso(CLOCK.now()), "offset_seconds": CLOCK.offset_seconds, "schedules": schedules})


@route("clock/advance", methods=("POST",))
def clock_advance(request: Request) -> Response:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        return json_response({"error": 'the body must be JSON such as {"seconds": 86400}'}, 400)
    seconds = body.get("seconds") if isinstance(body, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        return json_response({"error": f'field "seconds" must be a number >= 0, got {json.dumps(seconds)}'}, 400)
    try:
        now, firings = advance(float(seconds))
    except UsageError as error:
        return json_response({"error": str(error)}, 400)
    return json_response({"now": _iso(now), "fired": [f.as_dict() for f in firings]})


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
