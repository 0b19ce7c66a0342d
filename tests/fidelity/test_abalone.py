"""The abalone-style pipeline, as SDK v2 wrote it, runs unchanged through StartPipelineExecution.

Nothing in it was written for this project: hard-coded /opt/ml paths, the job's config files, relative
paths, a 1.0-1 built-in XGBoost model read back with joblib, a PropertyFile read by JsonGet, RegisterModel.
The definitions are v2's (fixtures/v2/): the stack keeps running v2-shaped pipelines after the move to v3.
"""

from __future__ import annotations

import io
import json
import pickle
import re
import tarfile

import boto3
import joblib
import xgboost
from support import wait_for_end

from .corpus import (
    BUCKET,
    GROUP,
    MSE_THRESHOLD,
    REGION,
    ROLE,
    upload_framework_code,
    upload_inputs,
    v2_definition,
)


def run(endpoint: str, definition: str, name: str) -> tuple[dict, dict[str, dict]]:
    sagemaker = boto3.client("sagemaker", endpoint_url=endpoint, region_name=REGION)
    sagemaker.create_pipeline(PipelineName=name, PipelineDefinition=definition, RoleArn=ROLE)
    arn = sagemaker.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    description = wait_for_end(sagemaker, arn, timeout=300)
    steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    return description, {step["StepName"]: step for step in steps}


def s3_objects(endpoint: str, suffix: str) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    keys = [item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
            for item in page.get("Contents", [])]
    return [key for key in keys if key.endswith(suffix)]


def job_log(endpoint: str, kind: str, step: dict) -> list[str]:
    """The job's CloudWatch log lines (/aws/sagemaker/<kind>, stream <job name>/algo-1-<time>)."""
    job = next(iter(step["Metadata"].values()))["Arn"].rsplit("/", 1)[1]
    logs = boto3.client("logs", endpoint_url=endpoint, region_name=REGION)
    streams = logs.describe_log_streams(logGroupName=f"/aws/sagemaker/{kind}")["logStreams"]
    [stream] = [s["logStreamName"] for s in streams if s["logStreamName"].lower().startswith(f"{job}/algo-1-")]
    events = logs.get_log_events(logGroupName=f"/aws/sagemaker/{kind}", logStreamName=stream)["events"]
    return [event["message"] for event in events]


