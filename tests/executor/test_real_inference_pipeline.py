"""The project's real batch-inference definition run by the executor in dev, against an Approved version,
with each drift-check engine (model-monitor: MonitorBatchTransformStep; processing: the analyzer script as a
processing job, a ConditionStep and a FailStep).

The version is registered directly (a real XGBoost model on the UCI part-1 data and the analyzer's baseline of
its features) rather than by the train pipeline, which tests/executor/test_run_pipeline_local.py runs.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from alerts.stand_ins import RecordedSageMaker, alert_inbox, failed_event  # tests/alerts, tests/ is on sys.path
from support.platform import create_latest_model_function_role

from localaws.monitor.container import run_data_quality_container
from localaws.sagemaker_endpoints.model_archive import MODEL_FILE
from localaws.sagemaker_pipelines.archives import deterministic_tar_gz
from pipelines import s3_uri
from pipelines.config import DRIFT_CHECK_ENGINES, MODEL_MONITOR, REPO_ROOT, EnvConfig
from pipelines.data.prepare import BATCH, BATCH_OUTLIERS, LABEL, S3_KEYS, TRAIN_PART1, prepare
from pipelines.data.raw import read_raw
from pipelines.definitions import definition_json_for
from pipelines.inference import pipeline as inference
from pipelines.lambdas import pipeline_alert
from pipelines.lambdas.package import build_lambda_zip

from .helpers import XGBOOST_IMAGE


@pytest.fixture(scope="module", params=DRIFT_CHECK_ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def inference_definition(engine) -> str:
    return definition_json_for(inference.build(with_engine(engine)))


def with_engine(engine: str) -> EnvConfig:
    from pipelines.config import load_config

    config = load_config("dev")
    pipeline = dataclasses.replace(config.workload.pipeline, drift_check_engine=engine)
    return dataclasses.replace(config, workload=dataclasses.replace(config.workload, pipeline=pipeline))


@pytest.fixture
def approved_version(dev_config, dev_session, registry_session, model_package_group, tmp_path, engine) -> dict:
    """Data in dev, the latest-model function, and one Approved version in the registry account."""
    prepared = prepare(read_raw(REPO_ROOT / "data" / "mammographic_masses.data"), tmp_path / "data")
    s3 = dev_session.client("s3")
    s3.create_bucket(Bucket=dev_config.workload.data_bucket_name)
    for name, path in prepared.files.items():
        s3.put_object(Bucket=dev_config.workload.data_bucket_name, Key=S3_KEYS[name], Body=path.read_bytes())
    for asset in inference.code_assets(with_engine(engine)):  # what run-pipeline uploads before upserting
        s3.upload_file(str(asset.path), asset.bucket, asset.key)
    role = create_latest_model_function_role(dev_session, dev_config)
    dev_session.client("lambda").create_function(
        FunctionName=dev_config.workload.latest_model_function_name, Runtime="python3.11", Role=role,
        Handler="latest_approved_model.handler",
        Code={"ZipFile": build_lambda_zip("latest_approved_model", tmp_path).read_bytes()},
        Environment={"Variables": {"MODEL_PACKAGE_GROUP_ARN": dev_config.model_package_group_arn}})

    part1 = pd.read_csv(prepared.files[TRAIN_PART1]).dropna()
    features = part1.drop(columns=[LABEL])
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "seed": 42},
                        xgb.DMatrix(features.to_numpy(np.float32), label=part1[LABEL]), num_boost_round=20)
    (tmp_path / MODEL_FILE).write_bytes(booster.save_raw("ubj"))
    (tmp_path / "baseline").mkdir()
    features.to_csv(tmp_path / "baseline" / "features.csv", header=False, index=False)
    run_data_quality_container({"dataset_format": json.dumps({"csv": {"header": False}})}, tmp_path / "baseline",
                               tmp_path / "baseline-output")

    registry = registry_session
    bucket, prefix = dev_config.model_registry.artifacts_bucket_name, "dev/test-version"
    registry.client("s3").create_bucket(Bucket=bucket)
    registry.client("s3").put_object(Bucket=bucket, Key=f"{prefix}/model.tar.gz",
                                     Body=deterministic_tar_gz({MODEL_FILE: tmp_path / MODEL_FILE}))
    for name in ("statistics.json", "constraints.json"):
        registry.client("s3").put_object(Bucket=bucket, Key=f"{prefix}/{name}",
                                         Body=(tmp_path / "baseline-output" / name).read_bytes())
    sagemaker = model_package_group
    uri = f"s3://{bucket}/{prefix}"
    package = sagemaker.create_model_package(
        ModelPackageGroupName=dev_config.model_package_group_arn, ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": f"{uri}/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        DriftCheckBaselines={"ModelDataQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": f"{uri}/statistics.json"},
            "Constraints": {"ContentType": "application/json", "S3Uri": f"{uri}/constraints.json"}}},
    )["ModelPackageArn"]
    return {"package": package, "booster": booster, "batch": prepared.files[BATCH]}


def test_the_clean_batch_gets_predictions_from_the_approved_version(executor, inference_definition, approved_version,
                                                                   dev_config, dev_session, engine):
    record = executor.run_definition(inference_definition, dev_config.workload.inference_pipeline_name)

    assert record.status == "Succeeded", record.failure_reason
    assert [step.type for step in record.steps if step.status != "NotExecuted"] == (
        ["Lambda", "Model", "QualityCheck", "Transform"] if engine == MODEL_MONITOR
        else ["Lambda", "Model", "Processing", "Condition", "Transform"])
    lambda_step = next(step for step in record.steps if step.type == "Lambda")
    assert lambda_step.properties["OutputParameters"]["ModelPackageArn"] == approved_version["package"]
    transform = next(step for step in record.steps if step.type == "Transform")
    output = transform.properties["TransformOutput"]["S3OutputPath"].rstrip("/")
    bucket, key = s3_uri.split(output)
    body = dev_session.client("s3").get_object(Bucket=bucket, Key=f"{key}/{BATCH}.out")["Body"].read()
    predictions = np.loadtxt(io.BytesIO(body))
    batch = pd.read_csv(approved_version["batch"], header=None).to_numpy(np.float32)
    np.testing.assert_allclose(predictions, approved_version["booster"].inplace_predict(batch), rtol=1e-6)


def test_the_outlier_batch_fails_the_check_and_gets_no_predictions(executor, inference_definition, approved_version,
                                                                  dev_config, dev_session, engine):
    outliers = f"s3://{dev_config.workload.data_bucket_name}/{S3_KEYS[BATCH_OUTLIERS].rsplit('/', 1)[0]}/"

    record = executor.run_definition(inference_definition, dev_config.workload.inference_pipeline_name,
                                     {"BatchDataUri": outliers})

    assert record.status == "Failed"
    if engine == MODEL_MONITOR:
        assert {step.type: step.status for step in record.steps} == {
            "Lambda": "Succeeded", "Model": "Succeeded", "QualityCheck": "Failed", "Transform": "NotExecuted"}
        assert "CompletedWithViolations" in record.failure_reason
    else:
        assert {step.type: step.status for step in record.steps} == {
            "Lambda": "Succeeded", "Model": "Succeeded", "Processing": "Succeeded", "Condition": "Succeeded",
            "Fail": "Failed", "Transform": "NotExecuted"}
        # The FailStep's message names each violated feature, its check and its figures.
        assert "Age baseline_drift_check: Baseline drift distance: 0." in record.failure_reason
        assert "Shape completeness_check: " in record.failure_reason
        assert "exceeds threshold: 0.1" in record.failure_reason
    assert "completeness_check" in record.failure_reason
    # Both engines leave the AWS-format report under the data bucket's monitoring prefix.
    execution_id = record.execution_id
    key = f"monitoring/{dev_config.workload.inference_pipeline_name}/{execution_id}/constraint_violations.json"
    report = json.loads(dev_session.client("s3").get_object(Bucket=dev_config.workload.data_bucket_name,
                                                              Key=key)["Body"].read())
    assert {(v["feature_name"], v["constraint_check_type"]) for v in report["violations"]} == {
        ("_c0", "baseline_drift_check"), ("_c1", "completeness_check"), ("_c3", "completeness_check")}

    # The alert function on this execution: the subject names the drifted feature and its figures.
    topic, read_alerts = alert_inbox(dev_session, dev_config.workload.alert_topic_name)
    settings = pipeline_alert.Settings(
        topic_arn=topic, environment="dev", bucket=dev_config.workload.data_bucket_name, prefix="monitoring",
        feature_names=["Age", "Shape", "Margin", "Density"],
        retrain_on_failure_of=dev_config.workload.inference_pipeline_name,
        retrain_pipeline=dev_config.workload.train_pipeline_name,
        retrain_input=f"s3://{dev_config.workload.data_bucket_name}/data/train/")
    alert = pipeline_alert.send_alert(failed_event(record), settings, RecordedSageMaker(record),
                                      dev_session.client("s3"), dev_session.client("sns"))
    [(subject, message)] = read_alerts()
    assert re.fullmatch(r"\[dev\] mammo-batch-inference failed: data drift in Age \(distance 0\.\d\d > 0\.10\), "
                        r"\+2 more", subject), subject
    assert message == alert["message"]
    assert "Shape" in message
    assert "Density" in message
    assert "completeness_check" in message
