"""Batch transform run by the local stack behind the SageMaker API against raw XGBoost, at 1e5 and 1e6 rows.

A model is trained once (built-in XGBoost conventions, 100 rounds, depth 3) on rows shaped like the UCI
features (age, shape, margin, density). For each size a header-less batch CSV is generated and uploaded to a
local stack, then:
- stack: a pipeline of a Model step and a Transform step, started with StartPipelineExecution and timed until
  DescribePipelineExecution (polled every POLL_SECONDS) answers Succeeded; inside the stack's server the
  executor describes the model, downloads model.tar.gz and the batch, predicts, writes and uploads
  `<file>.out`, all through in-process AWS calls;
- raw: `pandas.read_csv` of the same local file, `Booster.inplace_predict`, and the predictions written one per
  line - the same work without the stack and S3. The predict call alone is printed too, and so is the time
  of moving the same bytes through the local stack's S3 (GET of the batch, PUT of the predictions), which is
  most of the difference.
Goal: stack / raw <= 1.5. Each measurement runs --repeat times (interleaved) and the fastest counts, so
that other load on the machine distorts the ratio less. Stack start-up, data generation and upload are not timed.

Run (repository root): .venv/bin/python -m benchmarks.batch_transform_overhead [--sizes 100000,1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

from benchmarks.support import Goal, ratio_line
from localaws.sagemaker_endpoints.model_archive import MODEL_FILE
from localaws.sagemaker_pipelines.archives import deterministic_tar_gz
from localaws.tools.stack import LocalAwsStack
from pipelines.aws import Target
from pipelines.execution import PipelineExecution

ACCOUNT = "222222222222"
BUCKET = f"transform-benchmark-{ACCOUNT}"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/mammo-sagemaker-execution"
POLL_SECONDS = 0.02
GOAL = Goal(1.5)


def features(rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([np.clip(rng.normal(55, 15, rows).round(), 18, 96), rng.integers(1, 5, rows),
                            rng.integers(1, 6, rows), rng.integers(1, 5, rows)]).astype(np.float32)


def train_model(work: Path) -> tuple[xgb.Booster, Path]:
    x = features(5000, seed=1)
    label = ((x[:, 2] >= 4) | (x[:, 0] > 65)).astype(float)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.2, "seed": 42},
                        xgb.DMatrix(x, label=label), num_boost_round=100)
    model = work / MODEL_FILE
    model.write_bytes(booster.save_raw("ubj"))
    archive = work / "model.tar.gz"
    archive.write_bytes(deterministic_tar_gz({MODEL_FILE: model}))
    return booster, archive


def transform_definition(model_uri: str, batch_uri: str, output_uri: str) -> str:
    return json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": [
        {"Name": "Model", "Type": "Model", "Arguments": {
            "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": XGBOOST_IMAGE, "ModelDataUrl": model_uri}}},
        {"Name": "Transform", "Type": "Transform", "Arguments": {
            "ModelName": {"Get": "Steps.Model.ModelName"},
            "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": batch_uri}},
                               "ContentType": "text/csv", "SplitType": "Line"},
            "TransformOutput": {"S3OutputPath": output_uri, "AssembleWith": "Line", "Accept": "text/csv"},
            "TransformResources": {"InstanceCount": 1, "InstanceType": "ml.m5.large"}}},
    ]})


def run_on_stack(sagemaker, pipeline_name: str) -> tuple[float, dict]:
    """StartPipelineExecution, then DescribePipelineExecution until it ends: (seconds, last description)."""
    started = time.perf_counter()
    arn = sagemaker.start_pipeline_execution(PipelineName=pipeline_name)["PipelineExecutionArn"]
    description = PipelineExecution(sagemaker, arn, poll_seconds=POLL_SECONDS).wait()
    return time.perf_counter() - started, description


def raw(booster: xgb.Booster, batch: Path, output: Path) -> tuple[float, float]:
    """(read + predict + write seconds, predict seconds)."""
    started = time.perf_counter()
    data = pd.read_csv(batch, header=None, dtype=np.float32).to_numpy()
    predict_started = time.perf_counter()
    predictions = booster.inplace_predict(data)
    predict_seconds = time.perf_counter() - predict_started
    with output.open("w") as stream:
        predictions.tofile(stream, sep="\n", format="%.8g")
        stream.write("\n")
    return time.perf_counter() - started, predict_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sizes = [int(size) for size in args.sizes.split(",")]

    results = []
    with tempfile.TemporaryDirectory() as temporary, LocalAwsStack() as stack:
        work = Path(temporary)
        session = Target.local_stack(stack.endpoint).session(ACCOUNT, "us-east-1")
        s3, sagemaker = session.client("s3"), session.client("sagemaker")
        s3.create_bucket(Bucket=BUCKET)
        booster, archive = train_model(work)
        s3.upload_file(str(archive), BUCKET, "model/model.tar.gz")
        for rows in sizes:
            batch = work / f"batch-{rows}.csv"
            pd.DataFrame(features(rows, seed=rows).astype(int)).to_csv(batch, header=False, index=False)
            s3.upload_file(str(batch), BUCKET, f"batch-{rows}/batch.csv")
            definition = transform_definition(f"s3://{BUCKET}/model/model.tar.gz", f"s3://{BUCKET}/batch-{rows}/",
                                              f"s3://{BUCKET}/predictions-{rows}")
            sagemaker.create_pipeline(PipelineName=f"transform-{rows}", PipelineDefinition=definition, RoleArn=ROLE)
            stack_times, raw_times, predict_times, s3_times = [], [], [], []
            for _ in range(args.repeat):
                seconds, description = run_on_stack(sagemaker, f"transform-{rows}")
                stack_times.append(seconds)
                if description["PipelineExecutionStatus"] != "Succeeded":
                    raise SystemExit(f"the transform failed: {description.get('FailureReason')}")
                total, predict_only = raw(booster, batch, work / f"raw-{rows}.out")
                raw_times.append(total)
                predict_times.append(predict_only)
                started = time.perf_counter()
                s3.get_object(Bucket=BUCKET, Key=f"batch-{rows}/batch.csv")["Body"].read()
                s3.put_object(Bucket=BUCKET, Key=f"copy-{rows}.out", Body=(work / f"raw-{rows}.out").read_bytes())
                s3_times.append(time.perf_counter() - started)
            results.append((rows, min(stack_times), min(raw_times), min(predict_times), min(s3_times)))

    print("Batch transform: the local stack's StartPipelineExecution (Model + Transform steps, S3 in and out) "
          "vs raw XGBoost")
    print(f"  {'rows':>9}  {'stack s':>10}  {'raw s':>8}  {'predict s':>9}  {'S3 in+out s':>11}  {'ratio':>6}")
    for rows, stack_seconds, raw_seconds, predict_seconds, s3_seconds in results:
        print(f"  {rows:>9}  {stack_seconds:>10.3f}  {raw_seconds:>8.3f}  {predict_seconds:>9.3f}  "
              f"{s3_seconds:>11.3f}  {stack_seconds / raw_seconds:>6.2f}")
    for rows, stack_seconds, raw_seconds, _, _ in results:
        print(ratio_line(f"{rows} rows, stack / raw", stack_seconds / raw_seconds, GOAL))


if __name__ == "__main__":
    main()
