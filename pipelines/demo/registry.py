"""Reading the central model package group back: a registered version with its evaluation metrics.

The demo shows what the registry account really holds, so every field comes from DescribeModelPackage and the
evaluation.json its ModelMetrics point at (in the central artifacts bucket).
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from pipelines.demo.facts import ModelVersion


def read_s3_json(session: boto3.Session, uri: str) -> Any:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def evaluation_metrics(evaluation: dict[str, Any]) -> tuple[dict[str, float], list[list[int]] | None]:
    """The scalar metrics (`classification_metrics.<name>.value`) and the confusion matrix of evaluation.json.

    The matrix is accepted as a list of rows or in the SageMaker model-quality form {"actual": {"predicted": n}}.
    """
    classification = evaluation.get("classification_metrics", {})
    metrics = {name: float(entry["value"]) for name, entry in classification.items()
               if isinstance(entry, dict) and isinstance(entry.get("value"), int | float)}
    matrix = classification.get("confusion_matrix")
    if isinstance(matrix, dict) and "value" in matrix:
        matrix = matrix["value"]
    if isinstance(matrix, dict):
        labels = sorted(matrix)
        matrix = [[int(matrix[actual].get(predicted, 0)) for predicted in labels] for actual in labels]
    elif isinstance(matrix, list):
        matrix = [[int(value) for value in row] for row in matrix]
    else:
        matrix = None
    return metrics, matrix


def model_version(session: boto3.Session, package_arn: str, trained_in: str, execution_arn: str,
                  input_data_uri: str) -> ModelVersion:
    """Describe a package (by ARN, from any account the group's policy admits) and read its evaluation."""
    package = session.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
    quality = package.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {})
    if "S3Uri" not in quality:
        raise ValueError(f"model package {package_arn} has no ModelMetrics.ModelQuality.Statistics (evaluation.json)")
    metrics, matrix = evaluation_metrics(read_s3_json(session, quality["S3Uri"]))
    return ModelVersion(
        version=int(package["ModelPackageVersion"]), arn=package_arn,
        approval_status=package["ModelApprovalStatus"], trained_in=trained_in, execution_arn=execution_arn,
        input_data_uri=input_data_uri, metrics=metrics, confusion_matrix=matrix,
    )
