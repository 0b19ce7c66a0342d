"""Step concurrency: a pipeline of independent processing steps, run one step at a time vs concurrently.

Definition: --steps independent Processing steps (the scikit-learn image), each a script doing the same work -
about --work seconds of pure Python on an idle core (--kind cpu), or of sleeping (--kind sleep: a job that
waits, e.g. on I/O, so the machine's other load matters less) - and writing a small output to S3. It is
created twice on a local stack: with ParallelismConfiguration.MaxParallelExecutionSteps 1, and without one (AWS's
default, 50; container steps are further limited to one per CPU). Each is started with StartPipelineExecution
and timed until DescribePipelineExecution answers Succeeded; --repeat runs each (interleaved), the fastest counts.
Reported: both times and the speed-up (serial / concurrent). On N CPUs the ceiling is min(N, --steps); the goal
is three quarters of it (the rest goes to starting containers and polling).

Run (repository root): .venv/bin/python -m benchmarks.step_concurrency [--steps 4] [--work 1.0] [--kind cpu|sleep]
  [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from textwrap import dedent

from benchmarks.support import Goal, ratio_line
from localaws.tools.stack import LocalAwsStack
from pipelines.aws import Target

ACCOUNT = "222222222222"
BUCKET = f"concurrency-benchmark-{ACCOUNT}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/mammo-sagemaker-execution"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
POLL_SECONDS = 0.05
GOAL_SHARE_OF_CEILING = 0.75
TERMINAL = ("Succeeded", "Failed", "Stopped")

# Pure-Python arithmetic for a fixed number of iterations (calibrated once, so every step does the same work).
SCRIPT = dedent("""
    import argparse, pathlib, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--iterations", type=int, required=True)
    parser.add_argument("--sleep", type=float, default=0)
    args = parser.parse_args()
    time.sleep(args.sleep)
    total = 0
    for i in range(args.iterations):
        total += i * i % 7
    pathlib.Path(args.output_dir, "total.txt").write_text(str(total))
""")


def calibrate(seconds: float) -> int:
    """Iterations of SCRIPT's loop that take about `seconds` here."""
    iterations, started = 2_000_000, time.perf_counter()
    total = 0
    for i in range(iterations):
        total += i * i % 7
    return int(iterations * seconds / (time.perf_counter() - started))


def step(name: str, iterations: int, sleep: float) -> dict:
    return {"Name": name, "Type": "Processing", "Arguments": {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": SKLEARN_IMAGE,
                             "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/work.py"],
                             "ContainerArguments": ["--output-dir", "/opt/ml/processing/output",
                                                    "--iterations", str(iterations), "--sleep", str(sleep)]},
        "RoleArn": ROLE,
        "ProcessingInputs": [{"InputName": "code", "S3Input": {
            "S3Uri": f"s3://{BUCKET}/code/", "LocalPath": "/opt/ml/processing/input/code",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "output", "S3Output": {
            "S3Uri": f"s3://{BUCKET}/out/{name}", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob"}}]},
    }}


def run_on_stack(sagemaker, pipeline_name: str) -> float:
    started = time.perf_counter()
    arn = sagemaker.start_pipeline_execution(PipelineName=pipeline_name)["PipelineExecutionArn"]
    while (description := sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn))[
            "PipelineExecutionStatus"] not in TERMINAL:
        time.sleep(POLL_SECONDS)
    if description["PipelineExecutionStatus"] != "Succeeded":
        raise SystemExit(f"{pipeline_name} failed: {description.get('FailureReason')}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--work", type=float, default=1.0, help="seconds of work per step")
    parser.add_argument("--kind", choices=("cpu", "sleep"), default="cpu", help="computing or waiting")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    iterations, sleep = (calibrate(args.work), 0.0) if args.kind == "cpu" else (0, args.work)
    definition = json.dumps({"Version": "2020-12-01", "Parameters": [],
                             "Steps": [step(f"Work{index}", iterations, sleep) for index in range(args.steps)]})

    times: dict[str, list[float]] = {"serial": [], "concurrent": []}
    with LocalAwsStack() as stack:
        session = Target.local_stack(stack.endpoint).session(ACCOUNT, "us-east-1")
        s3, sagemaker = session.client("s3"), session.client("sagemaker")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="code/work.py", Body=SCRIPT.encode())
        sagemaker.create_pipeline(PipelineName="serial", PipelineDefinition=definition, RoleArn=ROLE,
                                  ParallelismConfiguration={"MaxParallelExecutionSteps": 1})
        sagemaker.create_pipeline(PipelineName="concurrent", PipelineDefinition=definition, RoleArn=ROLE)
        for _ in range(args.repeat):
            for name in times:
                times[name].append(run_on_stack(sagemaker, name))

    serial, concurrent = min(times["serial"]), min(times["concurrent"])
    what = "CPU work" if args.kind == "cpu" else "sleeping"
    print(f"Step concurrency: {args.steps} independent processing steps of ~{args.work:.1f} s {what} each, "
          f"{os.cpu_count()} CPU(s)")
    for name, runs in times.items():
        print(f"  {name:<10} {min(runs):7.2f} s   (runs: {', '.join(f'{t:.2f}' for t in runs)})")
    ceiling = min(os.cpu_count() or 1, args.steps)
    print(f"  speed-up   {serial / concurrent:7.2f}x   (ceiling min(CPUs, steps) = {ceiling})")
    print(ratio_line("serial / concurrent time", serial / concurrent, Goal(GOAL_SHARE_OF_CEILING * ceiling,
                                                                                at_least=True)))


if __name__ == "__main__":
    main()
