"""The batch inference pipeline: latest approved model -> create model -> data-quality check + batch transform.

The Lambda step calls the Terraform-managed function by ARN (building a LambdaStep from a local script
would create or update the function on every `definition()` call). Its outputs name the model artifact,
the image and the data-quality baseline registered with the approved package; the check runs before the
transform and fails the execution on a violation, so drifted input never gets predictions.

The check runs on the environment's drift-check engine (`workload.pipeline.drift_check_engine`):
- `model-monitor`: a MonitorBatchTransformStep (the Model Monitor analyzer image, then the transform);
- `processing`: no Model Monitor container. A ProcessingStep on the scikit-learn image runs the project's
  analyzer script (pipelines/monitoring/data_quality.py) against the baseline; a ConditionStep reads its
  drift_check.json (PropertyFile) and either runs the transform or a FailStep whose message names each
  violated feature, check and figures.
Both write statistics.json and constraint_violations.json under
`s3://<data bucket>/monitoring/<lowercase pipeline name>/<execution id>/`, where the alert function reads the
report.

Parameters (names are an interface other components rely on): BatchDataUri, TransformInstanceType,
TransformInstanceCount, MonitorInstanceType.
"""

from __future__ import annotations

from pathlib import Path

from sagemaker.core.lambda_helper import Lambda
from sagemaker.core.model_monitor.dataset_format import DatasetFormat
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.transformer import Transformer
from sagemaker.core.workflow.conditions import ConditionEquals
from sagemaker.core.workflow.functions import JsonGet
from sagemaker.core.workflow.parameters import ParameterInteger, ParameterString
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.lambda_step import LambdaOutput, LambdaOutputTypeEnum, LambdaStep
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.mlops.workflow.monitor_batch_transform_step import MonitorBatchTransformStep
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.quality_check_step import DataQualityCheckConfig
from sagemaker.mlops.workflow.steps import ProcessingStep, TransformStep
from sagemaker.serve.model_builder import ModelBuilder

from pipelines.config import FEATURES, MODEL_MONITOR, EnvConfig, load_config, workload_environments
from pipelines.definitions import (
    CodeAsset,
    code_asset,
    data_uri,
    definition_session,
    execution_prefix,
    processing_input,
    processing_output,
    processing_path,
    sklearn_image,
)
from pipelines.sdk_quiet import MODEL_BUILDER_LOG_LEVEL, offline_sdk

STEP_LATEST_MODEL = "LatestApprovedModel"
STEP_CREATE_MODEL = "SeverityModel"  # SDK v2 named the step "SeverityModel-CreateModel" in the definition
STEP_MONITOR_TRANSFORM = "BatchInference"  # becomes "BatchInference-monitoring" and "BatchInference-transform"
# The processing engine's steps (the transform keeps the name "BatchInference-transform").
STEP_DATA_QUALITY = "DataQualityCheck"
STEP_DATA_QUALITY_GATE = "CheckDataQuality"
STEP_DATA_QUALITY_FAIL = "DataQualityViolations"
DATA_QUALITY_SCRIPT = Path(__file__).resolve().parent.parent / "monitoring" / "data_quality.py"
MONITORING_PREFIX = "monitoring"  # s3://<data bucket>/monitoring/<pipeline>/<execution id>/: the check's output
# The Lambda handler's result keys (pipelines.model_registry.describe_for_inference).
LAMBDA_OUTPUTS = ("ModelPackageArn", "ModelDataUrl", "ImageUri", "BaselineStatisticsUri", "BaselineConstraintsUri")


class TransformStepWithCount(TransformStep):
    """A TransformStep whose instance count is a pipeline parameter, as the v2 SDK wrote it: v3's Transformer
    requires a number (its TransformResources shape is validated), so the job is built with 1 and the request
    names the parameter."""

    def __init__(self, name: str, step_args, instance_count, **kwargs):
        super().__init__(name=name, step_args=step_args, **kwargs)
        self.instance_count = instance_count

    @property
    def arguments(self):
        request = super().arguments
        request["TransformResources"]["InstanceCount"] = self.instance_count
        return request


def code_assets(config: EnvConfig) -> list[CodeAsset]:
    """The data-quality analyzer on the processing engine; nothing else (Terraform deploys the Lambda's code)."""
    if config.require_workload().pipeline.drift_check_engine == MODEL_MONITOR:
        return []
    return [code_asset(config, DATA_QUALITY_SCRIPT)]


