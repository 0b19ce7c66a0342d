"""The train pipeline run by the local stack behind the SageMaker API against the same work done directly.

Stack: the real train definition (pipelines.train.pipeline, dev) created in the dev account of a local stack
and started with StartPipelineExecution; the time runs until DescribePipelineExecution (polled every
POLL_SECONDS) answers Succeeded. On the prepared UCI part-1 data: preprocess script, built-in XGBoost, evaluate
script, AUC condition, data-quality baseline, registration in the registry account's group.
Direct: the same work without the executor or S3: preprocess.py and evaluate.py run with this Python in a
subprocess with the definition's own arguments (paths in a temporary folder), `xgboost.train` with the
definition's hyperparameters on the preprocessed CSVs, the model archived as model.tar.gz, and the analyzer's
baseline computed by `run_data_quality_container`.
Goal: stack time / direct time <= 1.5. Each side runs --repeat times (interleaved); the fastest run counts,
so that other load on the machine distorts the ratio less. Stack start-up and data upload are not timed.

Run (repository root): .venv/bin/python -m benchmarks.train_pipeline_overhead [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import xgboost as xgb

from benchmarks.support import REPO_ROOT, Goal, ratio_line
from localaws.monitor.container import run_data_quality_container
from localaws.sagemaker_pipelines.steps.training import parse_hyperparameter
from localaws.tools.stack import LocalAwsStack
from pipelines.aws import Target
from pipelines.config import EnvConfig, load_config
from pipelines.data.prepare import S3_KEYS, TRAIN_PART1, prepare
from pipelines.data.raw import read_raw
from pipelines.definitions import definition_json_for
from pipelines.execution import PipelineExecution
from pipelines.train import pipeline as train_pipeline

PROCESSING = "/opt/ml/processing"
POLL_SECONDS = 0.05
GOAL = Goal(1.5)


def run_on_stack(sagemaker, pipeline_name: str) -> tuple[float, dict]:
    """StartPipelineExecution, then DescribePipelineExecution until it ends: (seconds, last description)."""
    started = time.perf_counter()
    arn = sagemaker.start_pipeline_execution(PipelineName=pipeline_name)["PipelineExecutionArn"]
    description = PipelineExecution(sagemaker, arn, poll_seconds=POLL_SECONDS).wait()
    return time.perf_counter() - started, description


def set_up_accounts(target: Target, config: EnvConfig, data_dir: Path, definition: dict):
    """What Terraform, prepare-data and run-pipeline leave behind: buckets, group, data, code, the pipeline.
    Returns the dev account's SageMaker client."""
    registry = target.session(config.accounts.registry, config.aws_region)
    registry.client("s3").create_bucket(Bucket=config.model_registry.artifacts_bucket_name)
    registry.client("sagemaker").create_model_package_group(
        ModelPackageGroupName=config.model_registry.model_package_group_name)
    session = target.session(config.account_id, config.aws_region)
    s3 = session.client("s3")
    s3.create_bucket(Bucket=config.workload.data_bucket_name)
    prepared = prepare(read_raw(REPO_ROOT / "data" / "mammographic_masses.data"), data_dir)
    for name, path in prepared.files.items():
        s3.put_object(Bucket=config.workload.data_bucket_name, Key=S3_KEYS[name], Body=path.read_bytes())
    for asset in train_pipeline.code_assets(config):
        s3.put_object(Bucket=asset.bucket, Key=asset.key, Body=asset.path.read_bytes())
    sagemaker = session.client("sagemaker")
    sagemaker.create_pipeline(PipelineName=config.workload.train_pipeline_name,
                              PipelineDefinition=json.dumps(definition), RoleArn=config.sagemaker_execution_role_arn)
    return sagemaker


def steps_by_name(definition: dict) -> dict[str, dict]:
    steps = {}
    for step in definition["Steps"]:
        steps[step["Name"]] = step
        for branch in ("IfSteps", "ElseSteps"):
            steps.update({inner["Name"]: inner for inner in step["Arguments"].get(branch, [])})
    return steps


