"""The alert function on real event shapes: S3 and SNS are the local stack (the alert is read back from an SQS
queue subscribed to the topic); SageMaker answers come from executor records (see stand_ins.py)."""

from __future__ import annotations

import json

import boto3
import pytest

from localaws.sagemaker_pipelines.store import ExecutionRecord, StepRecord
from pipelines import s3_uri
from pipelines.config import load_config
from pipelines.lambdas import pipeline_alert

from .stand_ins import RecordedSageMaker, alert_inbox, failed_event

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

REGION = "us-east-1"
DRIFT_SUMMARY = ("data-quality check failed with 3 violation(s): Age baseline_drift_check: Baseline drift distance: "
                 "0.301234 exceeds threshold: 0.1; Shape completeness_check: Data completeness requirement is not "
                 "met. Expected completeness: 100.0%. Observed: Only 80.0% of data is present.; Density "
                 "completeness_check: Data completeness requirement is not met. Expected completeness: 100.0%. "
                 "Observed: Only 86.7% of data is present.")
VIOLATIONS = {"violations": [
    {"feature_name": "_c0", "constraint_check_type": "baseline_drift_check",
     "description": "Baseline drift distance: 0.301234 exceeds threshold: 0.1"},
    {"feature_name": "_c1", "constraint_check_type": "completeness_check",
     "description": "Data completeness requirement is not met. Expected completeness: 100.0%. Observed: Only "
                    "80.0% of data is present."},
    {"feature_name": "_c3", "constraint_check_type": "completeness_check",
     "description": "Data completeness requirement is not met. Expected completeness: 100.0%. Observed: Only "
                    "86.7% of data is present."},
]}


@pytest.fixture(scope="module")
def prod():
    return load_config("prod")


@pytest.fixture
def prod_session(aws, prod) -> boto3.Session:
    from pipelines.aws import session_for_account

    return session_for_account(prod.account_id, prod.aws_region)


@pytest.fixture
def inbox(prod_session, prod):
    prod_session.client("s3").create_bucket(Bucket=prod.workload.data_bucket_name)
    return alert_inbox(prod_session, prod.workload.alert_topic_name)


@pytest.fixture
def settings(prod, inbox) -> pipeline_alert.Settings:
    workload = prod.workload
    return pipeline_alert.Settings(
        topic_arn=inbox[0], environment="prod", bucket=workload.data_bucket_name, prefix="monitoring",
        feature_names=["Age", "Shape", "Margin", "Density"], retrain_on_failure_of=workload.inference_pipeline_name,
        retrain_pipeline=workload.train_pipeline_name,
        retrain_input=f"s3://{workload.data_bucket_name}/data/train/")


def record(prod, pipeline_name: str, steps: list[StepRecord], execution_id: str = "a1b2c3d4e5f6") -> ExecutionRecord:
    pipeline_arn = prod.pipeline_arn(pipeline_name)
    failed = next(step for step in steps if step.status == "Failed")
    return ExecutionRecord(
        execution_arn=f"{pipeline_arn}/execution/{execution_id}", execution_id=execution_id,
        pipeline_name=pipeline_name, pipeline_arn=pipeline_arn, account_id=prod.account_id, parameters={},
        status="Failed", creation_time="2026-11-26T06:00:00.000+00:00", end_time="2026-11-26T06:04:00.000+00:00",
        failure_reason=f"Step '{failed.name}' failed: {failed.failure_reason}", steps=steps)


def done(name: str, kind: str, **fields) -> StepRecord:
    return StepRecord(name=name, type=kind, status="Succeeded", start_time="2026-11-26T06:01:00.000+00:00",
                      end_time="2026-11-26T06:02:00.000+00:00", **fields)


def put_report(session, uri: str, body: bytes) -> None:
    bucket, key = s3_uri.split(uri)
    session.client("s3").put_object(Bucket=bucket, Key=key, Body=body)


def send(settings, session, execution: ExecutionRecord) -> dict:
    return pipeline_alert.send_alert(failed_event(execution), settings, RecordedSageMaker(execution),
                                     session.client("s3"), session.client("sns"))