def build(config: EnvConfig, role: str | None = None, pipeline_name: str | None = None) -> Pipeline:
    """The batch inference pipeline of one workload environment. Pure: no AWS call."""
    with offline_sdk(config.aws_region):
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

    model = ModelBuilder(image_uri=model_output["ImageUri"], s3_model_data_url=model_output["ModelDataUrl"],
                         role_arn=role, sagemaker_session=session, instance_type=transform_type,
                         log_level=MODEL_BUILDER_LOG_LEVEL)
    create_model = ModelStep(name=STEP_CREATE_MODEL, step_args=model.build())

    name = pipeline_name or workload.inference_pipeline_name
    work = data_uri(config, "inference", workload.inference_pipeline_name)
    # Lowercase, as events name the pipeline: the alert function finds the report from the event alone.
    monitoring_output = execution_prefix(data_uri(config, MONITORING_PREFIX, name.lower()))
    transformer = Transformer(
        model_name=create_model.properties.ModelName,
        instance_type=transform_type, instance_count=1,  # the TransformInstanceCount parameter: TransformStepWithCount
        output_path=execution_prefix(work, "predictions"),
        accept="text/csv", assemble_with="Line", strategy="MultiRecord",
        output_kms_key=workload_key, volume_kms_key=workload_key, sagemaker_session=session,
    )
    transform_args = transformer.transform(data=batch_data, content_type="text/csv", split_type="Line")
    if settings.drift_check_engine == MODEL_MONITOR:
        monitor = MonitorBatchTransformStep(
            name=STEP_MONITOR_TRANSFORM,
            transform_step_args=transform_args,
            monitor_configuration=DataQualityCheckConfig(
                baseline_dataset=batch_data,
                # Same header-less CSV as the baseline the train pipeline registered.
                dataset_format=DatasetFormat.csv(header=False),
                output_s3_uri=monitoring_output,
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
        # v3's Pipeline refuses a StepCollection in its steps ("Invalid input step type"); its `.steps`, the transform
        # (depending on the check: monitor_before_transform) and the check, are what v2 expanded it to.
        transform, check = monitor.steps
        check_steps = [TransformStepWithCount(transform.name, transform_args, transform_count, depends_on=[check]),
                       check]
    else:
        check_steps = _processing_check(config, session, role, monitor_type, batch_data, model_output,
                                        monitoring_output, transform_args, transform_count)
    return Pipeline(
        name=name,
        parameters=[batch_data, transform_type, transform_count, monitor_type],
        steps=[latest, create_model, *check_steps],
        pipeline_experiment_config=None,
        sagemaker_session=session,
    )


def _processing_check(config: EnvConfig, session, role: str, instance_type, batch_data, model_output,
                      output, transform_args, transform_count) -> list:
    """Analyzer job -> gate on its violation count -> transform, or fail naming every violation."""
    workload_key = config.workload_kms_alias_arn
    analyzer = ScriptProcessor(
        image_uri=sklearn_image(config), command=["python3"], role=role,
        instance_type=instance_type, instance_count=1,
        volume_kms_key=workload_key, output_kms_key=workload_key, sagemaker_session=session,
    )
    result = PropertyFile(name="DataQualityResult", output_name="data-quality", path="drift_check.json")
    baseline_dir = processing_path("baseline")
    check = ProcessingStep(
        name=STEP_DATA_QUALITY,
        step_args=analyzer.run(
            code=code_asset(config, DATA_QUALITY_SCRIPT).s3_uri,
            inputs=[
                processing_input("dataset", batch_data, processing_path("input", "dataset")),
                processing_input("statistics", model_output["BaselineStatisticsUri"],
                                 processing_path("baseline", "statistics")),
                processing_input("constraints", model_output["BaselineConstraintsUri"],
                                 processing_path("baseline", "constraints")),
            ],
            outputs=[processing_output("data-quality", processing_path("output"), output)],
            arguments=["check", "--dataset", processing_path("input", "dataset"),
                       "--baseline-statistics", f"{baseline_dir}/statistics/statistics.json",
                       "--baseline-constraints", f"{baseline_dir}/constraints/constraints.json",
                       "--output-dir", processing_path("output"),
                       # The batch columns in order, so the failure message says Age rather than _c0.
                       "--feature-names", ",".join(FEATURES)],
        ),
        property_files=[result],
    )
    transform = TransformStepWithCount(f"{STEP_MONITOR_TRANSFORM}-transform", transform_args, transform_count)
    fail = FailStep(name=STEP_DATA_QUALITY_FAIL,
                    error_message=JsonGet(step_name=check.name, property_file=result, json_path="summary"))
    gate = ConditionStep(
        name=STEP_DATA_QUALITY_GATE,
        conditions=[ConditionEquals(
            left=JsonGet(step_name=check.name, property_file=result, json_path="violation_count"), right=0)],
        if_steps=[transform],
        else_steps=[fail],
    )
    return [check, gate]


def get_pipeline(env: str | None = None, role: str | None = None, pipeline_name: str | None = None) -> Pipeline:
    """Sample-compatible entry point (`--module-name pipelines.inference.pipeline --kwargs '{...}'`)."""
    # Default: the first environment of the promotion, where models are trained first.
    return build(load_config(env or workload_environments()[0]), role=role, pipeline_name=pipeline_name)
