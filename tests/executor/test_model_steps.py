"""Training, Model, Transform and RegisterModel handlers on the local stack, with real XGBoost.

The central model package group lives in the registry account; the steps run in dev and register by ARN.
"""

from __future__ import annotations

import io
import re
import tarfile

import numpy as np
import pytest
import xgboost as xgb

from localaws.sagemaker_endpoints.model_archive import MODEL_FILE
from localaws.sagemaker_pipelines.archives import deterministic_tar_gz
from localaws.sagemaker_pipelines.steps.transform import load_xgboost_model
from pipelines.aws import session_for_account
from pipelines.config import load_config
from pipelines.pipeline_definition.errors import PipelineDefinitionError

from .helpers import ROLE, SKLEARN_IMAGE, XGBOOST_IMAGE, definition, statuses

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

HYPERPARAMETERS = {"objective": "binary:logistic", "num_round": "20", "max_depth": "3", "eta": "0.3",
                   "eval_metric": "auc", "seed": "7"}


def csv(rows: np.ndarray) -> str:
    return "\n".join(",".join(f"{value:g}" for value in row) for row in rows) + "\n"


def labelled(rng: np.random.Generator, count: int) -> np.ndarray:
    features = rng.normal(size=(count, 3))
    label = (features[:, 0] + features[:, 1] > 0).astype(float)
    return np.column_stack([label, features])  # the built-in algorithm's layout: label first


@pytest.fixture
def central_group(model_package_group, dev_config) -> str:
    return dev_config.model_package_group_arn


@pytest.fixture
def datasets(put) -> dict[str, object]:
    rng = np.random.default_rng(11)
    batch = rng.normal(size=(30, 3))
    return {
        "train": put("xgb/train/train.csv", csv(labelled(rng, 300))),
        "validation": put("xgb/validation/validation.csv", csv(labelled(rng, 100))),
        "batch": put("xgb/batch/first.csv", csv(batch[:20])).rsplit("/", 1)[0] + "/",
        "second": put("xgb/batch/nested/second.csv", csv(batch[20:])),
        "features": batch,
    }


def training_step(bucket: str, datasets: dict, hyperparameters: dict, image: str = XGBOOST_IMAGE) -> dict:
    return {"Name": "Train", "Type": "Training", "Arguments": {
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/models"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "ResourceConfig": {"VolumeSizeInGB": 30, "InstanceCount": 1, "InstanceType": "ml.m5.large"},
        "RoleArn": ROLE,
        "InputDataConfig": [
            {"ChannelName": channel, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": datasets[channel].rsplit("/", 1)[0],
                "S3DataDistributionType": "FullyReplicated"}}}
            for channel in ("train", "validation")],
        "HyperParameters": hyperparameters,
    }}


def model_steps(bucket: str, batch_uri: str, model_data) -> list[dict]:
    """Create the model from an artifact, then batch-transform `batch_uri` with it."""
    create_model = {"Name": "SeverityModel-CreateModel", "Type": "Model", "Arguments": {
        "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": XGBOOST_IMAGE, "Environment": {},
                                                       "ModelDataUrl": model_data}}}
    transform = {"Name": "Predict", "Type": "Transform", "Arguments": {
        "ModelName": {"Get": "Steps.SeverityModel-CreateModel.ModelName"},
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": batch_uri}},
                           "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": f"s3://{bucket}/predictions", "AssembleWith": "Line",
                            "Accept": "text/csv"},
        "TransformResources": {"InstanceCount": 1, "InstanceType": "ml.m5.large"}}}
    return [create_model, transform]


