"""The graph of each pipeline definition: steps, wiring, the AUC gate, registration and the batch monitor."""

from __future__ import annotations

import dataclasses
import json

from pipelines.config import load_config
from pipelines.definitions import definition_json_for

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

REGISTRY_KEY = f"arn:aws:kms:us-east-1:{ACCOUNTS.registry}:alias/mammo-model-artifacts"
WORKLOAD_KEY = f"arn:aws:kms:us-east-1:{ACCOUNTS.dev}:alias/mammo-workload"
GROUP_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.registry}:model-package-group/mammo-severity"
EXECUTION_ID = {"Get": "Execution.PipelineExecutionId"}


def steps_by_name(definition: dict) -> dict[str, dict]:
    found = {}

    def visit(steps):
        for step in steps:
            found[step["Name"]] = step
            visit(step.get("Arguments", {}).get("IfSteps", []) if step["Type"] == "Condition" else [])
            visit(step.get("Arguments", {}).get("ElseSteps", []) if step["Type"] == "Condition" else [])

    visit(definition["Steps"])
    return found


def parameters(definition: dict) -> dict[str, tuple[str, object]]:
    return {p["Name"]: (p["Type"], p.get("DefaultValue")) for p in definition["Parameters"]}


def test_train_parameters(train_definition):
    assert parameters(train_definition) == {
        "InputDataUri": ("String", f"s3://mammo-data-{ACCOUNTS.dev}/data/train/part1/"),
        "ProcessingInstanceType": ("String", "ml.m5.large"),
        "ProcessingInstanceCount": ("Integer", 1),
        "TrainingInstanceType": ("String", "ml.m5.large"),
        "ModelApprovalStatus": ("String", "PendingManualApproval"),
        "AucScoreThreshold": ("Float", 0.75),
    }


def test_train_steps_and_types(train_definition):
    assert [(s["Name"], s["Type"]) for s in train_definition["Steps"]] == [
        ("PreprocessData", "Processing"), ("TrainModel", "Training"), ("EvaluateModel", "Processing"),
        ("CheckAucScore", "Condition"),
    ]
    gate = train_definition["Steps"][3]["Arguments"]
    assert [(s["Name"], s["Type"]) for s in gate["IfSteps"]] == [
        ("DataQualityBaseline", "QualityCheck"), ("SeverityModel", "RegisterModel")]
    assert [(s["Name"], s["Type"]) for s in gate["ElseSteps"]] == [("AucBelowThreshold", "Fail")]


def test_preprocess_reads_the_input_parameter_and_takes_paths_as_arguments(train_definition):
    step = steps_by_name(train_definition)["PreprocessData"]["Arguments"]
    raw = next(i for i in step["ProcessingInputs"] if i["InputName"] == "raw")
    assert raw["S3Input"]["S3Uri"] == {"Get": "Parameters.InputDataUri"}
    arguments = step["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--input-dir") + 1] == raw["S3Input"]["LocalPath"]
    outputs = {o["OutputName"]: o for o in step["ProcessingOutputConfig"]["Outputs"]}
    assert set(outputs) == {"train", "validation", "test", "baseline"}
    for name, output in outputs.items():
        assert arguments[arguments.index(f"--{name}-dir") + 1] == output["S3Output"]["LocalPath"]
        assert EXECUTION_ID in output["S3Output"]["S3Uri"]["Std:Join"]["Values"]
    assert step["ProcessingOutputConfig"]["KmsKeyId"] == WORKLOAD_KEY
    assert "scikit-learn" in step["AppSpecification"]["ImageUri"]


