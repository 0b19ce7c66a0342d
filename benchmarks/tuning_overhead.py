"""A hyperparameter tuning job run by the local stack behind the SageMaker API against the same trials run
directly.

Stack: the train pipeline's tuning step as the SDK writes it (pipelines.train.pipeline with
`workload.pipeline.tuning`: Bayesian, validation:auc, TUNING's ranges, MAX_JOBS jobs, PARALLEL at a time), alone
in a pipeline whose channels are the preprocessed UCI part-1 splits in S3. With --rounds N (default 300) every
job trains N rounds without early stopping, so that a job's training outweighs the timer's noise on a busy
machine; --rounds 0 keeps the pipeline's own num_round 100 with early stopping after 10 (jobs of a few tens of
milliseconds). the time runs from
StartPipelineExecution until DescribePipelineExecution (polled every POLL_SECONDS) answers Succeeded. It
includes Optuna's choices, the S3 downloads and model uploads, the job records and the polling.
Direct: the same trials without the executor or S3: the hyperparameters the tuning job chose (its
ListTrainingJobsForHyperParameterTuningJob answer), `xgboost.train` on the same CSVs, PARALLEL at a time in
threads, each model archived as model.tar.gz.
Goal: stack time / direct time <= 1.5. Each side runs --repeat times (interleaved); the fastest run counts,
so that other load on the machine distorts the ratio less. Stack start-up and data upload are not timed.

Run (repository root): .venv/bin/python -m benchmarks.tuning_overhead [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import logging
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import xgboost as xgb

from benchmarks.support import REPO_ROOT, Goal, ratio_line
from localaws.sagemaker_pipelines.steps.training import parse_hyperparameter
from localaws.tools.stack import LocalAwsStack
from pipelines.aws import Target
from pipelines.config import ParameterRange, Tuning, load_config
from pipelines.data.prepare import TRAIN_PART1, prepare
from pipelines.data.raw import read_raw
from pipelines.definitions import definition_json_for
from pipelines.execution import PipelineExecution
from pipelines.train import pipeline as train_pipeline

MAX_JOBS, PARALLEL = 6, 2
TUNING = Tuning(max_jobs=MAX_JOBS, max_parallel_jobs=PARALLEL, random_seed=7, ranges=(
    ParameterRange("eta", "continuous", 0.05, 0.5, "Auto"), ParameterRange("max_depth", "integer", 2, 6, "Auto"),
    ParameterRange("min_child_weight", "continuous", 0.5, 8.0, "Logarithmic")))
PIPELINE = "tuning-benchmark"
BUCKET = "tuning-benchmark-222222222222"
POLL_SECONDS = 0.05
GOAL = Goal(1.5)


def tuning_definition(channels: dict[str, str], rounds: int) -> dict:
    """The train definition's tuning step (no warm start), reading `channels` instead of the preprocess step's."""
    config = load_config("dev")
    settings = dataclasses.replace(config.workload.pipeline, tuning=TUNING)
    config = dataclasses.replace(config, workload=dataclasses.replace(config.workload, pipeline=settings))
    definition = json.loads(definition_json_for(train_pipeline.build(config)))
    step = definition["Steps"][1]["Arguments"]["IfSteps"][0]
    job = step["Arguments"]["TrainingJobDefinition"]
    for channel in job["InputDataConfig"]:
        channel["DataSource"]["S3DataSource"]["S3Uri"] = channels[channel["ChannelName"]]
    job["HyperParameterTuningResourceConfig"]["InstanceType"] = "ml.m5.large"
    job["OutputDataConfig"] = {"S3OutputPath": f"s3://{BUCKET}/models"}
    if rounds:
        job["StaticHyperParameters"]["num_round"] = str(rounds)
        del job["StaticHyperParameters"]["early_stopping_rounds"]
    return {"Version": definition["Version"], "Parameters": [], "Steps": [step]}


def preprocess(data_dir: Path, work: Path) -> Path:
    """The train and validation splits of part 1, written by the project's preprocess script."""
    raw = work / "raw"
    raw.mkdir(parents=True)
    (raw / TRAIN_PART1).write_bytes((data_dir / TRAIN_PART1).read_bytes())
    splits = work / "splits"
    names = ("train", "validation", "test", "baseline")
    subprocess.run([sys.executable, str(train_pipeline.PREPROCESS_SCRIPT), "--input-dir", str(raw),
                    *[arg for name in names for arg in (f"--{name}-dir", str(splits / name))]],
                   check=True, capture_output=True)
    return splits