def test_drift_failure_of_the_processing_engine_names_features_figures_and_retraining(
        prod, prod_session, settings, inbox):
    execution = record(prod, "mammo-batch-inference", [
        done("LatestApprovedModel", "Lambda"), done("SeverityModel", "Model"),
        done("DataQualityCheck", "Processing", metadata={"ProcessingJob": {"Arn": "arn:aws:sagemaker:us-east-1:"
                                                                           f"{ACCOUNTS.prod}:processing-job/x"}}),
        done("CheckDataQuality", "Condition", metadata={"Condition": {"Outcome": "False"}}),
        StepRecord(name="DataQualityViolations", type="Fail", status="Failed", failure_reason=DRIFT_SUMMARY,
                   metadata={"Fail": {"ErrorMessage": DRIFT_SUMMARY}}),
    ])
    report = (f"s3://{prod.workload.data_bucket_name}/monitoring/mammo-batch-inference/{execution.execution_id}/"
              "constraint_violations.json")
    put_report(prod_session, report, json.dumps(VIOLATIONS).encode())

    alert = send(settings, prod_session, execution)

    subject = "[prod] mammo-batch-inference failed: data drift in Age (distance 0.30 > 0.10), +2 more"
    assert alert["subject"] == subject
    [(read_subject, message)] = inbox[1]()
    assert (read_subject, message) == (subject, alert["message"])
    assert f"Execution: {execution.execution_arn}" in message
    assert "Failed step: DataQualityViolations" in message
    assert f"Data-quality violations (3, report {report}):" in message
    table = message.split("Data-quality violations")[1]
    assert "Age      baseline_drift_check  Baseline drift distance: 0.301234 exceeds threshold: 0.1" in table
    assert "Shape    completeness_check    " in table
    assert "Only 80.0% of data is present" in table
    assert "Density  completeness_check    " in table
    assert (f"Retraining: the failure rule started pipeline mammo-train on s3://mammo-data-{ACCOUNTS.prod}/data/train/"
            in message)
    assert ("Console: https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/pipelines/"
            f"mammo-batch-inference/executions/{execution.execution_id}") in message
    assert "Could not read" not in message


def test_drift_failure_of_the_model_monitor_engine_reads_the_reported_violation_report(
        prod, prod_session, settings, inbox):
    report = f"s3://mammo-data-{ACCOUNTS.prod}/monitoring/mammo-batch-inference/mm1/constraint_violations.json"
    reason = ("ClientError: Quality check failed: the data-quality check job x ended CompletedWithViolations. "
              f"See the violation report {report}")
    execution = record(prod, "mammo-batch-inference", [
        done("LatestApprovedModel", "Lambda"), done("SeverityModel", "Model"),
        StepRecord(name="BatchInference-monitoring", type="QualityCheck", status="Failed", failure_reason=reason,
                   metadata={"QualityCheck": {"CheckType": "DATA_QUALITY", "ViolationReport": report}}),
    ], execution_id="mm1")
    put_report(prod_session, report, json.dumps({"violations": VIOLATIONS["violations"][:1]}).encode())

    alert = send(settings, prod_session, execution)

    assert alert["subject"] == "[prod] mammo-batch-inference failed: data drift in Age (distance 0.30 > 0.10)"
    assert f"Failed step: BatchInference-monitoring (BatchInference-monitoring): {reason}" in alert["message"]
    assert [subject for subject, _ in inbox[1]()] == [alert["subject"]]


def test_step_failure_without_a_report_names_the_step_and_starts_no_retraining(prod, prod_session, settings, inbox):
    execution = record(prod, "mammo-train", [
        done("PreprocessData", "Processing"),
        StepRecord(name="TrainModel", type="Training", status="Failed",
                   failure_reason="AlgorithmError: the train channel holds no data"),
    ])

    alert = send(settings, prod_session, execution)

    assert alert["subject"] == "[prod] mammo-train failed: step TrainModel failed"
    assert "Failed step: TrainModel (TrainModel): AlgorithmError: the train channel holds no data" in alert["message"]
    assert "Failure reason: Step 'TrainModel' failed: AlgorithmError" in alert["message"]
    assert "Retraining: none started by this failure" in alert["message"]
    assert "Data-quality violations" not in alert["message"]
    assert "Could not read" not in alert["message"]
    assert inbox[1]()[0][0] == alert["subject"]


