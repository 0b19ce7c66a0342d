"""The CPU of making a session and its clients with boto3's default (each session parses botocore's data
files again) against the project's sessions (one shared data loader per process, pipelines.aws.new_session),
side by side in one run.

Each round makes `--sessions` sessions of each kind, with their own credentials as sessions of different
accounts have, and one client of each of the services the platform's code calls most; no request is sent. The
ratio is taken within a round and the median over the rounds printed, so that other load on the machine
distorts it less. The figures are printed against the goal (<= 0.5: sharing must at least halve the cost),
never asserted.

Run (repository root): .venv/bin/python -m benchmarks.shared_data_loader [--repeat 5] [--sessions 20]
"""

from __future__ import annotations

import argparse
import resource
import statistics
from collections.abc import Callable

import boto3

from benchmarks.support import Goal, ratio_line
from pipelines.aws import FAKE_SECRET_ACCESS_KEY, new_session

SERVICES = ("sagemaker", "s3", "sts", "events", "sns")
GOAL = Goal(0.5)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured(make_session: Callable[..., boto3.Session], sessions: int) -> float:
    """CPU seconds to make `sessions` sessions and a client of each of SERVICES in each."""
    started = cpu_seconds()
    for index in range(sessions):
        session = make_session(aws_access_key_id=f"AKIA{index:016d}", region_name="us-east-1",
                               aws_secret_access_key=FAKE_SECRET_ACCESS_KEY)
        for service in SERVICES:
            session.client(service, endpoint_url="http://127.0.0.1:1")
    return cpu_seconds() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds of each kind (default 5)")
    parser.add_argument("--sessions", type=int, default=20, help="sessions per kind and round (default 20)")
    args = parser.parse_args()
    measured(new_session, 1)  # the shared loader's first parse belongs to no round
    ratios, default_cpu, shared_cpu = [], [], []
    for round_number in range(1, args.repeat + 1):
        default = measured(boto3.Session, args.sessions)
        shared = measured(new_session, args.sessions)
        default_cpu.append(default)
        shared_cpu.append(shared)
        ratios.append(shared / default)
        print(f"round {round_number}: boto3.Session {default:.2f} s CPU, shared loader {shared:.2f} s CPU, "
              f"ratio {shared / default:.2f}", flush=True)
    clients = args.sessions * len(SERVICES)
    print(f"{args.sessions} sessions with {clients} clients: shared loader / boto3 default CPU = "
          f"{statistics.median(ratios):.2f} (median of {args.repeat} rounds; medians "
          f"{statistics.median(shared_cpu):.2f} s vs {statistics.median(default_cpu):.2f} s)")
    print(ratio_line("session and clients CPU, shared loader / boto3 default", statistics.median(ratios), GOAL))


if __name__ == "__main__":
    main()
