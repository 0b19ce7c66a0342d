"""The `processing` drift-check engine's definitions: no Model Monitor container anywhere, the analyzer script
as content-addressed processing jobs on the scikit-learn image, a gate that fails naming the violations."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pipelines.config import MODEL_MONITOR, PROCESSING, EnvConfig, load_config
from pipelines.definitions import definition_json_for, sklearn_image
from pipelines.inference import pipeline as inference
from pipelines.train import pipeline as train

from .test_definition_graph import steps_by_name

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

MODEL_MONITOR_IMAGE = "sagemaker-model-monitor-analyzer"


def with_engine(engine: str) -> EnvConfig:
    config = load_config("dev")
    pipeline = dataclasses.replace(config.workload.pipeline, drift_check_engine=engine)
    return dataclasses.replace(config, workload=dataclasses.replace(config.workload, pipeline=pipeline))


def built(module, engine: str) -> str:
    return definition_json_for(module.build(with_engine(engine)))


@pytest.fixture(scope="module", params=[train, inference], ids=["train", "inference"])
def module(request):
    return request.param


@pytest.fixture(scope="module")
def processing_definition(module) -> str:
    return built(module, PROCESSING)


def all_steps(definition: str) -> list[dict]:
    return list(steps_by_name(json.loads(definition)).values())


def test_no_model_monitor_image_and_no_check_step(processing_definition):
    assert MODEL_MONITOR_IMAGE not in processing_definition
    assert {step["Type"] for step in all_steps(processing_definition)}.isdisjoint({"QualityCheck", "ClarifyCheck"})


def test_model_monitor_engine_still_uses_the_analyzer_image(module):
    definition = built(module, MODEL_MONITOR)
    assert MODEL_MONITOR_IMAGE in definition
    assert "QualityCheck" in {step["Type"] for step in all_steps(definition)}


def test_processing_definitions_are_byte_identical(module, processing_definition):
    assert built(module, PROCESSING) == processing_definition


def test_the_analyzer_is_a_content_addressed_script_on_the_sklearn_image(module, processing_definition):
    config = with_engine(PROCESSING)
    (asset,) = [a for a in module.code_assets(config) if a.path.name == "data_quality.py"]
    assert asset.s3_uri.endswith(f"/code/{asset.key.split('/')[1]}/data_quality.py")
    analyzer_steps = [step for step in all_steps(processing_definition) if step["Type"] == "Processing"
                      and any(i["S3Input"]["S3Uri"] == asset.s3_uri for i in step["Arguments"]["ProcessingInputs"])]
    assert len(analyzer_steps) == 1
    assert analyzer_steps[0]["Arguments"]["AppSpecification"]["ImageUri"] == sklearn_image(config)
    assert module.code_assets(with_engine(MODEL_MONITOR)) == [
        a for a in module.code_assets(config) if a.path.name != "data_quality.py"]


def test_train_registers_the_script_baseline_as_drift_check_baselines():
    steps = steps_by_name(json.loads(built(train, PROCESSING)))
    baseline = steps[train.STEP_BASELINE]
    assert baseline["Arguments"]["AppSpecification"]["ContainerArguments"][0] == "baseline"
    register = steps[train.STEP_REGISTER]["Arguments"]
    drift = register["DriftCheckBaselines"]["ModelDataQuality"]
    assert drift == register["ModelMetrics"]["ModelDataQuality"]
    for name, document in (("Statistics", "statistics.json"), ("Constraints", "constraints.json")):
        join = drift[name]["S3Uri"]["Std:Join"]["Values"]
        assert join[-1] == document
        assert baseline["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == join[0]


def test_inference_gates_the_transform_on_the_violation_count_and_fails_with_the_summary():
    steps = steps_by_name(json.loads(built(inference, PROCESSING)))
    check = steps[inference.STEP_DATA_QUALITY]
    arguments = check["Arguments"]["AppSpecification"]["ContainerArguments"]
    assert arguments[0] == "check"
    assert arguments[arguments.index("--feature-names") + 1] == "Age,Shape,Margin,Density"
    assert check["PropertyFiles"] == [
        {"PropertyFileName": "DataQualityResult", "OutputName": "data-quality", "FilePath": "drift_check.json"}]
    output = check["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]["Std:Join"]["Values"]
    assert output[0] == f"s3://mammo-data-{ACCOUNTS.dev}/monitoring/mammo-batch-inference"
    gate = steps[inference.STEP_DATA_QUALITY_GATE]
    (condition,) = gate["Arguments"]["Conditions"]
    assert condition["Type"] == "Equals"
    assert condition["RightValue"] == 0
    assert condition["LeftValue"]["Std:JsonGet"]["Path"] == "violation_count"
    assert [step["Name"] for step in gate["Arguments"]["IfSteps"]] == ["BatchInference-transform"]
    assert [step["Name"] for step in gate["Arguments"]["ElseSteps"]] == [inference.STEP_DATA_QUALITY_FAIL]
    message = steps[inference.STEP_DATA_QUALITY_FAIL]["Arguments"]["ErrorMessage"]["Std:JsonGet"]
    assert message["Path"] == "summary"
    baselines = {i["InputName"]: i["S3Input"]["S3Uri"] for i in check["Arguments"]["ProcessingInputs"]}
    assert baselines["statistics"] == {"Get": "Steps.LatestApprovedModel.OutputParameters['BaselineStatisticsUri']"}
    assert baselines["constraints"] == {"Get": "Steps.LatestApprovedModel.OutputParameters['BaselineConstraintsUri']"}
