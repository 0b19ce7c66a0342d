"""What S3 bodies cost a durable stack's load and snapshots (issue 26), moto in-process, in one run.

A state of --objects objects of 1 MiB is written (`DurableState.write`), then loaded --repeat times, each in a
fresh process: the seconds `DurableState.load` takes and the resident memory it adds, side by side with the bodies'
size (goal: loading costs no memory in proportion to the bodies: they stay in their blob files), then two
snapshots of every service with the bodies each read (goal: 0: every loaded body is known by its blob).

Run: .venv/bin/python -m benchmarks.stored_bodies [--objects 150] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUCKET = "stored-bodies-benchmark"
MIB = 1 << 20


def _resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _in_process(mode: str, state: Path, objects: int) -> dict:
    """Run with moto in this process: write the state, or load it and snapshot."""
    import boto3
    from moto import mock_aws

    from localaws.persistence.snapshots import DurableState

    with mock_aws():
        if mode == "write":
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket=BUCKET)
            for number in range(objects):
                s3.put_object(Bucket=BUCKET, Key=f"data/{number}.bin", Body=os.urandom(MIB))
            DurableState(state).write(everything=True)
            return {}
        before, began = _resident_bytes(), time.perf_counter()
        durable = DurableState(state)
        durable.load()
        figures = {"load_seconds": time.perf_counter() - began, "added_bytes": _resident_bytes() - before}
        reads = []
        for _ in range(2):
            read_before = durable.bodies_read
            durable.write(everything=True)
            reads.append(durable.bodies_read - read_before)
        return {**figures, "bodies_read": reads}


def _run(mode: str, state: Path, objects: int) -> dict:
    result = subprocess.run([sys.executable, "-m", "benchmarks.stored_bodies", "--in-process", mode, str(state),
                             str(objects)], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    if sys.argv[1:2] == ["--in-process"]:
        mode, state, objects = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(_in_process(mode, state, objects)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=150, help="objects of 1 MiB in the state (default 150)")
    parser.add_argument("--repeat", type=int, default=3, help="loads measured (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stored-bodies-") as folder:
        state = Path(folder) / "state"
        _run("write", state, args.objects)
        loads = [_run("load", state, args.objects) for _ in range(args.repeat)]
    bodies = args.objects * MIB
    added = statistics.median(load["added_bytes"] for load in loads)
    print(f"load of {args.objects} objects ({bodies / 1e6:.0f} MB of bodies): "
          f"{statistics.median(load['load_seconds'] for load in loads):.2f} s, resident memory "
          f"+{added / 1e6:.0f} MB: {added / bodies:.3f} of the bodies' size (goal: far below 1)")
    print(f"bodies read by the two snapshots after each load: {[load['bodies_read'] for load in loads]} (goal: 0)")


if __name__ == "__main__":
    main()