def test_no_approved_model_is_named_as_the_cause(prod, prod_session, settings, inbox):
    reason = (f"NoApprovedModelError: no Approved model package in model package group "
              f"{load_config('registry').model_package_group_arn}: approve a version (approve-model --latest) "
              "before running batch inference")
    execution = record(prod, "mammo-batch-inference", [
        StepRecord(name="LatestApprovedModel", type="Lambda", status="Failed", failure_reason=reason)])

    alert = send(settings, prod_session, execution)

    assert alert["subject"] == "[prod] mammo-batch-inference failed: no approved model version"
    assert "approve-model --latest" in alert["message"]
    # The check never ran: no report is not an error.
    assert "Could not read" not in alert["message"]
    assert inbox[1]()[0][0] == alert["subject"]


def test_an_unreadable_report_still_alerts_naming_the_failure(prod, prod_session, settings, inbox):
    execution = record(prod, "mammo-batch-inference", [
        done("LatestApprovedModel", "Lambda"),
        StepRecord(name="DataQualityViolations", type="Fail", status="Failed", failure_reason=DRIFT_SUMMARY)])
    report = (f"s3://{prod.workload.data_bucket_name}/monitoring/mammo-batch-inference/{execution.execution_id}/"
              "constraint_violations.json")
    put_report(prod_session, report, b"{not json")

    alert = send(settings, prod_session, execution)

    assert alert["subject"] == "[prod] mammo-batch-inference failed: step DataQualityViolations failed"
    assert f"- the violations report {report}: " in alert["message"]
    assert "Age baseline_drift_check: Baseline drift distance: 0.301234" in alert["message"]  # the FailStep's text
    assert inbox[1]()[0][0] == alert["subject"]


def test_the_handler_alerts_even_when_sagemaker_and_the_report_cannot_be_read(
        prod, prod_session, inbox, monkeypatch):
    # The real entry point, configured by its environment, against the local stack's SageMaker, which does
    # not know this execution: the alert still names the pipeline and the failure.
    credentials = prod_session.get_credentials().get_frozen_credentials()
    for name, value in {"AWS_ACCESS_KEY_ID": credentials.access_key, "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
                        "AWS_SESSION_TOKEN": credentials.token, "AWS_DEFAULT_REGION": REGION,
                        "ALERT_TOPIC_ARN": inbox[0], "ENVIRONMENT": "prod",
                        "MONITORING_BUCKET": "mammo-missing-bucket", "MONITORING_PREFIX": "monitoring",
                        "FEATURE_NAMES": "Age,Shape,Margin,Density"}.items():
        monkeypatch.setenv(name, value)
    execution = record(prod, "mammo-batch-inference", [
        StepRecord(name="LatestApprovedModel", type="Lambda", status="Failed", failure_reason="boom")])

    alert = pipeline_alert.handler(failed_event(execution))

    assert alert["subject"] == "[prod] mammo-batch-inference failed: execution failed"
    assert "- the execution (DescribePipelineExecution): " in alert["message"]
    assert "- the violations report s3://mammo-missing-bucket/monitoring/" in alert["message"]
    assert inbox[1]()[0][0] == alert["subject"]


def test_subjects_fit_sns_limits():
    settings = pipeline_alert.Settings("arn", "prod", "", "monitoring", [f"feature-{i}" for i in range(30)],
                                       "", "", "")
    violations = [{"feature_name": f"_c{i}", "constraint_check_type": "baseline_drift_check",
                   "description": f"Baseline drift distance: 0.{i + 10} exceeds threshold: 0.1"} for i in range(30)]
    cause = pipeline_alert._cause(violations, None, "", settings)
    subject = pipeline_alert._subject(f"[prod] a-pipeline failed: {cause}\nsecond line é")
    assert len(subject) == 100
    assert subject.endswith("...")
    assert subject.isascii()
    assert "\n" not in subject
