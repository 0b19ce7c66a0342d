"""The CPU a `terraform plan` of an applied account costs with Go's default collector target (GOGC=100)
against the runner's (GOGC=400, pipelines.infra.terraform.GO_GC_TARGET_PERCENT), side by side in one run.

Each round plans an applied dev once with each setting (benchmarks/support/terraform_plans.py says how); the
median of the per-round ratios is printed against its goal (<= 0.8: the larger target must save enough CPU to
be worth its memory), never asserted, with the largest resident set of any terraform or provider process in
the run.

Run (repository root): .venv/bin/python -m benchmarks.terraform_gc_target [--repeat 3]
"""

from __future__ import annotations

import argparse
import os

from benchmarks.support import Goal, ratio_line
from benchmarks.support.terraform_plans import Variant, plan_rounds
from pipelines.infra.terraform import GO_GC_TARGET_PERCENT

GO_DEFAULT = "100"
# The runner sets GOGC=400 for less CPU: it must cost less than Go's default by a margin worth its memory.
GOAL = Goal(0.8)


def collector_target(gogc: str) -> Variant:
    return Variant(f"GOGC={gogc}", lambda: os.environ.__setitem__("GOGC", gogc))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of one plan per setting (default 3)")
    args = parser.parse_args()
    rounds = plan_rounds(collector_target(GO_DEFAULT), collector_target(GO_GC_TARGET_PERCENT), args.repeat,
                         prefix="terraform-gc-target-")
    print(f"plan of dev: GOGC={GO_GC_TARGET_PERCENT} / GOGC={GO_DEFAULT} CPU = {rounds.summary()}; "
          f"largest terraform or provider process: {rounds.peak_mb:.0f} MB")
    print(ratio_line(f"plan CPU, GOGC={GO_GC_TARGET_PERCENT} / GOGC={GO_DEFAULT}", rounds.ratio, GOAL))


if __name__ == "__main__":
    main()
