"""Tuning steps in the executor: seeded Bayesian choices, AWS's warm-start checks, refused definitions."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from localaws.sagemaker_pipelines import LocalPipelineExecutor
from localaws.sagemaker_pipelines.steps.tuning import CREATE_FAILED
from pipelines.pipeline_definition.errors import PipelineDefinitionError

from .helpers import ROLE, XGBOOST_IMAGE, definition, statuses


def csv_rows(rows: int, seed: int) -> str:
    """Label first, no header: a label that depends on the features, so AUC differs between settings."""
    generator = np.random.default_rng(seed)
    features = generator.normal(size=(rows, 4))
    labels = (features[:, 0] + 0.5 * features[:, 1] ** 2 + generator.normal(scale=0.8, size=rows) > 0.5)
    return "\n".join(",".join([str(int(label)), *(f"{value:.4f}" for value in row)])
                     for label, row in zip(labels, features, strict=True)) + "\n"


@pytest.fixture
def channels(put) -> dict[str, str]:
    return {name: put(f"tuning/{name}/data.csv", csv_rows(160, seed))
            for name, seed in (("train", 1), ("validation", 2))}


def tuning_step(channels: dict[str, str], bucket: str, seed: int = 3, strategy: str = "Bayesian",
                parents: list[str] | None = None) -> dict:
    """A TuningStep as the SDK writes it for an XGBoost estimator (built-in algorithm)."""
    arguments = {
        "HyperParameterTuningJobConfig": {
            "Strategy": strategy, "RandomSeed": seed, "TrainingJobEarlyStoppingType": "Off",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "ParameterRanges": {
                "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5",
                                               "ScalingType": "Auto"}],
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "6",
                                            "ScalingType": "Auto"}],
                "CategoricalParameterRanges": []},
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"objective": "binary:logistic", "eval_metric": "auc", "num_round": "20"},
            "RoleArn": ROLE,
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/models"},
            "HyperParameterTuningResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                   "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
            "InputDataConfig": [{"ChannelName": name, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": uri.rsplit("/", 1)[0] + "/"}}} for name, uri in channels.items()],
        },
    }
    if parents is not None:
        arguments["WarmStartConfig"] = {"WarmStartType": "TransferLearning", "ParentHyperParameterTuningJobs": [
            {"HyperParameterTuningJobName": name} for name in parents]}
    return {"Name": "Tune", "Type": "Tuning", "Arguments": arguments}


def tuned(record) -> tuple[list[dict], dict]:
    """(the tuned hyperparameters of each job in launch order, the best job's summary)."""
    properties = record.step("Tune").properties
    summaries = sorted(properties["TrainingJobSummaries"], key=lambda summary: summary["TrainingJobName"])
    return [summary["TunedHyperParameters"] for summary in summaries], properties["BestTrainingJob"]


def test_the_same_seed_chooses_the_same_hyperparameters_and_best_job(executor, channels, bucket, read):
    runs = [executor.run_definition(definition(tuning_step(channels, bucket, seed)), "tuning")
            for seed in (3, 3, 4)]

    assert [run.status for run in runs] == ["Succeeded"] * 3, [run.failure_reason for run in runs]
    (first, first_best), (again, again_best), (other, _) = (tuned(run) for run in runs)
    assert first == again
    assert len(first) == 4
    assert first_best["TunedHyperParameters"] == again_best["TunedHyperParameters"]
    assert first_best["FinalHyperParameterTuningJobObjectiveMetric"] == \
        again_best["FinalHyperParameterTuningJobObjectiveMetric"]
    assert other != first  # another seed, other choices
    summaries = runs[0].step("Tune").properties["TrainingJobSummaries"]
    values = [summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for summary in summaries]
    assert values == sorted(values, reverse=True)
    assert summaries[0] == first_best
    jobs = runs[0].step("Tune").training_jobs
    assert {job["TrainingJobName"] for job in jobs} == {summary["TrainingJobName"] for summary in summaries}
    assert all(job["ResourceConfig"]["InstanceType"] == "ml.m5.large" for job in jobs)
    best_model = next(job for job in jobs if job["TrainingJobName"] == first_best["TrainingJobName"])
    assert best_model["ModelArtifacts"]["S3ModelArtifacts"] == \
        f"s3://{bucket}/models/{first_best['TrainingJobName']}/output/model.tar.gz"
    assert json.loads(json.dumps(jobs))  # the record keeps them as JSON


@pytest.mark.parametrize(("parents", "detail"), [
    (["p1", "p2", "p3", "p4", "p5", "p6"], "failed to satisfy constraint: Member must have length less than or "
                                           "equal to 5"),
    ([], "failed to satisfy constraint: Member must have length greater than or equal to 1"),
    (["no-such-tuning-job"], "Amazon SageMaker can't find a tuning job with name no-such-tuning-job"),
])
def test_a_warm_start_is_checked_as_create_hyper_parameter_tuning_job_checks_it(
        executor, channels, bucket, parents, detail):
    record = executor.run_definition(definition(tuning_step(channels, bucket, parents=parents)), "tuning")

    assert statuses(record) == {"Tune": "Failed"}
    reason = record.step("Tune").failure_reason
    assert reason.startswith(CREATE_FAILED)
    assert detail in reason


@pytest.mark.parametrize(("change", "message"), [
    (lambda step: step["Arguments"]["HyperParameterTuningJobConfig"].update(Strategy="Hyperband"),
     "tuning strategy 'Hyperband' is not emulated"),
    (lambda step: step["Arguments"]["TrainingJobDefinition"]["AlgorithmSpecification"].update(
        TrainingImage="123456789012.dkr.ecr.us-east-1.amazonaws.com/custom:1"), "cannot run image"),
])
def test_definitions_the_executor_cannot_tune_are_refused_before_anything_runs(
        executor, channels, bucket, change, message):
    step = tuning_step(channels, bucket)
    change(step)

    with pytest.raises(PipelineDefinitionError, match=message):
        executor.run_definition(definition(step), "tuning")


def test_a_stopped_tuning_step_ends_stopped_with_its_running_jobs(dev_session, store, channels, bucket):
    step_changes: list[tuple[str, str]] = []
    executor = LocalPipelineExecutor(dev_session, store=store, on_step_change=lambda description, step, previous:
                                     step_changes.append((step["StepName"], step["StepStatus"])))
    step = tuning_step(channels, bucket)
    step["Arguments"]["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] = 500
    prepared = executor.prepare(definition(step), "stopped-tuning")
    runner = threading.Thread(target=executor.execute, args=(prepared,))
    runner.start()
    while ("Tune", "Executing") not in step_changes and runner.is_alive():
        time.sleep(0.05)

    assert executor.stop(prepared)
    runner.join()

    record = store.get(prepared.record.execution_arn)
    assert (record.status, record.failure_reason) == ("Stopped", None)
    assert statuses(record) == {"Tune": "Stopped"}