def run_on_stack(session, definition: dict) -> tuple[float, list[dict]]:
    """(seconds from StartPipelineExecution to Succeeded, the tuning job's training job summaries)."""
    sagemaker = session.client("sagemaker")
    started = time.perf_counter()
    arn = sagemaker.start_pipeline_execution(PipelineName=PIPELINE)["PipelineExecutionArn"]
    description = PipelineExecution(sagemaker, arn, poll_seconds=POLL_SECONDS).wait()
    seconds = time.perf_counter() - started
    if description["PipelineExecutionStatus"] != "Succeeded":
        raise SystemExit(f"the tuning pipeline failed: {description.get('FailureReason')}")
    [step] = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    name = step["Metadata"]["TuningJob"]["Arn"].rsplit("/", 1)[1]
    tuning_job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    pages = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName=tuning_job["HyperParameterTuningJobName"])
    return seconds, [summary for page in pages for summary in page["TrainingJobSummaries"]]


def direct(definition: dict, splits: Path, summaries: list[dict], work: Path) -> float:
    static = definition["Steps"][0]["Arguments"]["TrainingJobDefinition"]["StaticHyperParameters"]
    started = time.perf_counter()
    matrices = {}
    for channel in ("train", "validation"):
        frame = np.loadtxt(next((splits / channel).glob("*.csv")), delimiter=",", ndmin=2)
        matrices[channel] = xgb.DMatrix(frame[:, 1:], label=frame[:, 0])

    def trial(index: int, summary: dict) -> None:
        hyperparameters = {key: parse_hyperparameter(value)
                           for key, value in {**static, **summary["TunedHyperParameters"]}.items()}
        rounds, early = hyperparameters.pop("num_round"), hyperparameters.pop("early_stopping_rounds", None)
        booster = xgb.train(hyperparameters, matrices["train"], num_boost_round=rounds, early_stopping_rounds=early,
                            evals=[(matrices["train"], "train"), (matrices["validation"], "validation")],
                            verbose_eval=False)
        raw = booster.save_raw("ubj")
        with tarfile.open(work / f"model-{index}.tar.gz", "w:gz") as archive:
            info = tarfile.TarInfo("xgboost-model")
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))

    work.mkdir(parents=True)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        list(pool.map(trial, range(len(summaries)), summaries))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = load_config("dev")

    stack_times, direct_times = [], []
    with tempfile.TemporaryDirectory() as temporary, LocalAwsStack() as stack:
        work = Path(temporary)
        prepare(read_raw(REPO_ROOT / "data" / "mammographic_masses.data"), work / "data")
        splits = preprocess(work / "data", work)
        session = Target.local_stack(stack.endpoint).session(config.account_id, config.aws_region)
        s3 = session.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        channels = {}
        for channel in ("train", "validation"):
            for path in (splits / channel).glob("*.csv"):
                s3.upload_file(str(path), BUCKET, f"splits/{channel}/{path.name}")
            channels[channel] = f"s3://{BUCKET}/splits/{channel}/"
        definition = tuning_definition(channels, args.rounds)
        session.client("sagemaker").create_pipeline(PipelineName=PIPELINE, PipelineDefinition=json.dumps(definition),
                                                    RoleArn=config.sagemaker_execution_role_arn)
        for attempt in range(args.repeat):
            seconds, summaries = run_on_stack(session, definition)
            stack_times.append(seconds)
            direct_times.append(direct(definition, splits, summaries, work / f"direct-{attempt}"))

    best_stack, best_direct = min(stack_times), min(direct_times)
    rounds = f"{args.rounds} rounds each" if args.rounds else "the pipeline's rounds"
    print(f"Tuning: a {MAX_JOBS}-job Bayesian tuning step ({PARALLEL} at a time, {rounds}) on the local stack vs "
          "the same trials trained directly")
    print(f"  stack     {best_stack:7.2f} s   (runs: {', '.join(f'{t:.2f}' for t in stack_times)})")
    print(f"  direct    {best_direct:7.2f} s   (runs: {', '.join(f'{t:.2f}' for t in direct_times)})")
    print(ratio_line("stack time / direct time", best_stack / best_direct, GOAL))


if __name__ == "__main__":
    main()
