"""The local stack under load, and what durable state costs, side by side in one run (issue 26).

1. Load (`localaws.tools.load`, the same work as tests/local_stack/test_load.py with the full numbers): 5
   one-step pipelines x 4 (account, region) pairs started at once, all finished, each recorded once, each
   status-change event delivered once (goal: no problem), in executions/minute; then --rate InvokeEndpoint
   requests a second for --seconds on one endpoint (goal: 50/s for 60 s, no error), invocations/s achieved and
   p50/p99 latency; the server's peak resident memory; after `down`: no process, job folder or temporary folder
   left.
2. Durability on vs off: a representative workload (below; the demo takes about 4 minutes a set-up here, too long
   to repeat) on a stack with a state folder, durable (snapshots after mutating requests) vs `--no-durable`,
   alternated --repeat times; the median ratio of wall times. Goal: <= 1.05.
3. Start-up: `up` of a stack holding the workload's state (loading it) vs `up` of an empty state folder, median of
   --repeat starts each. Goal: <= 2 s and reported as a ratio to the empty `up`.

The workload (per each of 3 accounts): 4 buckets with 50 objects of 1 KB to 256 KB, 20 roles with inline
policies, 5 KMS keys with an encryption each, a model package group with 5 packages, an EventBridge rule, and one
execution of each of 2 one-step pipelines; a snapshot writes after each mutating request at most once a second.

Run: .venv/bin/python benchmarks/stack_under_load.py [--rate 50] [--seconds 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from localaws.persistence import layout  # noqa: E402
from localaws.tools import load  # noqa: E402
from localaws.tools.stack import LocalAwsStack, call_route, pid_alive  # noqa: E402
from pipelines.aws import Target  # noqa: E402

WORKLOAD_ACCOUNTS = ("111111111111", "222222222222", "333333333333")
REGION = "us-east-1"


def load_run(work: Path, rate: float, seconds: float) -> dict:
    state, temporary = work / "load-state", work / "load-tmp"
    temporary.mkdir()
    previous, os.environ["TMPDIR"] = os.environ.get("TMPDIR"), str(temporary)  # the server's: what it leaves shows
    try:
        stack = LocalAwsStack(state_dir=state, log_path=work / "load.log").start()
    finally:
        os.environ.pop("TMPDIR") if previous is None else os.environ.update(TMPDIR=previous)
    try:
        executions = load.run_executions(stack.endpoint)
        name = load.serve_model(stack.endpoint)
        invocations = load.run_invocations(stack.endpoint, name, rate, seconds)
        figures = load.server_figures(stack.pid)
        figures["snapshot_ms"] = call_route(stack.endpoint, "state")["last_snapshot_ms"]
        pid = stack.pid
    finally:
        stack.stop()
    left = [f"process {pid}"] if pid_alive(pid) else []
    left += [f"child {child}" for child in figures["children"] if pid_alive(child)]
    left += [str(path) for path in (state / "jobs").glob("*")]
    left += [str(path) for path in temporary.iterdir()]
    return {"executions": executions, "invocations": invocations, "figures": figures, "left": left}


def workload(endpoint: str) -> None:
    target = Target(endpoint)
    body = bytes(range(256)) * 1024
    for account in WORKLOAD_ACCOUNTS:
        session = target.session(account, REGION)
        s3, iam, kms = session.client("s3"), session.client("iam"), session.client("kms")
        for bucket_number in range(4):
            bucket = f"workload-{account}-{bucket_number}"
            s3.create_bucket(Bucket=bucket)
            for number in range(50):
                size = 1024 * (1 + (number * 37) % 256)
                s3.put_object(Bucket=bucket, Key=f"data/{number:03d}.bin", Body=body[:size])
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "sagemaker.amazonaws.com"}}]})
        for number in range(20):
            iam.create_role(RoleName=f"workload-{number}", AssumeRolePolicyDocument=trust)
            iam.put_role_policy(RoleName=f"workload-{number}", PolicyName="s3", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                        "Resource": f"arn:aws:s3:::workload-{account}-*/*"}]}))
        for _ in range(5):
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            kms.encrypt(KeyId=key, Plaintext=b"workload")
        sagemaker = session.client("sagemaker")
        sagemaker.create_model_package_group(ModelPackageGroupName="workload")
        for _ in range(5):
            sagemaker.create_model_package(ModelPackageGroupName="workload", ModelApprovalStatus="Approved",
                                           InferenceSpecification={"Containers": [{
                                               "Image": load.XGBOOST_IMAGE,
                                               "ModelDataUrl": f"s3://workload-{account}-0/data/000.bin"}],
                                               "SupportedContentTypes": ["text/csv"],
                                               "SupportedResponseMIMETypes": ["text/csv"]})
        session.client("events").put_rule(Name="workload", ScheduleExpression="rate(1 day)")
    executions = load.run_executions(endpoint, pipelines_per_pair=2,
                                     pairs=tuple((account, REGION) for account in WORKLOAD_ACCOUNTS))
    if executions.problems():
        raise RuntimeError(f"the workload's executions: {executions.problems()}")


def timed_workload(work: Path, durable: bool, number: int) -> tuple[float, Path]:
    state = work / f"workload-{'durable' if durable else 'volatile'}-{number}"
    with LocalAwsStack(state_dir=state, log_path=work / f"workload-{number}.log", durable=durable) as stack:
        began = time.perf_counter()
        workload(stack.endpoint)
        return time.perf_counter() - began, state


def timed_up(work: Path, state: Path, label: str) -> float:
    stack = LocalAwsStack(state_dir=state, log_path=work / f"up-{label}.log")
    began = time.perf_counter()
    stack.start()
    seconds = time.perf_counter() - began
    stack.stop()
    return seconds


def _size(path: Path) -> int:
    """Bytes in a file, or in the files of a folder."""
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50, help="InvokeEndpoint requests a second (default 50)")
    parser.add_argument("--seconds", type=float, default=60, help="for how long (default 60)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the side-by-side measures (default 3)")
    parser.add_argument("--skip-load", action="store_true", help="only the durability and start-up measures")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="stack-under-load-") as folder:
        work = Path(folder)
        if not args.skip_load:
            result = load_run(work, args.rate, args.seconds)
            executions, invocations = result["executions"], result["invocations"]
            print(f"executions: {executions.started} started at once, {executions.per_minute:.0f}/min "
                  f"({executions.seconds:.1f} s for all); problems: {executions.problems() or 'none'} "
                  "(goal: none)")
            print(f"invocations: {args.rate:g}/s asked for {args.seconds:g} s, {invocations.achieved_per_second:.1f}/s "
                  f"achieved, {len(invocations.errors)} errors (goal: 0), p50 {invocations.median * 1000:.1f} ms, "
                  f"p99 {invocations.percentile(0.99) * 1000:.1f} ms")
            figures = result["figures"]
            print(f"server: peak RSS {figures['peak_rss'] / 1e6:.0f} MB, {figures['threads']} threads at the end of "
                  f"the load, last snapshot {figures['snapshot_ms']:.0f} ms (InvokeEndpoint adds CloudWatch metrics: "
                  f"state); left after down: {result['left'] or 'nothing'} (goal: nothing)")

        durable_times, volatile_times, ratios = [], [], []
        state = None
        for number in range(args.repeat):  # alternated, so other load on the machine hits both alike
            volatile, _ = timed_workload(work, False, number)
            durable, state = timed_workload(work, True, number)
            volatile_times.append(volatile)
            durable_times.append(durable)
            ratios.append(durable / volatile)
        print(f"workload: durable {statistics.median(durable_times):.1f} s vs --no-durable "
              f"{statistics.median(volatile_times):.1f} s: ratio {statistics.median(ratios):.3f} (goal <= 1.05); "
              f"state {(_size(layout.state_file(state)) + _size(state / layout.PARTS)) / 1e6:.1f} MB + "
              f"{_size(state / layout.BLOBS) / 1e6:.1f} MB "
              "of object bodies")

        empty_ups, full_ups = [], []
        for number in range(args.repeat):
            empty_ups.append(timed_up(work, work / f"empty-{number}", f"empty-{number}"))
            full_ups.append(timed_up(work, state, f"full-{number}"))
        empty, full = statistics.median(empty_ups), statistics.median(full_ups)
        print(f"up: with the workload's state {full:.2f} s vs empty {empty:.2f} s: ratio {full / empty:.2f} "
              f"(goal <= 2 s)")


if __name__ == "__main__":
    main()
