"""What the benchmarks share: where the repository is, and the one line each prints last, its ratio against its
goal. Run a benchmark from the repository root as a module: `.venv/bin/python -m benchmarks.<name>`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Goal:
    """A ratio's goal: at most `bound` (a cost), or at least `bound` (a speed) when `at_least`."""

    bound: float
    at_least: bool = False

    def met(self, ratio: float) -> bool:
        return ratio >= self.bound if self.at_least else ratio <= self.bound

    def __str__(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.bound:g}"


def ratio_line(what: str, ratio: float, goal: Goal) -> str:
    """`<what>: ratio 1.23 (goal <= 1.5) OK`, the last line of every benchmark, one per ratio."""
    return f"{what}: ratio {ratio:.2f} (goal {goal}) {'OK' if goal.met(ratio) else 'MISSED'}"
