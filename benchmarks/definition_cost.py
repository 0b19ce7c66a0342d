"""Ratio: cold `get-pipeline-definition` (both pipelines) / cold import of SDK v3's workflow package.

Building a definition should cost little beyond importing the SDK (goal: ratio <= 1.15). The SDK side is
`import sagemaker.mlops.workflow.pipeline`, what any v3 pipeline script imports first. Each command runs in a fresh
interpreter (cold: no warm imports), in interleaved rounds, both with a region set (importing v3 creates boto3
clients, which need one). Run on demand (`make bench`), never as part of the test suite's pass/fail.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from benchmarks.support import REPO_ROOT, Goal, ratio_line

RUNS = 5
GOAL = Goal(1.15)
IMPORT_SDK = [sys.executable, "-c", "import sagemaker.mlops.workflow.pipeline"]
ENVIRONMENT = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
DEFINITIONS = [
    [sys.executable, "-m", "pipelines.cli.get_pipeline_definition", "--env", "dev", "--pipeline", pipeline,
     "--output", str(REPO_ROOT / "build" / "benchmark" / f"{pipeline}.json")]
    for pipeline in ("train", "inference")
]


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True, env=ENVIRONMENT)
    return time.perf_counter() - start


def main() -> int:
    seconds(IMPORT_SDK)  # warm the OS file cache once so both sides start equal
    # Interleaved rounds, so a busy machine slows both sides alike; the ratio is the median of the rounds'.
    sdk_times, definition_times, ratios = [], [], []
    for _ in range(RUNS):
        sdk = seconds(IMPORT_SDK)
        definition = statistics.mean(seconds(command) for command in DEFINITIONS)
        sdk_times.append(sdk)
        definition_times.append(definition)
        ratios.append(definition / sdk)
    ratio = statistics.median(ratios)
    print(f"cold import of the workflow package: {statistics.median(sdk_times):.2f} s (median of {RUNS})")
    print(f"cold get-pipeline-definition:        {statistics.median(definition_times):.2f} s per pipeline "
          f"(median of {RUNS})")
    print(ratio_line("cold get-pipeline-definition / cold import of the workflow package (median of the rounds)",
                     ratio, GOAL))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
