"""A local real-time endpoint (CreateEndpoint + InvokeEndpoint on the local stack) against its baselines.

A model is trained once (built-in XGBoost conventions, 100 rounds, depth 3) on rows shaped like the UCI
features, written as model.tar.gz and served by an endpoint of the local stack. Measured side by side, in one run:
- throughput: InvokeEndpoint with a 1,000-row CSV payload through boto3 (signing, HTTP, the stack's routing,
  the XGBoost container's parsing, prediction and encoding) vs `Booster.predict` on the same 1,000 rows in this
  process (one thread, as the container's worker), in rows per second. Goal: endpoint / in-process >= 0.5.
- latency: a single-row InvokeEndpoint vs the round trip of the same boto3 call to a bare werkzeug server (in
  its own process, like the stack) that echoes the body as the response. Goal: endpoint / echo <= 1.5.
- the HTTP floor of the throughput: the same 1,000-row call to the echo server. A server that answered in no time
  at all would still cost about this much, so in-process / echo bounds the throughput ratio any server can reach here.
Each round takes --calls calls of each measurement, in turn (one of each, then again), and keeps each one's
median call; each ratio is taken within a round and the median over --repeat rounds is printed, so that other
load on the machine distorts the ratios less. The figures are printed, never asserted.

Run (repository root): .venv/bin/python -m benchmarks.endpoint_throughput [--calls 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import numpy as np
import xgboost as xgb

from benchmarks.support import Goal, ratio_line
from localaws.sagemaker_endpoints.deployments import FLEET_READY_SECONDS
from localaws.sagemaker_endpoints.model_archive import MODEL_FILE
from localaws.sagemaker_pipelines.archives import deterministic_tar_gz
from localaws.tools.stack import LocalAwsStack, advance_clock, free_loopback_port
from pipelines.aws import Target

ACCOUNT = "222222222222"
BUCKET = f"endpoint-benchmark-{ACCOUNT}"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/mammo-sagemaker-execution"
ENDPOINT = "benchmark"
THROUGHPUT_GOAL = Goal(0.5, at_least=True)
LATENCY_GOAL = Goal(1.5)
ECHO_SERVER = textwrap.dedent("""
    import os, sys, threading
    from werkzeug import Request, Response
    from werkzeug.serving import run_simple

    # gone with the benchmark, however it ends: its stdin closes
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()

    @Request.application
    def echo(request):
        if request.path == "/ping":
            return Response("ok")
        return Response(request.get_data(), content_type="text/csv; charset=utf-8",
                         headers={"x-Amzn-Invoked-Production-Variant": "AllTraffic"})

    run_simple("127.0.0.1", int(sys.argv[1]), echo, threaded=True)
