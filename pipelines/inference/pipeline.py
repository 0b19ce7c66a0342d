"""The batch inference pipeline: latest approved model -> create model -> data-quality check + batch transform.

The Lambda step calls the Terraform-managed function by ARN (building a LambdaStep from a local script
would create or update the function on every `definition()` call). Its outputs name the model artifact,
the image and the data-quality baseline registered with the approved package; the monitor runs before the
transform and fails the execution on a violation, so drifted input never gets predictions.

Parameters (names are an interface other components rely on): BatchDataUri, TransformInstanceType,
TransformInstanceCount, MonitorInstanceType.
"""

from __future__ import annotations

from sagemaker.lambda_helper import Lambda
from sagemaker.model import Model
from sagemaker.model_monitor.dataset_format import DatasetFormat
from sagemaker.transformer import Transformer
from sagemaker.workflow.check_job_config import CheckJobConfig
from sagemaker.workflow.lambda_step import LambdaOutput, LambdaOutputTypeEnum, LambdaStep
from sagemaker.workflow.model_step import ModelStep
from sagemaker.workflow.monitor_batch_transform_step import MonitorBatchTransformStep
from sagemaker.workflow.parameters import ParameterInteger, ParameterString
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.quality_check_step import DataQualityCheckConfig

from pipelines.config import EnvConfig
from pipelines.definitions import CodeAsset, data_uri, definition_session, execution_prefix, offline_boto3

STEP_LATEST_MODEL = "LatestApprovedModel"
STEP_CREATE_MODEL = "SeverityModel"  # ModelStep names the step "SeverityModel-CreateModel" in the definition
STEP_MONITOR_TRANSFORM = "BatchInference"  # becomes "BatchInference-monitoring" and "BatchInference-transform"
# The Lambda handler's result keys (pipelines/inference/scripts/latest_approved_model.py).
LAMBDA_OUTPUTS = ("ModelPackageArn", "ModelDataUrl", "ImageUri", "BaselineStatisticsUri", "BaselineConstraintsUri")


def code_assets(config: EnvConfig) -> list[CodeAsset]:
    """No script to upload: the Lambda function's code is deployed by Terraform."""
    return []


def build(config: EnvConfig, role: str | None = None, pipeline_name: str | None = None) -> Pipeline:
    """The batch inference pipeline of one workload environment. Pure: no AWS call."""
    with offline_boto3(config.aws_region):
        return _build(config, role, pipeline_name)


def _build(config: EnvConfig, role: str | None, pipeline_name: str | None) -> Pipeline:
    workload = config.require_workload()
    settings = workload.pipeline
    session = definition_session(config)
    role = role or config.sagemaker_execution_role_arn
    workload_key = config.workload_kms_alias_arn

    batch_data = ParameterString("BatchDataUri", default_value=data_uri(config, "data", "batch", "clean/"))
    transform_type = ParameterString("TransformInstanceType", default_value=settings.transform_instance_type)
    transform_count = ParameterInteger("TransformInstanceCount", default_value=settings.transform_instance_count)
    monitor_type = ParameterString("MonitorInstanceType", default_value=settings.processing_instance_type)

    latest = LambdaStep(
        name=STEP_LATEST_MODEL,
        lambda_func=Lambda(function_arn=config.latest_model_function_arn, session=session),
        inputs={"ModelPackageGroupArn": config.model_package_group_arn},
        outputs=[LambdaOutput(output_name=name, output_type=LambdaOutputTypeEnum.String) for name in LAMBDA_OUTPUTS],
    )
    model_output = {name: latest.properties.Outputs[name] for name in LAMBDA_OUTPUTS}

    model = Model(image_uri=model_output["ImageUri"], model_data=model_output["ModelDataUrl"], role=role,
                  sagemaker_session=session)
    create_model = ModelStep(name=STEP_CREATE_MODEL, step_args=model.create(instance_type=transform_type))

    work = data_uri(config, "inference", workload.inference_pipeline_name)
    transformer = Transformer(
        model_name=create_model.properties.ModelName,
        instance_type=transform_type, instance_count=transform_count,
        output_path=execution_prefix(work, "predictions"),
        accept="text/csv", assemble_with="Line", strategy="MultiRecord",
        output_kms_key=workload_key, volume_kms_key=workload_key, sagemaker_session=session,
    )
    monitor_transform = MonitorBatchTransformStep(
        name=STEP_MONITOR_TRANSFORM,
        transform_step_args=transformer.transform(data=batch_data, content_type="text/csv", split_type="Line"),
        monitor_configuration=DataQualityCheckConfig(
            baseline_dataset=batch_data,
            # Same header-less CSV as the baseline the train pipeline registered.
            dataset_format=DatasetFormat.csv(header=False),
            output_s3_uri=execution_prefix(work, "data-quality"),
        ),
        check_job_configuration=CheckJobConfig(
            role=role, instance_count=1, instance_type=monitor_type,
            volume_kms_key=workload_key, output_kms_key=workload_key, sagemaker_session=session,
        ),
        monitor_before_transform=True,
        fail_on_violation=True,
        supplied_baseline_statistics=model_output["BaselineStatisticsUri"],
        supplied_baseline_constraints=model_output["BaselineConstraintsUri"],
    )
    return Pipeline(
        name=pipeline_name or workload.inference_pipeline_name,
        parameters=[batch_data, transform_type, transform_count, monitor_type],
        steps=[latest, create_model, monitor_transform],
        pipeline_experiment_config=None,
        sagemaker_session=session,
    )


def get_pipeline(env: str = "dev", role: str | None = None, pipeline_name: str | None = None) -> Pipeline:
    """Sample-compatible entry point (`--module-name pipelines.inference.pipeline --kwargs '{...}'`)."""
    from pipelines.config import load_config

    return build(load_config(env), role=role, pipeline_name=pipeline_name)
