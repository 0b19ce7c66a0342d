"""P8: the CPU a `terraform plan` of an applied account costs with Go's default collector target (GOGC=100)
against the runner's (GOGC=400, pipelines.infra.terraform.GO_GC_TARGET_PERCENT), side by side in one run.

Each round plans an applied dev once with each setting (benchmarks/support/terraform_plans.py says how); the
median of the per-round ratios is printed, never asserted, with the largest resident set of any terraform or
provider process in the run.

Run: .venv/bin/python benchmarks/p8_terraform_gogc.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.support.terraform_plans import Variant, plan_rounds  # noqa: E402
from pipelines.infra.terraform import GO_GC_TARGET_PERCENT  # noqa: E402

GO_DEFAULT = "100"


def collector_target(gogc: str) -> Variant:
    return Variant(f"GOGC={gogc}", lambda: os.environ.__setitem__("GOGC", gogc))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of one plan per setting (default 3)")
    args = parser.parse_args()
    rounds = plan_rounds(collector_target(GO_DEFAULT), collector_target(GO_GC_TARGET_PERCENT), args.repeat,
                         prefix="p8-terraform-")
    print(f"plan of dev: GOGC={GO_GC_TARGET_PERCENT} / GOGC={GO_DEFAULT} CPU = {rounds.summary()}; "
          f"largest terraform or provider process: {rounds.peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