""")


@dataclass(frozen=True)
class Round:
    """The median call of each measurement, taken one after the other."""

    endpoint_batch: float
    in_process: float
    echo_batch: float
    endpoint_row: float
    echo_row: float


def features(rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([np.clip(rng.normal(55, 15, rows).round(), 18, 96), rng.integers(1, 5, rows),
                            rng.integers(1, 6, rows), rng.integers(1, 5, rows)]).astype(np.float32)


def train_model() -> tuple[xgb.Booster, bytes]:
    x = features(5000, seed=1)
    label = ((x[:, 2] >= 4) | (x[:, 0] > 65)).astype(float)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.2, "seed": 42},
                        xgb.DMatrix(x, label=label), num_boost_round=100)
    archive = deterministic_tar_gz({MODEL_FILE: bytes(booster.save_raw("ubj"))})
    # One thread (here and for the DMatrix), as the container's worker predicts: the baseline does the same work,
    # and OpenMP threads spinning on a loaded machine would slow it and the calls measured after it.
    booster.set_param("nthread", 1)
    return booster, archive


def csv(rows: np.ndarray) -> bytes:
    return ("\n".join(",".join(f"{value:g}" for value in row) for row in rows) + "\n").encode()


def median_calls(calls: dict[str, Callable[[], object]], times: int) -> dict[str, float]:
    """The median duration of each call, the calls taken in turn (one of each, `times` over) so that they all
    meet the same load on the machine."""
    durations: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(times):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            durations[name].append(time.perf_counter() - started)
    return {name: statistics.median(taken) for name, taken in durations.items()}


def start_echo_server() -> tuple[subprocess.Popen, str]:
    port = free_loopback_port()
    process = subprocess.Popen([sys.executable, "-c", ECHO_SERVER, str(port)], stdin=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=1):  # noqa: S310 (loopback)
                return process, url
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise SystemExit("the echo server did not start") from None
            time.sleep(0.05)


def deploy(stack: LocalAwsStack, archive: bytes) -> boto3.Session:
    session = Target.local_stack(stack.endpoint).session(ACCOUNT, "us-east-1")
    s3, sagemaker = session.client("s3"), session.client("sagemaker")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="model/model.tar.gz", Body=archive)
    sagemaker.create_model(ModelName=ENDPOINT, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://{BUCKET}/model/model.tar.gz"})
    sagemaker.create_endpoint_config(EndpointConfigName=ENDPOINT, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": ENDPOINT, "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1}])
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=ENDPOINT)
    advance_clock(stack.endpoint, FLEET_READY_SECONDS)
    status = sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"]
    if status != "InService":
        raise SystemExit(f"the endpoint is {status}, not InService")
    return session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    booster, archive = train_model()
    batch = features(1000, seed=7)
    batch_csv, row_csv = csv(batch), csv(batch[:1])
    echo, echo_url = start_echo_server()
    try:
        with LocalAwsStack() as stack:
            session = deploy(stack, archive)
            # one session, one client configuration: the clients differ only in the URL they call
            runtime = session.client("sagemaker-runtime")
            echo_runtime = session.client("sagemaker-runtime", endpoint_url=echo_url)
            served = runtime.invoke_endpoint(EndpointName=ENDPOINT, Body=batch_csv, ContentType="text/csv")
            scores = np.array([float(line) for line in served["Body"].read().decode().splitlines()])
            np.testing.assert_allclose(scores, booster.predict(xgb.DMatrix(batch)), rtol=0, atol=1e-6)

            def invoke(body: bytes, client=runtime) -> None:
                client.invoke_endpoint(EndpointName=ENDPOINT, Body=body, ContentType="text/csv")["Body"].read()

            for _ in range(20):  # warm-up of both servers: connections open, caches filled
                for body, client in ((row_csv, runtime), (row_csv, echo_runtime), (batch_csv, echo_runtime)):
                    invoke(body, client)
            rounds = []
            for _ in range(args.repeat):
                rounds.append(Round(**median_calls({
                    "endpoint_batch": lambda: invoke(batch_csv),
                    "in_process": lambda: booster.predict(xgb.DMatrix(batch, nthread=1)),
                    "echo_batch": lambda: invoke(batch_csv, echo_runtime),
                    "endpoint_row": lambda: invoke(row_csv),
                    "echo_row": lambda: invoke(row_csv, echo_runtime)}, args.calls)))
    finally:
        echo.terminate()
        echo.wait(timeout=10)

    def median(value) -> float:
        return statistics.median(value(one) for one in rounds)

    print("Real-time endpoint on the local stack (boto3 InvokeEndpoint, built-in XGBoost container emulated); "
          f"medians of {len(rounds)} rounds")
    print(f"  throughput, 1,000-row CSV: endpoint {1000 / median(lambda r: r.endpoint_batch):>10,.0f} rows/s "
          f"({median(lambda r: r.endpoint_batch) * 1e3:.2f} ms/call)  in-process Booster.predict "
          f"{1000 / median(lambda r: r.in_process):>10,.0f} rows/s "
          f"({median(lambda r: r.in_process) * 1e3:.2f} ms/call)")
    print(f"  HTTP floor, 1,000-row CSV: werkzeug echo round trip {median(lambda r: r.echo_batch) * 1e3:.2f} ms, so "
          f"no server reaches a ratio above {median(lambda r: r.in_process / r.echo_batch):.2f} here; the endpoint "
          f"adds {median(lambda r: r.endpoint_batch - r.echo_batch) * 1e3:.2f} ms to it")
    print(f"  latency, 1 row: endpoint {median(lambda r: r.endpoint_row) * 1e3:.2f} ms  werkzeug echo round trip "
          f"{median(lambda r: r.echo_row) * 1e3:.2f} ms")
    print(ratio_line("throughput, endpoint / in-process rows/s", median(lambda r: r.in_process / r.endpoint_batch),
                     THROUGHPUT_GOAL))
    print(ratio_line("latency, endpoint / echo", median(lambda r: r.endpoint_row / r.echo_row), LATENCY_GOAL))


if __name__ == "__main__":
    main()
