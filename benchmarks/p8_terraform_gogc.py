"""P8: the CPU a `terraform plan` of an applied account costs with Go's default collector target (GOGC=100)
against the runner's (GOGC=400, pipelines.infra.terraform.GO_GC_TARGET_PERCENT), side by side in one run.

dev is bootstrapped and applied once on a local stack of this benchmark's own; then each round plans it once
with each setting, in turn, through the runner (no changes, every resource refreshed). Each plan's CPU is the
user + system time of terraform and the provider processes it started (the children's rusage); the largest
resident set of any of those processes in the whole run is printed too. The ratio is taken within a round and
the median over the rounds printed, so that other load on the machine distorts it less. The figures are
printed, never asserted.

Run: .venv/bin/python benchmarks/p8_terraform_gogc.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from pipelines.aws import Target, local_environment_variables  # noqa: E402
from pipelines.infra.terraform import GO_GC_TARGET_PERCENT, TerraformRunner, runner_for  # noqa: E402
from pipelines.local.stack import LocalAwsStack  # noqa: E402

GO_DEFAULT = "100"


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured_plan(runner: TerraformRunner, gogc: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one plan with GOGC=`gogc`."""
    os.environ["GOGC"] = gogc
    cpu, wall = children_cpu_seconds(), time.monotonic()
    runner.plan()
    return children_cpu_seconds() - cpu, time.monotonic() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of one plan per setting (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="p8-terraform-") as folder, \
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
        ratios, default_cpu, tuned_cpu = [], [], []
        for round_number in range(1, args.repeat + 1):
            default, _ = measured_plan(runner, GO_DEFAULT)
            tuned, _ = measured_plan(runner, GO_GC_TARGET_PERCENT)
            default_cpu.append(default)
            tuned_cpu.append(tuned)
            ratios.append(tuned / default)
            print(f"round {round_number}: GOGC={GO_DEFAULT} {default:.1f} s CPU, GOGC={GO_GC_TARGET_PERCENT} "
                  f"{tuned:.1f} s CPU, ratio {tuned / default:.2f}", flush=True)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"plan of dev: GOGC={GO_GC_TARGET_PERCENT} / GOGC={GO_DEFAULT} CPU = {statistics.median(ratios):.2f} "
              f"(median of {args.repeat} rounds; medians {statistics.median(tuned_cpu):.1f} s vs "
              f"{statistics.median(default_cpu):.1f} s); largest terraform or provider process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
