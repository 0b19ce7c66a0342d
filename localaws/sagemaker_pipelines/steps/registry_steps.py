"""Steps that create SageMaker resources through the local stack's API: Model and RegisterModel.

They call the real SageMaker API of the account (moto), so the model and the registered versions exist
afterwards for anyone to list - the central group is named by ARN and the local stack routes the call to
the registry account, as AWS does for a group shared with a resource policy.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from localaws.sagemaker_pipelines.errors import StepFailed
from localaws.sagemaker_pipelines.steps.base import StepContext, StepHandler, StepResult


class ModelHandler(StepHandler):
    """CreateModel with a generated name; properties are the DescribeModel response (ModelName, ModelArn ...)."""

    step_type = "Model"

    def run(self, context: StepContext) -> StepResult:
        sagemaker = context.client("sagemaker")
        request = {"ModelName": context.job_name, **context.arguments}
        try:
            sagemaker.create_model(**request)
            description = _without_metadata(sagemaker.describe_model(ModelName=request["ModelName"]))
        except ClientError as error:
            raise StepFailed(f"ClientError: CreateModel failed: {error}") from None
        return StepResult(description, {"Model": {"Arn": description["ModelArn"]}})


class RegisterModelHandler(StepHandler):
    """CreateModelPackage in the group (name or ARN); properties are the DescribeModelPackage response.

    As SageMaker Pipelines does, the version records the execution that registered it in
    MetadataProperties.GeneratedBy (the definition does not carry it; lineage tools and the console follow it).
    """

    step_type = "RegisterModel"

    def run(self, context: StepContext) -> StepResult:
        sagemaker = context.client("sagemaker")
        arguments = context.arguments
        metadata = dict(arguments.get("MetadataProperties") or {})
        metadata.setdefault("GeneratedBy", context.execution_arn)
        try:
            arn = sagemaker.create_model_package(**{**arguments, "MetadataProperties": metadata})["ModelPackageArn"]
            description = _without_metadata(sagemaker.describe_model_package(ModelPackageName=arn))
        except ClientError as error:
            raise StepFailed(f"ClientError: CreateModelPackage failed: {error}") from None
        return StepResult(description, {"RegisterModel": {"Arn": arn}})


def _without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}
