"""Builders for hand-written pipeline definitions, shaped as the SageMaker SDK writes them."""

from __future__ import annotations

import json

import boto3
import numpy as np

from pipelines.config import load_config

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
MONITOR_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
ROLE = f"arn:aws:iam::{ACCOUNTS.dev}:role/mammo-sagemaker-execution"
DATASET_FORMAT = json.dumps({"csv": {"header": False}})


def processing_step(name: str, script_uri: str, output_uri, arguments: list | None = None,
                    inputs: dict | None = None, **extra) -> dict:
    """A Processing step as the SageMaker SDK writes it for an SKLearnProcessor."""
    processing_inputs = [
        {"InputName": input_name, "S3Input": {"S3Uri": uri, "LocalPath": f"/opt/ml/processing/{input_name}",
                                              "S3DataType": "S3Prefix", "S3InputMode": "File"}}
        for input_name, uri in (inputs or {}).items()
    ]
    processing_inputs.append({"InputName": "code", "S3Input": {
        "S3Uri": script_uri, "LocalPath": "/opt/ml/processing/input/code", "S3DataType": "S3Prefix",
        "S3InputMode": "File"}})
    return {"Name": name, "Type": "Processing", "Arguments": {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": SKLEARN_IMAGE,
                             "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/step.py"],
                             "ContainerArguments": ["--output-dir", "/opt/ml/processing/output", *(arguments or [])]},
        "RoleArn": ROLE,
        "ProcessingInputs": processing_inputs,
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "output", "S3Output": {
            "S3Uri": output_uri, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
    }, **extra}


def definition(*steps: dict, parameters: list | None = None) -> str:
    return json.dumps({"Version": "2020-12-01", "Parameters": parameters or [], "Steps": list(steps)})


def listing(session: boto3.Session, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in session.client("s3").list_objects_v2(Bucket=bucket).get("Contents", []))


def statuses(record) -> dict[str, str]:
    return {step.name: step.status for step in record.steps}


def csv(rows: np.ndarray) -> str:
    return "\n".join(",".join(f"{value:.4f}" for value in row) for row in rows) + "\n"


def quality_check(name: str, dataset, output_uri: str, skip_check: bool = False, register_new: bool = False,
                  statistics=None, constraints=None, group: str | None = None, fail_on_violation: bool = True) -> dict:
    """A QualityCheck step as the SDK writes a QualityCheckStep with a DataQualityCheckConfig."""
    return {"Name": name, "Type": "QualityCheck", "Arguments": {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": MONITOR_IMAGE},
        "RoleArn": ROLE,
        "ProcessingInputs": [{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": dataset, "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "quality_check_output", "S3Output": {
            "S3Uri": output_uri, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        "Environment": {"output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled",
                        "dataset_format": DATASET_FORMAT,
                        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input"}},
        "CheckType": "DATA_QUALITY", "ModelPackageGroupName": group, "SkipCheck": skip_check,
        "FailOnViolation": fail_on_violation, "RegisterNewBaseline": register_new,
        "SuppliedBaselineStatistics": statistics, "SuppliedBaselineConstraints": constraints}
