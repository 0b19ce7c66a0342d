"""The train definition with `workload.pipeline.tuning`: a branch on ParentTuningJobName between a tuning job
without and with warm start, each evaluating and registering its best model with the tuning job recorded."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pipelines.config import ParameterRange, Tuning, load_config
from pipelines.definitions import definition_json_for
from pipelines.train import pipeline as train
from pipelines.train import tuning

TUNING = Tuning(max_jobs=4, max_parallel_jobs=2, random_seed=5, ranges=(
    ParameterRange("eta", "continuous", 0.05, 0.5, "Auto"), ParameterRange("max_depth", "integer", 2, 6, "Linear")))


@pytest.fixture(scope="module")
def definition() -> dict:
    config = load_config("dev")
    pipeline = dataclasses.replace(config.workload.pipeline, tuning=TUNING)
    config = dataclasses.replace(config, workload=dataclasses.replace(config.workload, pipeline=pipeline))
    return json.loads(definition_json_for(train.build(config)))


def test_the_parent_parameter_chooses_the_branch_with_or_without_warm_start(definition):
    assert definition["Parameters"][-1] == {"Name": tuning.PARENT_PARAMETER, "Type": "String", "DefaultValue": ""}
    [preprocess, branch] = definition["Steps"]
    assert (preprocess["Name"], branch["Name"], branch["Type"]) == (train.STEP_PREPROCESS, train.STEP_WARM_START,
                                                                   "Condition")
    assert branch["Arguments"]["Conditions"] == [
        {"Type": "Equals", "LeftValue": {"Get": f"Parameters.{tuning.PARENT_PARAMETER}"}, "RightValue": ""}]
    cold, warm = (branch["Arguments"][side][0]["Arguments"] for side in ("IfSteps", "ElseSteps"))
    assert "WarmStartConfig" not in cold
    assert warm["WarmStartConfig"] == {"WarmStartType": "TransferLearning", "ParentHyperParameterTuningJobs": [
        {"HyperParameterTuningJobName": {"Get": f"Parameters.{tuning.PARENT_PARAMETER}"}}]}
    names = {side: [step["Name"] for step in branch["Arguments"][side]] for side in ("IfSteps", "ElseSteps")}
    assert names == {"IfSteps": [train.STEP_TUNE, train.STEP_EVALUATE, train.STEP_CONDITION],
                     "ElseSteps": [name + train.WARM_START_SUFFIX
                                   for name in (train.STEP_TUNE, train.STEP_EVALUATE, train.STEP_CONDITION)]}


def test_the_tuning_job_is_bayesian_on_validation_auc_with_the_configured_ranges_and_limits(definition):
    job = definition["Steps"][1]["Arguments"]["IfSteps"][0]["Arguments"]
    config = job["HyperParameterTuningJobConfig"]
    assert config["Strategy"] == "Bayesian"
    assert config["RandomSeed"] == 5
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "validation:auc"}
    assert config["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2}
    assert config["ParameterRanges"]["ContinuousParameterRanges"] == [
        {"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Auto"}]
    assert config["ParameterRanges"]["IntegerParameterRanges"] == [
        {"Name": "max_depth", "MinValue": "2", "MaxValue": "6", "ScalingType": "Linear"}]
    static = job["TrainingJobDefinition"]["StaticHyperParameters"]
    assert "eta" not in static
    assert "max_depth" not in static
    assert static["eval_metric"] == "auc"


def test_the_best_job_is_evaluated_and_registered_with_its_tuning_job(definition):
    for side, suffix in (("IfSteps", ""), ("ElseSteps", train.WARM_START_SUFFIX)):
        tune, evaluate, gate = definition["Steps"][1]["Arguments"][side]
        model = evaluate["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"]["Std:Join"]["Values"]
        assert model[3] == {"Get": f"Steps.{tune['Name']}.TrainingJobSummaries[0].TrainingJobName"}
        assert model[-1] == "output/model.tar.gz"
        register = next(step for step in gate["Arguments"]["IfSteps"] if step["Type"] == "RegisterModel")
        assert register["Name"] == f"{train.STEP_REGISTER}{suffix}"
        assert register["Arguments"]["CustomerMetadataProperties"] == {
            tuning.TUNING_JOB_PROPERTY: {"Get": f"Steps.{tune['Name']}.HyperParameterTuningJobName"},
            tuning.TUNING_JOB_ARN_PROPERTY: {"Get": f"Steps.{tune['Name']}.HyperParameterTuningJobArn"}}
        assert register["Arguments"]["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == \
            evaluate["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"]