def test_training_uses_builtin_xgboost_with_train_and_validation_channels(train_definition):
    step = steps_by_name(train_definition)["TrainModel"]["Arguments"]
    assert "sagemaker-xgboost" in step["AlgorithmSpecification"]["TrainingImage"]
    assert step["HyperParameters"]["objective"] == "binary:logistic"
    assert step["HyperParameters"]["eval_metric"] == "auc"
    channels = {c["ChannelName"]: c for c in step["InputDataConfig"]}
    assert set(channels) == {"train", "validation"}
    assert channels["train"]["ContentType"] == "text/csv"
    assert channels["train"]["DataSource"]["S3DataSource"]["S3Uri"] == {
        "Get": "Steps.PreprocessData.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}
    # The model artifact is referenced by the registered package: central bucket, registry key.
    # GZIP: SDK v3 writes the archive's compression (model.tar.gz, as v2's default was).
    assert step["OutputDataConfig"] == {"S3OutputPath": f"s3://mammo-model-artifacts-{ACCOUNTS.registry}/dev/models",
                                        "KmsKeyId": REGISTRY_KEY, "CompressionType": "GZIP"}
    assert step["ResourceConfig"]["VolumeKmsKeyId"] == WORKLOAD_KEY


def test_the_training_time_limit_is_the_environments(dev_config):
    """Set from the tfvars, not SDK v3's default of 3600 s (v2's was 86400 s)."""
    from pipelines.train import pipeline

    for seconds in (dev_config.workload.pipeline.training_max_runtime_seconds, 7200):
        settings = dataclasses.replace(dev_config.workload.pipeline, training_max_runtime_seconds=seconds)
        config = dataclasses.replace(dev_config, workload=dataclasses.replace(dev_config.workload, pipeline=settings))
        step = steps_by_name(json.loads(definition_json_for(pipeline.build(config))))["TrainModel"]["Arguments"]
        assert step["StoppingCondition"] == {"MaxRuntimeInSeconds": seconds}


def test_evaluation_writes_report_to_central_bucket_and_is_a_property_file(train_definition):
    step = steps_by_name(train_definition)["EvaluateModel"]
    assert "sagemaker-xgboost" in step["Arguments"]["AppSpecification"]["ImageUri"]
    assert step["PropertyFiles"] == [
        {"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}]
    output = step["Arguments"]["ProcessingOutputConfig"]
    assert output["KmsKeyId"] == REGISTRY_KEY
    assert output["Outputs"][0]["S3Output"]["S3Uri"]["Std:Join"]["Values"][0] == \
        f"s3://mammo-model-artifacts-{ACCOUNTS.registry}/dev/evaluation"


def test_condition_compares_auc_from_the_report_with_the_threshold(train_definition):
    [condition] = steps_by_name(train_definition)["CheckAucScore"]["Arguments"]["Conditions"]
    assert condition == {
        "Type": "GreaterThan",
        "LeftValue": {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.EvaluateModel.PropertyFiles.EvaluationReport"},
                                      "Path": "classification_metrics.auc.value"}},
        "RightValue": {"Get": "Parameters.AucScoreThreshold"},
    }
    message = steps_by_name(train_definition)["AucBelowThreshold"]["Arguments"]["ErrorMessage"]["Std:Join"]
    assert condition["LeftValue"] in message["Values"]
    assert {"Get": "Parameters.AucScoreThreshold"} in message["Values"]


def test_baseline_step_registers_a_new_baseline_without_checking(train_definition):
    step = steps_by_name(train_definition)["DataQualityBaseline"]
    assert (step["CheckType"], step["SkipCheck"], step["RegisterNewBaseline"]) == ("DATA_QUALITY", True, True)
    assert step["ModelPackageGroupName"] == GROUP_ARN
    assert step["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": "Steps.PreprocessData.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"}
    assert step["Arguments"]["ProcessingOutputConfig"]["KmsKeyId"] == REGISTRY_KEY
    assert '"header": false' in step["Arguments"]["Environment"]["dataset_format"]


def test_register_step_targets_the_central_group_with_metrics_and_drift_baselines(train_definition):
    step = steps_by_name(train_definition)["SeverityModel"]
    arguments = step["Arguments"]
    assert arguments["ModelPackageGroupName"] == GROUP_ARN
    assert arguments["ModelApprovalStatus"] == {"Get": "Parameters.ModelApprovalStatus"}
    assert arguments["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == {
        "Get": "Steps.TrainModel.ModelArtifacts.S3ModelArtifacts"}
    metrics = arguments["ModelMetrics"]
    evaluation_uri = metrics["ModelQuality"]["Statistics"]["S3Uri"]["Std:Join"]["Values"]
    assert evaluation_uri[-1] == "evaluation.json"
    assert metrics["ModelDataQuality"]["Statistics"]["S3Uri"] == {
        "Get": "Steps.DataQualityBaseline.CalculatedBaselineStatistics"}
    drift = arguments["DriftCheckBaselines"]["ModelDataQuality"]
    assert drift["Statistics"]["S3Uri"] == {"Get": "Steps.DataQualityBaseline.BaselineUsedForDriftCheckStatistics"}
    assert drift["Constraints"]["S3Uri"] == {"Get": "Steps.DataQualityBaseline.BaselineUsedForDriftCheckConstraints"}
    assert step["DependsOn"] == ["DataQualityBaseline"]


def test_the_registered_container_runs_the_builtin_algorithm(train_definition, dev_config):
    """No script entry: the built-in XGBoost container serves in algorithm mode only when SAGEMAKER_PROGRAM is absent
    (an empty one is taken for a user module to import, and the endpoint would not start)."""
    [container] = steps_by_name(train_definition)["SeverityModel"]["Arguments"]["InferenceSpecification"]["Containers"]
    assert container["Environment"] == {"SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
                                        "SAGEMAKER_REGION": dev_config.aws_region}


def test_inference_parameters(inference_definition):
    assert parameters(inference_definition) == {
        "BatchDataUri": ("String", f"s3://mammo-data-{ACCOUNTS.dev}/data/batch/clean/"),
        "TransformInstanceType": ("String", "ml.m5.large"),
        "TransformInstanceCount": ("Integer", 1),
        "MonitorInstanceType": ("String", "ml.m5.large"),
    }


def test_inference_steps(inference_definition):
    assert [(s["Name"], s["Type"]) for s in inference_definition["Steps"]] == [
        ("LatestApprovedModel", "Lambda"), ("SeverityModel", "Model"),
        ("BatchInference-transform", "Transform"), ("BatchInference-monitoring", "QualityCheck"),
    ]


def test_lambda_step_calls_the_terraform_function_by_arn(inference_definition):
    step = steps_by_name(inference_definition)["LatestApprovedModel"]
    assert step["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNTS.dev}:function:mammo-latest-approved-model"
    assert step["Arguments"] == {"ModelPackageGroupArn": GROUP_ARN}
    assert [o["OutputName"] for o in step["OutputParameters"]] == [
        "ModelPackageArn", "ModelDataUrl", "ImageUri", "BaselineStatisticsUri", "BaselineConstraintsUri"]


def test_model_and_transform_use_the_lambda_outputs(inference_definition):
    steps = steps_by_name(inference_definition)
    container = steps["SeverityModel"]["Arguments"]["PrimaryContainer"]
    assert container["Image"] == {"Get": "Steps.LatestApprovedModel.OutputParameters['ImageUri']"}
    assert container["ModelDataUrl"] == {"Get": "Steps.LatestApprovedModel.OutputParameters['ModelDataUrl']"}
    transform = steps["BatchInference-transform"]
    assert transform["Arguments"]["ModelName"] == {"Get": "Steps.SeverityModel.ModelName"}
    assert transform["Arguments"]["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == {
        "Get": "Parameters.BatchDataUri"}
    output = transform["Arguments"]["TransformOutput"]
    assert output["S3OutputPath"]["Std:Join"]["Values"][0] == \
        f"s3://mammo-data-{ACCOUNTS.dev}/inference/mammo-batch-inference"
    assert output["KmsKeyId"] == WORKLOAD_KEY
    assert "Accelerator" not in str(inference_definition)  # no Elastic Inference


def test_monitor_runs_before_transform_and_fails_on_violation(inference_definition):
    steps = steps_by_name(inference_definition)
    monitor = steps["BatchInference-monitoring"]
    assert steps["BatchInference-transform"]["DependsOn"] == ["BatchInference-monitoring"]
    assert (monitor["CheckType"], monitor["SkipCheck"], monitor["FailOnViolation"]) == ("DATA_QUALITY", False, True)
    assert monitor["SuppliedBaselineStatistics"] == {
        "Get": "Steps.LatestApprovedModel.OutputParameters['BaselineStatisticsUri']"}
    assert monitor["SuppliedBaselineConstraints"] == {
        "Get": "Steps.LatestApprovedModel.OutputParameters['BaselineConstraintsUri']"}
    assert monitor["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {"Get": "Parameters.BatchDataUri"}
    assert monitor["Arguments"]["ProcessingResources"]["ClusterConfig"]["InstanceType"] == {
        "Get": "Parameters.MonitorInstanceType"}
