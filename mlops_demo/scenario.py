"""A scenario is an ordered list of named steps, each acting in one account; running it records every outcome.

The demo's summary table and the end-to-end test both read the recorded outcomes, so a step is only ever
reported by what it returned (its one-line result) or by the error that stopped it, never by a guess.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pipelines.errors import DemoStepFailed, MlopsError

LOG = logging.getLogger(__name__)

Context = TypeVar("Context")

SUCCEEDED = "ok"
FAILED = "FAILED"
NOT_RUN = "not run"


@dataclass(frozen=True)
class Step(Generic[Context]):
    """One named step: `action(context)` does the work in `account` and returns a one-line result."""

    name: str
    account: str
    description: str
    action: Callable[[Context], str]


@dataclass(frozen=True)
class StepOutcome:
    name: str
    account: str
    description: str
    status: str
    result: str
    seconds: float


@dataclass(frozen=True)
class ScenarioResult:
    outcomes: tuple[StepOutcome, ...]
    error: DemoStepFailed | None

    @property
    def succeeded(self) -> bool:
        return self.error is None

    def outcome(self, name: str) -> StepOutcome:
        for outcome in self.outcomes:
            if outcome.name == name:
                return outcome
        raise KeyError(f"no step named {name!r}; steps: {', '.join(o.name for o in self.outcomes)}")


class Scenario(Generic[Context]):
    """Runs its steps in order; the first failing step stops the run and the rest are recorded as not run."""

    def __init__(self, steps: Sequence[Step[Context]]):
        names = [step.name for step in steps]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"step names must be unique, repeated: {', '.join(duplicates)}")
        self.steps = tuple(steps)

    def run(self, context: Context, account_label: Callable[[str], str] = str) -> ScenarioResult:
        outcomes: list[StepOutcome] = []
        for index, step in enumerate(self.steps, start=1):
            where = account_label(step.account)
            LOG.info("step %d/%d %s [%s]: %s", index, len(self.steps), step.name, where, step.description)
            started = time.monotonic()
            try:
                result = step.action(context)
            except BaseException as error:  # KeyboardInterrupt too: the summary still shows where it stopped
                seconds = time.monotonic() - started
                failure = DemoStepFailed(step.name, where, error)
                outcomes.append(StepOutcome(step.name, where, step.description, FAILED, str(failure.cause_text),
                                            seconds))
                outcomes.extend(StepOutcome(later.name, account_label(later.account), later.description, NOT_RUN,
                                            "", 0.0) for later in self.steps[index:])
                LOG.error("step %s [%s] failed after %.1f s: %s", step.name, where, seconds, failure.cause_text,
                          exc_info=not isinstance(error, MlopsError | KeyboardInterrupt))
                return ScenarioResult(tuple(outcomes), failure)
            seconds = time.monotonic() - started
            LOG.info("step %s [%s] done in %.1f s: %s", step.name, where, seconds, result)
            outcomes.append(StepOutcome(step.name, where, step.description, SUCCEEDED, result, seconds))
        return ScenarioResult(tuple(outcomes), None)


def format_summary(result: ScenarioResult) -> str:
    """A plain-text table: step, account, status, seconds, result (what `mlops-demo` prints at the end)."""
    header = ("#", "step", "account", "status", "seconds", "result")
    rows = [
        (str(index), o.name, o.account, o.status, f"{o.seconds:.1f}" if o.status != NOT_RUN else "-", o.result)
        for index, o in enumerate(result.outcomes, start=1)
    ]
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header) - 1)]
    lines = []
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join((*cells, row[-1])).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths) + "  " + "-" * 6)
    total = sum(o.seconds for o in result.outcomes)
    verdict = "all steps succeeded" if result.succeeded else f"stopped: {result.error}"
    lines.append(f"total {total:.1f} s - {verdict}")
    return "\n".join(lines)