def read(endpoint: str, key: str) -> bytes:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_the_abalone_pipeline_runs_unchanged_and_registers_its_model(aws):
    upload_inputs(aws.endpoint)

    description, steps = run(aws.endpoint, v2_definition("abalone_pipeline"), "AbalonePipeline")

    assert description["PipelineExecutionStatus"] == "Succeeded", description.get("FailureReason")
    assert {name: step["StepStatus"] for name, step in steps.items()} == {
        "AbaloneProcess": "Succeeded", "AbaloneTrain": "Succeeded", "AbaloneEval": "Succeeded",
        "AbaloneMSECond": "Succeeded", "AbaloneRegisterModel-RegisterModel": "Succeeded"}
    # The script read its glob of /opt/ml/processing/input and the job's config files where SageMaker puts them.
    [origin] = s3_objects(aws.endpoint, "/test/origin.txt")
    job_name = steps["AbaloneProcess"]["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[1]
    assert read(aws.endpoint, origin).decode().lower() == f"{job_name} algo-1"
    [train_csv] = s3_objects(aws.endpoint, "/train/train.csv")
    assert len(read(aws.endpoint, train_csv).decode().splitlines()) == 280  # 70 % of 400 rows
    # The 1.0-1 image pickles the Booster; the evaluation script's joblib.load read it.
    sagemaker = boto3.client("sagemaker", endpoint_url=aws.endpoint, region_name=REGION)
    [package] = sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    package = sagemaker.describe_model_package(ModelPackageName=package["ModelPackageArn"])
    container = package["InferenceSpecification"]["Containers"][0]
    assert container["Image"].endswith("/sagemaker-xgboost:1.0-1-cpu-py3")
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    model_key = container["ModelDataUrl"].removeprefix(f"s3://{BUCKET}/")
    with tarfile.open(fileobj=io.BytesIO(read(aws.endpoint, model_key))) as archive:
        booster = pickle.loads(archive.extractfile("xgboost-model").read())  # noqa: S301 - the test's own model
    assert isinstance(booster, xgboost.Booster)
    assert booster.num_boosted_rounds() == 50
    [evaluation] = s3_objects(aws.endpoint, "/evaluation/evaluation.json")
    mse = json.loads(read(aws.endpoint, evaluation))["regression_metrics"]["mse"]["value"]
    assert 0 < mse <= MSE_THRESHOLD
    assert package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == f"s3://{BUCKET}/evaluation.json"
    # Each round in the job's log as the algorithm writes it, read by a metric definition's regex.
    log = job_log(aws.endpoint, "TrainingJobs", steps["AbaloneTrain"])
    assert len(log) == 50
    assert re.fullmatch(r"\[49\]#011train-rmse:[0-9.]+#011validation-rmse:([0-9.]+)", log[-1])


def test_a_newer_image_writes_xgboosts_own_format_which_joblib_cannot_read(aws):
    """From 1.3-1 on the model is not a pickle: the same evaluation script fails as it does on AWS."""
    upload_inputs(aws.endpoint)

    description, steps = run(aws.endpoint, v2_definition("abalone_pipeline_xgboost_1.7-1"),
                                  "AbalonePipeline17")

    assert description["PipelineExecutionStatus"] == "Failed"
    assert steps["AbaloneTrain"]["StepStatus"] == "Succeeded"
    assert steps["AbaloneEval"]["StepStatus"] == "Failed"
    assert "evaluate.py exited with code 1" in steps["AbaloneEval"]["FailureReason"]
    # pickle meets UBJSON's opening '{' (byte 123)
    assert "pickle.py" in steps["AbaloneEval"]["FailureReason"]
    assert "KeyError: 123" in steps["AbaloneEval"]["FailureReason"]


def test_script_mode_xgboost_and_scikit_learn_estimators_train_unchanged(aws):
    upload_inputs(aws.endpoint)

    description, steps = run(aws.endpoint, v2_definition("script_mode_pipeline"), "ScriptModePipeline")

    assert description["PipelineExecutionStatus"] == "Succeeded", description.get("FailureReason")
    assert steps["RmseGate"]["Metadata"] == {"Condition": {"Outcome": "True"}}
    [xgboost_model] = s3_objects(aws.endpoint, "XGBoostScriptTrain/output/model.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(read(aws.endpoint, xgboost_model))) as archive:
        assert archive.getnames() == ["xgboost-model"]
        booster = xgboost.Booster()
        booster.load_model(bytearray(archive.extractfile("xgboost-model").read()))
    assert booster.num_boosted_rounds() == 20
    [output] = s3_objects(aws.endpoint, "XGBoostScriptTrain/output/output.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(read(aws.endpoint, output))) as archive:
        environment = json.loads(archive.extractfile("env.json").read())
    assert environment == {"hosts": ["algo-1"], "cwd": "/opt/ml/code", "channels": ["train", "validation"]}
    assert any("validation-rmse:" in line for line in job_log(aws.endpoint, "TrainingJobs",
                                                              steps["XGBoostScriptTrain"]))
    [sklearn_model] = s3_objects(aws.endpoint, "SKLearnScriptTrain/output/model.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(read(aws.endpoint, sklearn_model))) as archive:
        model = joblib.load(archive.extractfile("model.joblib"))
    assert len(model.estimators_) == 20


def test_a_framework_processor_runs_its_source_dir_unchanged(aws):
    upload_inputs(aws.endpoint)
    upload_framework_code(aws.endpoint)

    description, _steps = run(aws.endpoint, v2_definition("framework_processor_pipeline"),
                              "FrameworkProcessorPipeline")

    assert description["PipelineExecutionStatus"] == "Succeeded", description.get("FailureReason")
    [summary] = s3_objects(aws.endpoint, "/summary/summary.json")
    # runproc.sh unpacked the code and ran it from /opt/ml/processing/input/code, as in the container
    assert json.loads(read(aws.endpoint, summary)) == {"rows": 400, "columns": 8,
                                                       "cwd": "/opt/ml/processing/input/code"}


def test_a_transform_joins_each_prediction_to_its_labelled_record(aws):
    upload_inputs(aws.endpoint)

    description, _steps = run(aws.endpoint, v2_definition("transform_pipeline"), "AbaloneTransformPipeline")

    assert description["PipelineExecutionStatus"] == "Succeeded", description.get("FailureReason")
    [test_csv] = s3_objects(aws.endpoint, "/test/test.csv")
    labels = [line.split(",")[0] for line in read(aws.endpoint, test_csv).decode().splitlines()]
    [predictions] = s3_objects(aws.endpoint, "AbaloneTransform/test.csv.out")
    rows = [line.split(",") for line in read(aws.endpoint, predictions).decode().splitlines()]
    assert [row[0] for row in rows] == labels  # the label kept by JoinSource + OutputFilter
    assert all(len(row) == 2 for row in rows)
    errors = [abs(float(label) - float(prediction)) for label, prediction in rows]
    assert sum(errors) / len(errors) < 2.0  # a real model's predictions of the rings
