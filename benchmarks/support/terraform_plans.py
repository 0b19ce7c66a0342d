"""Side-by-side rounds of `terraform plan` of an applied dev account, for the benchmarks that compare two ways
of running terraform (terraform_gc_target: Go's collector target, provider_endpoints: how the provider finds the
local stack).

dev is bootstrapped and applied once on a local stack of the run's own; then each round plans it once per
variant, in turn, through the runner (no changes, every resource refreshed). A plan's CPU is the user + system
time of terraform and the provider processes it started (the children's rusage). The ratio is taken within a
round, so that other load on the machine distorts it less.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from localaws.tools.stack import LocalAwsStack
from pipelines.aws import Target, local_environment_variables
from pipelines.infra.terraform import runner_for


@dataclass(frozen=True)
class Variant:
    label: str
    prepare: Callable[[], None]  # called before each of this variant's plans


@dataclass(frozen=True)
class PlanRounds:
    """CPU seconds of each round's plan per variant, and `second / first` per round."""

    first: list[float]
    second: list[float]
    ratios: list[float]
    peak_mb: float  # the largest resident set of any terraform or provider process in the run

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    def summary(self) -> str:
        return (f"{self.ratio:.2f} (median of {len(self.ratios)} rounds; medians "
                f"{statistics.median(self.second):.1f} s vs {statistics.median(self.first):.1f} s)")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def plan_rounds(first: Variant, second: Variant, repeat: int, prefix: str) -> PlanRounds:
    """`repeat` rounds of one plan of dev with each variant, on a fresh local stack; each round printed."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder, \
            LocalAwsStack(log_path=Path(folder) / "server.log") as stack:
        variables, removed = local_environment_variables(stack.endpoint)
        for name in removed:
            os.environ.pop(name, None)
        os.environ.update(variables)
        os.environ["MLOPS_LOCAL_DIR"] = str(Path(folder) / "local")
        runner = runner_for("dev", Target.local_stack(stack.endpoint), work_dir=Path(folder) / "dev")
        print("applying dev on a local stack of its own (about a minute: the provider's S3 waits) ...", flush=True)
        runner.bootstrap_and_apply()
        runner.plan()  # warm: the first plan after an apply reads the provider binary from disk

        def measured(variant: Variant) -> float:
            variant.prepare()
            cpu = children_cpu_seconds()
            runner.plan()
            return children_cpu_seconds() - cpu

        rounds = PlanRounds([], [], [], 0.0)
        for round_number in range(1, repeat + 1):
            a, b = measured(first), measured(second)
            rounds.first.append(a)
            rounds.second.append(b)
            rounds.ratios.append(b / a)
            print(f"round {round_number}: {first.label} {a:.1f} s CPU, {second.label} {b:.1f} s CPU, "
                  f"ratio {b / a:.2f}", flush=True)
        return PlanRounds(rounds.first, rounds.second, rounds.ratios,
                          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
