"""A pipeline written with SageMaker Python SDK v3; prints its definition JSON (`pipeline.definition()`).

Written as AWS's own v3 examples write it, independent of the platform's code (pipelines/), with the SDK v3 the
project installs (docs/sdk-v3-upgrade.md). Regenerate the fixture the local stack's tests run:

    .venv/bin/python scripts/v3_example_pipeline.py > tests/fidelity/fixtures/v3_pipeline.json

The pipeline: Preprocess (a script processor running scripts/v3_example/preprocess.py) -> Train (`ModelTrainer`,
the built-in XGBoost algorithm) -> Evaluate (scripts/v3_example/evaluate.py, the AUC in a `PropertyFile`) ->
CheckAuc (`JsonGet` of the AUC >= the AucThreshold parameter): RegisterModel (`ModelBuilder.register` in a
`ModelStep`, to the model package group) if it is, else AucTooLow (a `FailStep`). The scripts are read from
s3://v3-example/code/, the data from the InputData parameter.

Built offline: no AWS call is made. The SDK creates boto3 clients when it is imported (dummy credentials and a
region are set first), `ModelTrainer` would check the role against IAM (SAGEMAKER_VALIDATE_ROLE=false) and
telemetry is turned off. The model has no entry point: with one, ModelStep adds a repack step whose name is
random, and the definition would differ at every run.
"""

from __future__ import annotations

import json
import logging
import os
import sys

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/v3-example-pipeline"
BUCKET = "v3-example"
GROUP = "V3ExampleModelPackageGroup"
PIPELINE = "V3ExamplePipeline"
XGBOOST_VERSION = "1.7-1"
SKLEARN_VERSION = "1.2-1"


def offline_environment() -> None:
    """What the SDK needs to build a definition without AWS; set before it is imported."""
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "offline")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "offline")
    os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
    os.environ["SAGEMAKER_TELEMETRY_OPT_OUT"] = "true"


def build_definition() -> str:
    offline_environment()
    import boto3
    from sagemaker.core import image_uris
    from sagemaker.core.processing import ScriptProcessor
    from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
    from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.core.workflow.functions import JsonGet
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.model_step import ModelStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep
    from sagemaker.serve.model_builder import ModelBuilder
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData, OutputDataConfig

    session = PipelineSession(boto_session=boto3.Session(region_name=REGION), default_bucket=BUCKET)
    session._default_bucket = BUCKET  # known to exist: the SDK would otherwise create it (an S3 call)
    input_data = ParameterString(name="InputData", default_value=f"s3://{BUCKET}/data/")
    processing_instance_type = ParameterString(name="ProcessingInstanceType", default_value="ml.m5.xlarge")
    training_instance_type = ParameterString(name="TrainingInstanceType", default_value="ml.m5.xlarge")
    auc_threshold = ParameterFloat(name="AucThreshold", default_value=0.7)
    approval_status = ParameterString(name="ModelApprovalStatus", default_value="PendingManualApproval")

    def s3_input(name: str, uri, local_path: str) -> ProcessingInput:
        return ProcessingInput(input_name=name, s3_input=ProcessingS3Input(
            s3_uri=uri, local_path=local_path, s3_data_type="S3Prefix", s3_input_mode="File"))

    def s3_output(name: str) -> ProcessingOutput:
        return ProcessingOutput(output_name=name, s3_output=ProcessingS3Output(
            s3_uri=f"s3://{BUCKET}/{PIPELINE}/{name}", local_path=f"/opt/ml/processing/{name}",
            s3_upload_mode="EndOfJob"))

    sklearn_image = image_uris.retrieve(framework="sklearn", region=REGION, version=SKLEARN_VERSION,
                                        py_version="py3", instance_type="ml.m5.xlarge")
    preprocessor = ScriptProcessor(image_uri=sklearn_image, command=["python3"], role=ROLE,
                                   instance_type=processing_instance_type, instance_count=1,
                                   base_job_name="v3-example-preprocess", sagemaker_session=session)
    preprocess = ProcessingStep(name="Preprocess", step_args=preprocessor.run(
        inputs=[s3_input("input", input_data, "/opt/ml/processing/input")],
        outputs=[s3_output("train"), s3_output("validation"), s3_output("test")],
        code=f"s3://{BUCKET}/code/preprocess.py"))
    splits = preprocess.properties.ProcessingOutputConfig.Outputs

    xgboost_image = image_uris.retrieve(framework="xgboost", region=REGION, version=XGBOOST_VERSION,
                                        py_version="py3", instance_type="ml.m5.xlarge")
    trainer = ModelTrainer(
        training_image=xgboost_image, role=ROLE, base_job_name="v3-example-train", sagemaker_session=session,
        compute=Compute(instance_type=training_instance_type, instance_count=1),
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{BUCKET}/{PIPELINE}/model"),
        hyperparameters={"objective": "binary:logistic", "eval_metric": "auc", "num_round": 30, "max_depth": 3,
                         "eta": 0.3},
        input_data_config=[
            InputData(channel_name="train", data_source=splits["train"].S3Output.S3Uri, content_type="text/csv"),
            InputData(channel_name="validation", data_source=splits["validation"].S3Output.S3Uri,
                      content_type="text/csv")])
    train = TrainingStep(name="Train", step_args=trainer.train())
    model_data = train.properties.ModelArtifacts.S3ModelArtifacts

    evaluator = ScriptProcessor(image_uri=xgboost_image, command=["python3"], role=ROLE,
                                instance_type=processing_instance_type, instance_count=1,
                                base_job_name="v3-example-evaluate", sagemaker_session=session)
    report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    evaluate = ProcessingStep(name="Evaluate", property_files=[report], step_args=evaluator.run(
        inputs=[s3_input("model", model_data, "/opt/ml/processing/model"),
                s3_input("test", splits["test"].S3Output.S3Uri, "/opt/ml/processing/test")],
        outputs=[s3_output("evaluation")],
        code=f"s3://{BUCKET}/code/evaluate.py"))

    builder = ModelBuilder(s3_model_data_url=model_data, image_uri=xgboost_image, role_arn=ROLE,
                           sagemaker_session=session)
    register = ModelStep(name="RegisterModel", step_args=builder.register(
        model_package_group_name=GROUP, content_types=["text/csv"], response_types=["text/csv"],
        inference_instances=["ml.m5.large"], transform_instances=["ml.m5.large"],
        approval_status=approval_status))
    auc = JsonGet(step_name=evaluate.name, property_file=report, json_path="binary_classification_metrics.auc.value")
    check = ConditionStep(name="CheckAuc", conditions=[ConditionGreaterThanOrEqualTo(left=auc, right=auc_threshold)],
                          if_steps=[register],
                          else_steps=[FailStep(name="AucTooLow", error_message="the AUC is below AucThreshold")])
    pipeline = Pipeline(name=PIPELINE, sagemaker_session=session, steps=[preprocess, train, evaluate, check],
                        parameters=[input_data, processing_instance_type, training_instance_type, auc_threshold,
                                    approval_status])
    return pipeline.definition()


def main() -> int:
    logging.disable(logging.WARNING)  # the SDK logs its defaults at import and while building
    definition = json.loads(build_definition())
    sys.stdout.write(json.dumps(definition, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
