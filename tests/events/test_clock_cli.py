"""`mlops-local clock advance DURATION` against the running stack: the schedule fires and the command says so."""

from __future__ import annotations

import pytest

from localaws import cli
from localaws.tools.stack import stack_state_file, write_state
from pipelines.config import load_config

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account


@pytest.fixture
def recorded_stack(dev, aws):
    """The session stack recorded as `mlops-local up` records it (in the test session's MLOPS_LOCAL_DIR)."""
    write_state(aws.endpoint, aws.pid)
    yield aws
    stack_state_file().unlink(missing_ok=True)


def test_clock_advance_fires_the_due_schedules_and_prints_them(dev, recorded_stack, capsys):
    events = dev.client("events")
    events.put_rule(Name="daily-report", ScheduleExpression="rate(1 day)")
    events.put_targets(Rule="daily-report", Targets=[{"Id": "alert", "Arn": dev.topic}])

    assert cli.main(["clock", "advance", "2d"]) == 0

    out = capsys.readouterr().out
    assert "clock advanced by 172800 s" in out
    assert "2 schedule occurrence(s) fired" in out
    assert out.count(f"rule daily-report (account {ACCOUNTS.dev})") == 2
    assert out.count(f"-> sns {dev.topic}: ") == 2
    assert len(dev.notifications()) == 2


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("1d", 86400)])
def test_durations(text, seconds):
    assert cli.duration_seconds(text) == seconds


def test_a_bad_duration_is_a_usage_error_naming_the_argument(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["clock", "advance", "1 week"])
    assert exited.value.code == 2
    assert "argument DURATION: DURATION must be a whole number and a unit s, m, h or d" in capsys.readouterr().err
