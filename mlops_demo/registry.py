"""Reading the central model package group back: a registered version with its evaluation metrics.

The demo shows what the registry account really holds, so every field comes from DescribeModelPackage and the
evaluation.json its ModelMetrics point at (in the central artifacts bucket), read by pipelines.model_registry.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from mlops_demo.facts import ModelVersion
from pipelines import s3_uri
from pipelines.model_registry import described_package_metrics


def read_s3_json(session: boto3.Session, uri: str) -> Any:
    bucket, key = s3_uri.split(uri)
    return json.loads(session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def model_version(session: boto3.Session, package_arn: str, trained_in: str, execution_arn: str,
                  input_data_uri: str) -> ModelVersion:
    """Describe a package (by ARN, from any account the group's policy admits) and read its evaluation."""
    package = session.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
    evaluation = described_package_metrics(session.client("s3"), package)
    return ModelVersion(
        version=int(package["ModelPackageVersion"]), arn=package_arn,
        approval_status=package["ModelApprovalStatus"], trained_in=trained_in, execution_arn=execution_arn,
        input_data_uri=input_data_uri, metrics=evaluation.metrics, confusion_matrix=evaluation.confusion_matrix,
    )
