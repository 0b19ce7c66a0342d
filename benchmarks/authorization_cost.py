"""What IAM enforcement costs: the same calls on a stack with `--authorization enforce` and one with `off`, side by
side in one run.

1. Latency: S3 GetObject (1 KB), SageMaker DescribePipelineExecution and an SSE-KMS PutObject (1 KB, the bucket's
   key named in the call), each signed by a role session whose policies allow exactly those calls (in enforce
   mode every call is decided: the identity policies, the bucket's policy, the key policy through kms:ViaService
   for PutObject's kms:GenerateDataKey). --calls calls of each operation per round (--repeat rounds), the two
   stacks alternating call by call so that other load on the machine hits both alike; the median latency of
   each side. Goal: enforce / off <= 1.2 for each operation.
2. The demo loop (`mlops-demo --endpoint`, its wall time) on a fresh stack of each mode, one after the other.
   Goal: enforce / off <= 1.1. `--quick` skips it (the demo takes minutes a run).

Run (repository root): .venv/bin/python -m benchmarks.authorization_cost [--calls 200] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import boto3

from benchmarks.support import REPO_ROOT, Goal, ratio_line
from localaws.tools.stack import LocalAwsStack
from pipelines.aws import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

ACCOUNT, REGION, BUCKET, KEY = "123456789012", "us-east-1", "bench-data", "rows.csv"
BODY = b"x" * 1024
MODES = ("off", "enforce")
LATENCY_GOAL, DEMO_GOAL = Goal(1.2), Goal(1.1)
ADMIN = {"aws_access_key_id": FAKE_ACCESS_KEY_ID, "aws_secret_access_key": FAKE_SECRET_ACCESS_KEY}


def _client(stack: LocalAwsStack, service: str, credentials: dict[str, str]):
    return boto3.client(service, endpoint_url=stack.endpoint, region_name=REGION, **credentials)


def prepare(stack: LocalAwsStack) -> dict[str, Callable[[], object]]:
    """The bucket, key, pipeline execution and the role session of the measures; the three timed calls."""
    s3, kms, iam, sagemaker = (_client(stack, s, ADMIN) for s in ("s3", "kms", "iam", "sagemaker"))
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=BODY)
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]  # the default key policy: the account's IAM decides
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
    role_arn = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.create_role(RoleName="bench-pipeline", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "sagemaker.amazonaws.com"}}]}))
    statements = [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{BUCKET}/*"},
        {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": key_arn,
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}},
        {"Effect": "Allow", "Action": "sagemaker:DescribePipelineExecution",
         "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/bench/*"}]
    iam.put_role_policy(RoleName="bench", PolicyName="bench",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    definition = {"Version": "2020-12-01",
                  "Steps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "benchmark"}}]}
    sagemaker.create_pipeline(PipelineName="bench", RoleArn=f"arn:aws:iam::{ACCOUNT}:role/bench-pipeline",
                              PipelineDefinition=json.dumps(definition))
    execution = sagemaker.start_pipeline_execution(PipelineName="bench")["PipelineExecutionArn"]
    answer = _client(stack, "sts", ADMIN).assume_role(RoleArn=role_arn, RoleSessionName="bench")["Credentials"]
    session = {"aws_access_key_id": answer["AccessKeyId"], "aws_secret_access_key": answer["SecretAccessKey"],
               "aws_session_token": answer["SessionToken"]}
    role_s3, role_sagemaker = _client(stack, "s3", session), _client(stack, "sagemaker", session)
    return {
        "S3 GetObject": lambda: role_s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read(),
        "SageMaker DescribePipelineExecution": lambda: role_sagemaker.describe_pipeline_execution(
            PipelineExecutionArn=execution),
        "SSE-KMS PutObject": lambda: role_s3.put_object(Bucket=BUCKET, Key="written.csv", Body=BODY,
                                                        ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn),
    }


def timed(call: Callable[[], object], count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def latencies(work: Path, calls: int, repeat: int) -> dict[str, dict[str, float]]:
    """The median latency (s) of each operation on each stack."""
    stacks = {mode: LocalAwsStack(log_path=work / f"latency-{mode}.log", authorization=mode).start()
              for mode in MODES}
    try:
        operations = {mode: prepare(stack) for mode, stack in stacks.items()}
        samples: dict[str, dict[str, list[float]]] = {mode: {name: [] for name in operations[mode]} for mode in MODES}
        for mode in MODES:  # warm both: first calls load models, parse policies, fill caches
            for call in operations[mode].values():
                timed(call, 10)
        for _ in range(repeat):
            for name in operations["off"]:
                for _ in range(calls):  # call by call, so that a burst of other load hits both sides alike
                    for mode in MODES:
                        samples[mode][name] += timed(operations[mode][name], 1)
        return {mode: {name: statistics.median(values) for name, values in samples[mode].items()} for mode in MODES}
    finally:
        for stack in stacks.values():
            stack.stop()


def demo_seconds(work: Path, mode: str) -> float:
    """The wall time of `mlops-demo --endpoint` on a fresh stack started with `--authorization mode`."""
    stack = LocalAwsStack(log_path=work / f"demo-{mode}.log", authorization=mode).start()
    try:
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "mlops-demo"), "--endpoint", stack.endpoint,
                        "--report", str(work / f"report-{mode}.md"), "--work-dir", str(work / f"demo-{mode}")],
                       cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="calls of each operation per round (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, the stacks alternating (default 3)")
    parser.add_argument("--quick", action="store_true", help="skip the demo loop (minutes a run)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    lines = []
    with tempfile.TemporaryDirectory(prefix="authorization-cost-") as folder:
        work = Path(folder)
        medians = latencies(work, args.calls, args.repeat)
        print(f"Median latency, {args.calls} x {args.repeat} calls of each, signed by a role session:")
        for name in medians["off"]:
            off, enforce = medians["off"][name], medians["enforce"][name]
            print(f"  {name:38s} off {off * 1000:6.2f} ms   enforce {enforce * 1000:6.2f} ms")
            lines.append(ratio_line(f"{name} enforce / off", enforce / off, LATENCY_GOAL))
        if not args.quick:
            seconds = {mode: demo_seconds(work, mode) for mode in MODES}
            print(f"Demo loop: off {seconds['off']:.1f} s   enforce {seconds['enforce']:.1f} s")
            lines.append(ratio_line("demo loop enforce / off", seconds["enforce"] / seconds["off"], DEMO_GOAL))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
