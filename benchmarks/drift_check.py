"""The local data-quality drift check against plain `pandas.read_csv`, at 1e5, 1e6 and 1e7 rows.

For each size, a header-less CSV shaped like the batch-transform input (Age, Shape, Margin, Density; integers
drawn like the UCI data) is generated in a temporary directory. Each measurement runs in a fresh Python process so
its peak memory (ru_maxrss) is its own:
- read: `pandas.read_csv(path, header=None)` of the whole file (what a non-streaming check would need first);
- check: `run_data_quality_container` (the local Model Monitor stand-in) in check mode against a baseline (made
  beforehand from 1e5 rows), reading in chunks and writing statistics.json and constraint_violations.json;
- script: the `processing` engine's job, `python3 pipelines/monitoring/data_quality.py check ...` as the
  processing container runs it (same analyzer, plus drift_check.json).
Goal: check and script rows/s / read rows/s >= 0.5, and their peak memory flat as the rows grow. Each measurement is
repeated (--repeat, read and check interleaved) and the fastest run counts, so that other load on the machine
distorts the ratio less; peak memory is the largest seen.

Run (repository root): .venv/bin/python -m benchmarks.drift_check [--sizes 100000,1000000,10000000] [--repeat 3]
  [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.support import REPO_ROOT, Goal, ratio_line
from localaws.monitor.container import run_data_quality_container
from pipelines.monitoring import data_quality

CSV_FORMAT = json.dumps({"csv": {"header": False, "output_columns_position": "START"}})
GENERATE_CHUNK = 1_000_000
MODES = ("read", "check", "script")
GOAL = Goal(0.5, at_least=True)  # rows/s of the check against a plain read_csv of the same file


def generate(path: Path, rows: int, seed: int) -> Path:
    """Integers like the UCI features: age ~ N(55, 15) in [18, 96], shape 1-4, margin 1-5, density 1-4."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for start in range(0, rows, GENERATE_CHUNK):
            n = min(GENERATE_CHUNK, rows - start)
            frame = pd.DataFrame({
                "age": np.clip(rng.normal(55, 15, n).round(), 18, 96).astype(int),
                "shape": rng.integers(1, 5, n), "margin": rng.integers(1, 6, n), "density": rng.integers(1, 5, n),
            })
            frame.to_csv(handle, header=False, index=False)
    return path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def worker(mode: str, data: Path, baseline: Path, output: Path) -> dict:
    start = time.perf_counter()
    if mode == "read":
        rows = len(pd.read_csv(data, header=None))
    elif mode == "script":
        data_quality.main(["check", "--dataset", str(data), "--output-dir", str(output),
                           "--baseline-statistics", str(baseline / "statistics.json"),
                           "--baseline-constraints", str(baseline / "constraints.json")])
        rows = json.loads((output / "statistics.json").read_text())["dataset"]["item_count"]
    else:
        result = run_data_quality_container(
            {"dataset_format": CSV_FORMAT, "dataset_source": str(data),
             "baseline_statistics": str(baseline / "statistics.json"),
             "baseline_constraints": str(baseline / "constraints.json")},
            data.parent, output)
        rows = result.item_count
    return {"rows": rows, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def measure(mode: str, data: Path, baseline: Path, output: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, "-u", "-m", "benchmarks.drift_check", "--worker", mode, "--data", str(data),
         "--baseline", str(baseline), "--output", str(output)], check=True, capture_output=True, text=True,
        cwd=REPO_ROOT)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _best(runs: list[dict]) -> dict:
    return {"seconds": min(r["seconds"] for r in runs), "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--keep", type=Path, help="generate the data here and keep it (default: a temp dir)")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.data, args.baseline, args.output)))
        return 0

    sizes = [int(size) for size in args.sizes.split(",")]
    ratios: list[tuple[int, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="drift-check-") as temporary:
        root = args.keep or Path(temporary)
        baseline_data = generate(root / "baseline" / "data.csv", 100_000, seed=1)
        run_data_quality_container({"dataset_format": CSV_FORMAT, "dataset_source": str(baseline_data.parent)},
                                   baseline_data.parent, root / "baseline-output")
        print(f"{'rows':>10} {'read_csv rows/s':>16} {'check rows/s':>13} {'ratio':>6} {'script rows/s':>14} "
              f"{'ratio':>6} {'read_csv peak MB':>17} {'check peak MB':>14} {'script peak MB':>15} "
              f"{'violations':>10}")
        for size in sizes:
            data = generate(root / f"batch-{size}" / "data.csv", size, seed=2)
            runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
            for _ in range(max(1, args.repeat)):
                for mode in runs:
                    runs[mode].append(measure(mode, data, root / "baseline-output", root / f"out-{size}-{mode}"))
            read, check, script = (_best(runs[mode]) for mode in MODES)
            violations = {mode: json.loads((root / f"out-{size}-{mode}" / "constraint_violations.json").read_text())
                          ["violations"] for mode in ("check", "script")}
            assert violations["check"] == violations["script"], "both engines must report the same violations"
            read_rate, check_rate, script_rate = (size / run["seconds"] for run in (read, check, script))
            print(f"{size:>10} {read_rate:>16,.0f} {check_rate:>13,.0f} {check_rate / read_rate:>6.2f} "
                  f"{script_rate:>14,.0f} {script_rate / read_rate:>6.2f} {read['peak_rss_mb']:>17.0f} "
                  f"{check['peak_rss_mb']:>14.0f} {script['peak_rss_mb']:>15.0f} {len(violations['check']):>10}")
            ratios.append((size, check_rate / read_rate, script_rate / read_rate))
            data.unlink()
    for size, check_ratio, script_ratio in ratios:
        print(ratio_line(f"{size} rows, check / read_csv rows/s", check_ratio, GOAL))
        print(ratio_line(f"{size} rows, script / read_csv rows/s", script_ratio, GOAL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
