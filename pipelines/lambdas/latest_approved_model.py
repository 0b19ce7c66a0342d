"""Lambda handler: the latest Approved model package of a (possibly cross-account) model package group.

The inference pipeline's LambdaStep calls this function; its outputs feed the create-model step and the
batch data-quality check. Deployed by Terraform (handler `latest_approved_model.handler`) from
latest_approved_model.zip (`pipelines.lambdas.package`), which carries the registry reader
(pipelines/model_registry.py) beside it. It needs only boto3 (in the Lambda runtime).

The group is named by ARN so that a workload account reads the central registry account's group.
"""

from __future__ import annotations

import logging
import os

import boto3

from pipelines.model_registry import NoApprovedModelError, describe_for_inference, latest_approved_package_arn

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

GROUP_ARN_VARIABLE = "MODEL_PACKAGE_GROUP_ARN"


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
