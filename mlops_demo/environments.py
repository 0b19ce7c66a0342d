"""The workload environments the demo's loop walks, a stretch of the registry file's promotion: the first is where
models are trained and approved, the last is production (batch inference, the drift check, retraining, the
endpoints), and each one between is applied and promoted through as the Jenkinsfile does (deploy stages, then the
endpoints served and smoke-tested)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.config import workload_environments
from pipelines.errors import UsageError

OPTION = "--environments"


@dataclass(frozen=True)
class DemoEnvironments:
    names: tuple[str, ...]

    @property
    def first(self) -> str:
        return self.names[0]

    @property
    def last(self) -> str:
        return self.names[-1]

    @property
    def middle(self) -> tuple[str, ...]:
        return self.names[1:-1]

    @property
    def train_label(self) -> str:
        """The step (and run) training the first version, in the first environment."""
        return f"train-{self.first}"

    @property
    def retrain_label(self) -> str:
        """The step (and run) retraining in production, started by the inference-failure rule."""
        return f"retrain-{self.last}"


def default_environments(environments_dir: Path | None = None) -> DemoEnvironments:
    """The promotion's first and last: the whole loop (train, approve, serve, drift, retrain) needs only where
    models are trained and where they serve production; every stage between adds an apply and a deployment to the
    demo's time without showing anything the last one does not."""
    promotion = workload_environments(environments_dir)
    return DemoEnvironments((promotion[0], promotion[-1]))


def parse_environments(value: str, environments_dir: Path | None = None) -> DemoEnvironments:
    """`dev,staging,prod`: workload environments of the promotion, in its order, at least two, starting with its
    first (the one that trains, and the only one that may auto-approve); raises UsageError naming the option and the
    fix."""
    promotion = workload_environments(environments_dir)
    names = tuple(name.strip() for name in value.split(","))
    expected = f"give at least two of {','.join(promotion)}, in that order, starting with {promotion[0]}"
    unknown = [name for name in names if name not in promotion]
    if unknown:
        raise UsageError(f"{OPTION}: {', '.join(map(repr, unknown))} is not a workload environment of the "
                         f"promotion: {expected}")
    if len(names) < 2:
        raise UsageError(f"{OPTION}: {value!r} names one environment: {expected}")
    if len(set(names)) != len(names) or [promotion.index(name) for name in names] != sorted(
            promotion.index(name) for name in names):
        raise UsageError(f"{OPTION}: {value!r} is not in promotion order: {expected}")
    if names[0] != promotion[0]:
        raise UsageError(f"{OPTION}: {value!r} starts with {names[0]!r}, not where models are trained: {expected}")
    return DemoEnvironments(names)
