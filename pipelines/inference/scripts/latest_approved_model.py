"""Lambda handler: the latest Approved model package of a (possibly cross-account) model package group.

The inference pipeline's LambdaStep calls this function; its outputs feed the create-model step and the
batch data-quality check. Deployed by Terraform (handler `latest_approved_model.handler`) from the zip that
`pipelines.inference.lambda_package.build_lambda_zip` builds. It needs only boto3 (in the Lambda runtime).

The group is named by ARN so that a workload account reads the central registry account's group.
"""

from __future__ import annotations

import logging
import os

import boto3

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

GROUP_ARN_VARIABLE = "MODEL_PACKAGE_GROUP_ARN"


class NoApprovedModelError(Exception):
    """The group holds no Approved model package (or the group cannot be read)."""


def latest_approved_package_arn(sagemaker, group_arn: str) -> str:
    """The newest Approved package's ARN: list by CreationTime descending, paging until one is found."""
    kwargs = {
        "ModelPackageGroupName": group_arn,
        "ModelApprovalStatus": "Approved",
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
        "MaxResults": 10,
    }
    while True:
        page = sagemaker.list_model_packages(**kwargs)
        summaries = page.get("ModelPackageSummaryList", [])
        if summaries:
            return summaries[0]["ModelPackageArn"]
        if not page.get("NextToken"):
            raise NoApprovedModelError(
                f"no Approved model package in model package group {group_arn}: "
                "approve a version (approve-model --latest) before running batch inference"
            )
        kwargs["NextToken"] = page["NextToken"]


def describe_for_inference(sagemaker, package_arn: str) -> dict[str, str]:
    """The artifact, image and data-quality baseline URIs the inference pipeline needs from one package."""
    package = sagemaker.describe_model_package(ModelPackageName=package_arn)
    container = package["InferenceSpecification"]["Containers"][0]
    quality = package.get("DriftCheckBaselines", {}).get("ModelDataQuality") or \
        package.get("ModelMetrics", {}).get("ModelDataQuality")
    if not quality or "Statistics" not in quality or "Constraints" not in quality:
        raise NoApprovedModelError(
            f"model package {package_arn} has no data-quality baseline (DriftCheckBaselines.ModelDataQuality): "
            "register it with the train pipeline, which records one"
        )
    return {
        "ModelPackageArn": package_arn,
        "ModelDataUrl": container["ModelDataUrl"],
        "ImageUri": container["Image"],
        "BaselineStatisticsUri": quality["Statistics"]["S3Uri"],
        "BaselineConstraintsUri": quality["Constraints"]["S3Uri"],
    }


def handler(event, context):
    """Entry point. The group ARN comes from the event (`ModelPackageGroupArn`) or the environment."""
    group_arn = (event or {}).get("ModelPackageGroupArn") or os.environ.get(GROUP_ARN_VARIABLE)
    if not group_arn:
        raise NoApprovedModelError(
            f"no model package group given: pass ModelPackageGroupArn in the event or set {GROUP_ARN_VARIABLE}"
        )
    sagemaker = boto3.client("sagemaker")
    result = describe_for_inference(sagemaker, latest_approved_package_arn(sagemaker, group_arn))
    logger.info("latest approved model package of %s: %s", group_arn, result["ModelPackageArn"])
    return result
