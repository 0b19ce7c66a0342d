"""Reading a model package group: its versions, the latest Approved one, a version's data-quality baseline and
its evaluation metrics.

Every reader of the registry (approve-model, the demo, the inference Lambda, the local executor's quality
check) goes through these functions, so a version means the same thing everywhere. Imports only boto3's
clients (passed in) and pipelines.s3_uri: the Lambda deployment package carries this file
(see pipelines.lambdas.package).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from pipelines import s3_uri

# The approver's summary shows these, in this order, when evaluation.json has them.
HEADLINE_METRICS = ("auc", "accuracy", "precision", "recall")
# How many summaries one ListModelPackages page asks for while looking for the newest Approved version.
APPROVED_PAGE_SIZE = 10
# How the error of a group with no Approved version begins; the failure alert recognises it by these words.
NO_APPROVED_MODEL = "no Approved model package"


class NoApprovedModelError(Exception):
    """The group holds no usable Approved model package: none is Approved, or it has no data-quality baseline."""


class MetricsUnavailableError(Exception):
    """A version's evaluation metrics cannot be read; the message says why."""


@dataclass(frozen=True)
class DataQualityBaseline:
    statistics_uri: str
    constraints_uri: str


@dataclass(frozen=True)
class PackageMetrics:
    """A version's evaluation: scalar metrics by name and the confusion matrix as rows of actual by predicted
    (labels in sorted order), or None when evaluation.json has none."""

    metrics: dict[str, float]
    confusion_matrix: list[list[int]] | None


def list_versions(sagemaker, group: str, status: str | None = None) -> list[dict[str, Any]]:
    """Every version's summary of the group (name, or ARN for another account's group), oldest first; only those
    with ModelApprovalStatus `status` when given."""
    summaries: list[dict[str, Any]] = []
    filters = {"ModelApprovalStatus": status} if status else {}
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Ascending", **filters)
    for page in pages:
        summaries.extend(page.get("ModelPackageSummaryList", []))
    return sorted(summaries, key=lambda summary: summary.get("ModelPackageVersion", 0))


def package_version(package_arn: str) -> int | None:
    """3 from arn:aws:sagemaker:...:model-package/<group>/3 (None for an unversioned package)."""
    tail = package_arn.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def latest_approved_package_arn(sagemaker, group: str) -> str:
    """The newest Approved version's ARN: listed by CreationTime descending, paging until one is found
    (SageMaker may hand out empty pages with a NextToken before the first match)."""
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group, ModelApprovalStatus="Approved", SortBy="CreationTime",
        SortOrder="Descending", PaginationConfig={"PageSize": APPROVED_PAGE_SIZE})
    for page in pages:
        summaries = page.get("ModelPackageSummaryList", [])
        if summaries:
            return summaries[0]["ModelPackageArn"]
    raise NoApprovedModelError(
        f"{NO_APPROVED_MODEL} in model package group {group}: "
        "approve a version (approve-model --latest) before running batch inference")


def data_quality_baseline(package: dict[str, Any]) -> DataQualityBaseline:
    """The statistics and constraints a version's data is checked against (DescribeModelPackage's answer):
    DriftCheckBaselines.ModelDataQuality, else ModelMetrics.ModelDataQuality."""
    quality = (package.get("DriftCheckBaselines") or {}).get("ModelDataQuality") or \
        (package.get("ModelMetrics") or {}).get("ModelDataQuality")
    if not quality or "Statistics" not in quality or "Constraints" not in quality:
        raise NoApprovedModelError(
            f"model package {package.get('ModelPackageArn')} has no data-quality baseline "
            "(DriftCheckBaselines.ModelDataQuality): register it with the train pipeline, which records one")
    return DataQualityBaseline(quality["Statistics"]["S3Uri"], quality["Constraints"]["S3Uri"])


def describe_for_inference(sagemaker, package_arn: str) -> dict[str, str]:
    """The artifact, image and data-quality baseline URIs the inference pipeline needs from one version."""
    package = sagemaker.describe_model_package(ModelPackageName=package_arn)
    container = package["InferenceSpecification"]["Containers"][0]
    baseline = data_quality_baseline({**package, "ModelPackageArn": package_arn})
    return {
        "ModelPackageArn": package_arn,
        "ModelDataUrl": container["ModelDataUrl"],
        "ImageUri": container["Image"],
        "BaselineStatisticsUri": baseline.statistics_uri,
        "BaselineConstraintsUri": baseline.constraints_uri,
    }


def package_metrics(sagemaker, s3, package_arn: str) -> PackageMetrics:
    """A version's evaluation metrics, from the evaluation.json its ModelMetrics.ModelQuality.Statistics names.

    MetricsUnavailableError says why they cannot be shown (no report registered, unreadable, not an evaluation).
    """
    return described_package_metrics(s3, sagemaker.describe_model_package(ModelPackageName=package_arn))


def described_package_metrics(s3, package: dict[str, Any]) -> PackageMetrics:
    """`package_metrics` of a DescribeModelPackage answer already at hand."""
    uri = (((package.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}).get("S3Uri")
    if not uri:
        raise MetricsUnavailableError("no model-quality report registered")
    try:
        bucket, key = s3_uri.split(uri)
        return evaluation_metrics(json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    except ClientError as error:
        raise MetricsUnavailableError(f"report {uri} unreadable: {error.response['Error'].get('Code')}") from None
    except (ValueError, TypeError):
        raise MetricsUnavailableError(
            f"report {uri} is not an evaluation.json with classification_metrics") from None


def evaluation_metrics(evaluation: Any) -> PackageMetrics:
    """The scalar metrics (`classification_metrics.<name>.value`) and the confusion matrix of evaluation.json.

    The matrix is read as a list of rows or in the model-quality form {"actual": {"predicted": n}} (optionally
    under "value"); ValueError when the document has no classification_metrics object.
    """
    classification = evaluation.get("classification_metrics") if isinstance(evaluation, dict) else None
    if not isinstance(classification, dict):
        raise ValueError("no classification_metrics object")
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
    return PackageMetrics(metrics, matrix)