def model_pipeline(bucket: str, datasets: dict, group_arn: str) -> str:
    model_data = {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    register = {"Name": "SeverityModel-RegisterModel", "Type": "RegisterModel", "Arguments": {
        "ModelPackageGroupName": group_arn,
        "InferenceSpecification": {"Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": model_data}],
                                   "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        "ModelApprovalStatus": "PendingManualApproval"}}
    return definition(training_step(bucket, datasets, HYPERPARAMETERS), *model_steps(bucket, datasets["batch"],
                                                                                     model_data), register)


def test_train_create_model_transform_and_register(executor, bucket, datasets, central_group, dev_config, dev_session,
                                                   read, tmp_path):
    record = executor.run_definition(model_pipeline(bucket, datasets, central_group), "models")

    assert record.status == "Succeeded", record.failure_reason
    training = record.step("Train").properties
    job = training["TrainingJobName"]
    assert job == f"pipelines-{record.execution_id}-Train"
    assert training["TrainingJobStatus"] == "Completed"
    model_uri = training["ModelArtifacts"]["S3ModelArtifacts"]
    assert model_uri == f"s3://{bucket}/models/{job}/output/model.tar.gz"
    metrics = {metric["MetricName"]: metric["Value"] for metric in training["FinalMetricDataList"]}
    assert metrics["validation:auc"] > 0.9  # the label is a linear function of two features

    # The archive holds exactly `xgboost-model`, written with Booster.save_model and loadable as such.
    s3 = dev_session.client("s3")
    archive = s3.get_object(Bucket=bucket, Key=model_uri.split("/", 3)[3])["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        assert tar.getnames() == ["xgboost-model"]
    (tmp_path / "model.tar.gz").write_bytes(archive)
    booster = load_xgboost_model(tmp_path / "model.tar.gz")
    assert booster.num_boosted_rounds() == 20

    # One .out per input object, below the same relative path, one prediction per line.
    expected = booster.predict(xgb.DMatrix(datasets["features"].astype(np.float32)))
    first = np.loadtxt(io.StringIO(read(f"s3://{bucket}/predictions/first.csv.out")))
    second = np.loadtxt(io.StringIO(read(f"s3://{bucket}/predictions/nested/second.csv.out")))
    np.testing.assert_allclose(np.concatenate([first, second]), expected, rtol=1e-6)
    assert record.step("Predict").properties["TransformJobStatus"] == "Completed"

    model_name = record.step("SeverityModel-CreateModel").properties["ModelName"]
    described = dev_session.client("sagemaker").describe_model(ModelName=model_name)
    assert described["PrimaryContainer"]["ModelDataUrl"] == model_uri

    # The version is in the registry account's group, not in dev.
    package_arn = record.step("SeverityModel-RegisterModel").properties["ModelPackageArn"]
    assert package_arn.startswith(f"arn:aws:sagemaker:us-east-1:{dev_config.accounts.registry}:model-package/")
    registry = session_for_account(dev_config.accounts.registry, dev_config.aws_region).client("sagemaker")
    packages = registry.list_model_packages(ModelPackageGroupName=central_group)["ModelPackageSummaryList"]
    assert [package["ModelPackageArn"] for package in packages] == [package_arn]
    assert record.step("SeverityModel-RegisterModel").metadata == {"RegisterModel": {"Arn": package_arn}}
    # As in SageMaker Pipelines, the version names the execution that registered it (the definition does not).
    assert "MetadataProperties" not in model_pipeline(bucket, datasets, central_group)
    package = registry.describe_model_package(ModelPackageName=package_arn)
    assert package["MetadataProperties"]["GeneratedBy"] == record.execution_arn


def test_training_is_deterministic(executor, bucket, datasets):
    steps = definition(training_step(bucket, datasets, HYPERPARAMETERS))
    first, second = (executor.run_definition(steps, "train") for _ in range(2))
    uris = [record.step("Train").properties["ModelArtifacts"]["S3ModelArtifacts"] for record in (first, second)]
    assert uris[0] != uris[1]  # one job per execution ...
    bodies = [executor.session.client("s3").get_object(Bucket=bucket, Key=uri.split("/", 3)[3])["Body"].read()
              for uri in uris]
    assert bodies[0] == bodies[1]  # ... with byte-identical artifacts


def test_output_compression_none_uploads_the_model_folder_as_it_is(executor, bucket, datasets):
    """OutputDataConfig.CompressionType NONE (ModelTrainer's OutputDataConfig(compression_type=...), the v2
    Estimator's disable_output_compression): the files of /opt/ml/model under output/model/, and that prefix as
    S3ModelArtifacts; GZIP (SDK v3 writes it, v2 leaves it out) is model.tar.gz."""
    steps = []
    for compression in ("NONE", "GZIP"):
        step = training_step(bucket, datasets, HYPERPARAMETERS)
        step["Name"] = f"Train{compression}"
        step["Arguments"]["OutputDataConfig"]["CompressionType"] = compression
        steps.append(step)
    record = executor.run_definition(definition(*steps), "train")

    assert statuses(record) == {"TrainNONE": "Succeeded", "TrainGZIP": "Succeeded"}
    s3 = executor.session.client("s3")
    uncompressed = record.step("TrainNONE").properties["ModelArtifacts"]["S3ModelArtifacts"]
    assert uncompressed == f"s3://{bucket}/models/pipelines-{record.execution_id}-TrainNONE/output/model/"
    [listed] = s3.list_objects_v2(Bucket=bucket, Prefix=uncompressed.split("/", 3)[3])["Contents"]
    assert listed["Key"].endswith(f"/output/model/{MODEL_FILE}")
    compressed = record.step("TrainGZIP").properties["ModelArtifacts"]["S3ModelArtifacts"]
    assert compressed.endswith("-TrainGZIP/output/model.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=compressed.split("/", 3)[3])[
            "Body"].read())) as archive:
        assert archive.extractfile(MODEL_FILE).read() == s3.get_object(Bucket=bucket, Key=listed["Key"])[
            "Body"].read()  # the same model, seeded, either way


def test_an_output_compression_type_sagemaker_refuses_fails_the_job_before_it_trains(executor, bucket, datasets):
    step = training_step(bucket, datasets, HYPERPARAMETERS)
    step["Arguments"]["OutputDataConfig"]["CompressionType"] = "None"  # the enum is GZIP | NONE
    record = executor.run_definition(definition(step), "t")

    assert statuses(record) == {"Train": "Failed"}
    assert record.step("Train").failure_reason == (
        "ClientError: 1 validation error detected: Value 'None' at 'outputDataConfig.compressionType' failed to "
        "satisfy constraint: Member must satisfy enum value set: [GZIP, NONE]")
    assert "ModelArtifacts" not in record.step("Train").properties


@pytest.mark.parametrize(("hyperparameters", "image", "reason"), [
    ({"objective": "binary:logistic"}, XGBOOST_IMAGE, "hyperparameter 'num_round' is required"),
    ({**HYPERPARAMETERS, "num_round": "-1"}, XGBOOST_IMAGE, "'num_round' must be a positive integer"),
    ({**HYPERPARAMETERS, "objective": "binary:nonsense"}, XGBOOST_IMAGE, "XGBoost training failed"),
])
def test_training_failures_name_the_cause(executor, bucket, datasets, hyperparameters, image, reason):
    record = executor.run_definition(definition(training_step(bucket, datasets, hyperparameters, image)), "t")
    assert statuses(record) == {"Train": "Failed"}
    assert record.step("Train").properties["TrainingJobStatus"] == "Failed"
    assert re.search(reason, record.step("Train").failure_reason)


@pytest.mark.parametrize(("image", "message"), [
    (f"{ACCOUNTS.dev}.dkr.ecr.us-east-1.amazonaws.com/my-trainer:1",
     r"step 'Train': .* cannot run image '.*my-trainer:1' for a training job: it emulates the xgboost, "
     r"scikit-learn image families"),
    (SKLEARN_IMAGE, r"step 'Train': the scikit-learn image trains in script mode only: give the estimator an "
                    r"entry_point \(the sagemaker_program hyperparameter\)"),
])
def test_a_training_image_that_cannot_be_emulated_is_refused_before_anything_runs(executor, bucket, datasets,
                                                                                  store, image, message):
    steps = definition(training_step(bucket, datasets, HYPERPARAMETERS, image))
    with pytest.raises(PipelineDefinitionError, match=message):
        executor.run_definition(steps, "t")
    assert store.list() == []


def test_a_v3_model_trainer_with_source_code_is_refused_before_anything_runs(executor, bucket, datasets, store):
    """SDK v3 runs a ModelTrainer's source_code through its own driver script, given as the job's container
    entry point: the executor says so and what it does run."""
    step = training_step(bucket, datasets, HYPERPARAMETERS)
    step["Arguments"]["AlgorithmSpecification"].update(ContainerEntrypoint=["/bin/bash"], ContainerArguments=[
        "-c", "chmod +x /opt/ml/input/data/sm_drivers/sm_train.sh && /opt/ml/input/data/sm_drivers/sm_train.sh"])
    with pytest.raises(PipelineDefinitionError, match=(
            r"^step 'Train': AlgorithmSpecification.ContainerEntrypoint is not emulated for training \(SDK v3's "
            r"ModelTrainer sets it .* when given source_code\): use the built-in XGBoost algorithm \(a ModelTrainer "
            r"without source_code\) or an SDK v2 framework estimator's entry_point \(script mode\)$")):
        executor.run_definition(definition(step), "t")
    assert store.list() == []


def test_transform_refuses_a_batch_with_the_label_column(executor, bucket, put, tmp_path):
    rng = np.random.default_rng(3)
    data = labelled(rng, 50)
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(data[:, 1:], label=data[:, 0]), 2)
    (tmp_path / MODEL_FILE).write_bytes(booster.save_raw("ubj"))
    model_uri = put("xgb/model/model.tar.gz", deterministic_tar_gz({MODEL_FILE: tmp_path / MODEL_FILE}))
    batch_uri = put("xgb/labelled/batch.csv", csv(labelled(rng, 5))).rsplit("/", 1)[0] + "/"

    record = executor.run_definition(definition(*model_steps(bucket, batch_uri, model_uri)), "models")

    assert statuses(record) == {"SeverityModel-CreateModel": "Succeeded", "Predict": "Failed"}
    assert ("the model container answered 400: Unable to evaluate payload provided: Feature size of csv inference "
            "data 4 is not consistent with feature size of trained model 3") in record.step("Predict").failure_reason
    assert record.step("Predict").properties["TransformJobStatus"] == "Failed"