def run_script(step: dict, root: Path, scripts: dict[str, Path]) -> None:
    """A processing step's script with its own arguments, /opt/ml/processing mapped to `root`."""
    app = step["Arguments"]["AppSpecification"]
    script = scripts[Path(app["ContainerEntrypoint"][-1]).name]
    arguments = [argument.replace(PROCESSING, str(root)) for argument in app["ContainerArguments"]]
    subprocess.run([sys.executable, str(script), *arguments], check=True, capture_output=True)


def direct(definition: dict, data_dir: Path, work: Path) -> float:
    steps = steps_by_name(definition)
    scripts = {path.name: path for path in (REPO_ROOT / "pipelines" / "train" / "scripts").glob("*.py")}
    root = work / "processing"
    raw_input = next(entry["S3Input"]["LocalPath"] for entry in steps["PreprocessData"]["Arguments"]["ProcessingInputs"]
                     if entry["InputName"] != "code")
    input_dir = Path(raw_input.replace(PROCESSING, str(root)))
    input_dir.mkdir(parents=True)
    (input_dir / TRAIN_PART1).write_bytes((data_dir / TRAIN_PART1).read_bytes())
    started = time.perf_counter()

    run_script(steps["PreprocessData"], root, scripts)

    arguments = steps["TrainModel"]["Arguments"]["HyperParameters"]
    hyperparameters = {key: parse_hyperparameter(value) for key, value in arguments.items()}
    rounds, early = hyperparameters.pop("num_round"), hyperparameters.pop("early_stopping_rounds", None)
    matrices = {}
    for channel in ("train", "validation"):
        frame = np.loadtxt(next((root / channel).glob("*.csv")), delimiter=",", ndmin=2)
        matrices[channel] = xgb.DMatrix(frame[:, 1:], label=frame[:, 0])
    booster = xgb.train(hyperparameters, matrices["train"], num_boost_round=rounds, early_stopping_rounds=early,
                        evals=[(matrices["train"], "train"), (matrices["validation"], "validation")],
                        verbose_eval=False)
    (root / "model").mkdir()
    raw = booster.save_raw("ubj")
    with tarfile.open(root / "model" / "model.tar.gz", "w:gz") as archive:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        archive.addfile(info, io.BytesIO(raw))

    run_script(steps["EvaluateModel"], root, scripts)
    environment = steps["DataQualityBaseline"]["Arguments"]["Environment"]
    run_data_quality_container({**environment, "dataset_source": str(root / "baseline")}, root / "baseline",
                               work / "baseline-output")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = load_config("dev")
    definition = json.loads(definition_json_for(train_pipeline.build(config)))

    stack_times, direct_times = [], []
    with tempfile.TemporaryDirectory() as temporary, LocalAwsStack() as stack:
        data_dir = Path(temporary) / "data"
        sagemaker = set_up_accounts(Target.local_stack(stack.endpoint), config, data_dir, definition)
        for attempt in range(args.repeat):
            seconds, description = run_on_stack(sagemaker, config.workload.train_pipeline_name)
            stack_times.append(seconds)
            if description["PipelineExecutionStatus"] != "Succeeded":
                raise SystemExit(f"the train pipeline failed: {description.get('FailureReason')}")
            direct_times.append(direct(definition, data_dir, Path(temporary) / f"direct-{attempt}"))

    best_stack, best_direct = min(stack_times), min(direct_times)
    print("Train pipeline: the local stack's StartPipelineExecution vs the same scripts and XGBoost run directly")
    print(f"  stack     {best_stack:7.2f} s   (runs: {', '.join(f'{t:.2f}' for t in stack_times)})")
    print(f"  direct    {best_direct:7.2f} s   (runs: {', '.join(f'{t:.2f}' for t in direct_times)})")
    print(ratio_line("stack time / direct time", best_stack / best_direct, GOAL))


if __name__ == "__main__":
    main()
