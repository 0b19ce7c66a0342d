"""Pipelines written the way the public SageMaker examples write them, built with the installed SDK.

The abalone example's shape: an SKLearnProcessor preprocessing script with every path hard-coded under
/opt/ml/processing, the built-in XGBoost algorithm of an older image (1.0-1), a ScriptProcessor evaluation on
that image loading the model with joblib and a PropertyFile read by a JsonGet condition, then RegisterModel.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import boto3
import numpy as np
from sagemaker import image_uris
from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.model import Model
from sagemaker.model_metrics import MetricsSource, ModelMetrics
from sagemaker.processing import FrameworkProcessor, ProcessingInput, ProcessingOutput, ScriptProcessor
from sagemaker.sklearn.estimator import SKLearn
from sagemaker.sklearn.processing import SKLearnProcessor
from sagemaker.transformer import Transformer
from sagemaker.workflow.condition_step import ConditionStep
from sagemaker.workflow.conditions import ConditionLessThan, ConditionLessThanOrEqualTo
from sagemaker.workflow.fail_step import FailStep
from sagemaker.workflow.functions import Join, JsonGet
from sagemaker.workflow.model_step import ModelStep
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.pipeline_context import PipelineSession
from sagemaker.workflow.properties import PropertyFile
from sagemaker.workflow.steps import ProcessingStep, TrainingStep, TransformStep
from sagemaker.xgboost.estimator import XGBoost
from support.roles import allow, bucket_arn, create_role, pass_role, trust_policy

from pipelines.definitions import DefinitionOnlyBotoSession, offline_boto3, quiet_sdk, untracked_fit

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default, where the fake keys act: the examples live outside the environments
ROLE = f"arn:aws:iam::{ACCOUNT}:role/fidelity-corpus"
BUCKET = "fidelity-corpus"
GROUP = "AbaloneModelPackageGroup"
SCRIPTS = Path(__file__).with_name("scripts")


def bucket_and_logs(bucket: str, role: str) -> list[dict]:
    """What a pipeline's jobs do as their role besides their SageMaker calls: read and write the bucket, write
    their logs, pass the role on."""
    return [
        allow("s3:ListBucket", bucket_arn(bucket)),
        allow(["s3:GetObject", "s3:PutObject"], f"{bucket_arn(bucket)}/*"),
        allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/*",
               f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/*:log-stream:*"]),
        pass_role(role),
    ]


# What the examples' steps do as their role: jobs and models, the bucket, the group's versions.
SAGEMAKER = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
ROLE_STATEMENTS = [
    allow(["sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob", "sagemaker:CreateTransformJob",
           "sagemaker:CreateModel", "sagemaker:DescribeProcessingJob", "sagemaker:DescribeTrainingJob",
           "sagemaker:DescribeTransformJob", "sagemaker:DescribeModel", "sagemaker:AddTags"],
          [f"{SAGEMAKER}:{kind}/*" for kind in ("processing-job", "training-job", "transform-job", "model")]),
    allow(["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"],
          [f"{SAGEMAKER}:model-package-group/{GROUP}", f"{SAGEMAKER}:model-package/{GROUP.lower()}/*"]),
    *bucket_and_logs(BUCKET, ROLE),
]
MSE_THRESHOLD = 6.0


def abalone_like_csv(rows: int = 400) -> bytes:
    """Rings (the label) first, then 7 measurements; no header, as the abalone data set is stored."""
    rng = np.random.default_rng(42)
    features = rng.uniform(0.1, 1.0, size=(rows, 7))
    rings = np.round(3 + 10 * features[:, 0] + 4 * features[:, 3] + rng.normal(0, 0.5, rows))
    return "\n".join(",".join(f"{value:.4f}" for value in row)
                     for row in np.column_stack([rings, features])).encode() + b"\n"


def source_tar(folder: Path) -> bytes:
    """The sourcedir.tar.gz the SDK uploads for an estimator's source_dir."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(folder.glob("*.py")):
            archive.add(path, arcname=path.name)
    return buffer.getvalue()


def upload_inputs(endpoint: str) -> dict[str, str]:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="abalone/abalone-dataset.csv", Body=abalone_like_csv())
    uris = {"input": f"s3://{BUCKET}/abalone/"}
    for script in ("preprocess.py", "evaluate.py"):
        s3.put_object(Bucket=BUCKET, Key=f"code/{script}", Body=(SCRIPTS / script).read_bytes())
        uris[script] = f"s3://{BUCKET}/code/{script}"
    for source in ("xgboost_source", "sklearn_source"):
        s3.put_object(Bucket=BUCKET, Key=f"code/{source}/sourcedir.tar.gz", Body=source_tar(SCRIPTS / source))
        uris[source] = f"s3://{BUCKET}/code/{source}/sourcedir.tar.gz"
    boto3.client("sagemaker", endpoint_url=endpoint, region_name=REGION).create_model_package_group(
        ModelPackageGroupName=GROUP)
    create_role(boto3.client("iam", endpoint_url=endpoint, region_name=REGION), ROLE.rsplit("/", 1)[1],
                trust_policy("sagemaker.amazonaws.com"), ROLE_STATEMENTS)
    return uris


def offline_session() -> PipelineSession:
    session = PipelineSession(boto_session=DefinitionOnlyBotoSession(REGION), default_bucket=BUCKET)
    session._default_bucket = BUCKET
    session.sagemaker_config = {}
    return session


def abalone_process_step(session: PipelineSession, uris: dict[str, str]) -> ProcessingStep:
    sklearn = SKLearnProcessor(framework_version="0.23-1", role=ROLE, instance_type="ml.m5.xlarge",
                               instance_count=1, base_job_name="sklearn-abalone-process", sagemaker_session=session)
    return ProcessingStep(name="AbaloneProcess", step_args=sklearn.run(
        inputs=[ProcessingInput(source=uris["input"], destination="/opt/ml/processing/input")],
        outputs=[ProcessingOutput(output_name="train", source="/opt/ml/processing/train"),
                 ProcessingOutput(output_name="validation", source="/opt/ml/processing/validation"),
                 ProcessingOutput(output_name="test", source="/opt/ml/processing/test")],
        code=uris["preprocess.py"]))


def script_mode_pipeline(uris: dict[str, str], name: str = "ScriptModePipeline") -> str:
    """Preprocess, then XGBoost and scikit-learn framework estimators with entry_point + source_dir; a
    condition on the XGBoost job's metric read from its log by the metric definition."""
    with quiet_sdk(), offline_boto3(REGION):
        session = offline_session()
        preprocess = abalone_process_step(session, uris)
        outputs = preprocess.properties.ProcessingOutputConfig.Outputs
        xgboost_estimator = XGBoost(
            entry_point="train.py", source_dir=uris["xgboost_source"], framework_version="1.7-1", role=ROLE,
            instance_type="ml.m5.xlarge", instance_count=1, output_path=f"s3://{BUCKET}/script-mode",
            hyperparameters={"max_depth": 3, "eta": 0.3, "num_round": 20, "objective": "reg:squarederror"},
            metric_definitions=[{"Name": "validation:rmse", "Regex": r"validation-rmse:([0-9.]+)"}],
            sagemaker_session=session, disable_profiler=True)
        train_xgboost = TrainingStep(name="XGBoostScriptTrain", step_args=untracked_fit(xgboost_estimator, {
            "train": TrainingInput(outputs["train"].S3Output.S3Uri, content_type="text/csv"),
            "validation": TrainingInput(outputs["validation"].S3Output.S3Uri, content_type="text/csv")}))
        sklearn_estimator = SKLearn(
            entry_point="train.py", source_dir=uris["sklearn_source"], framework_version="1.2-1", role=ROLE,
            instance_type="ml.m5.xlarge", output_path=f"s3://{BUCKET}/script-mode",
            hyperparameters={"n-estimators": 20},
            metric_definitions=[{"Name": "test:mse", "Regex": r"test_mse=([0-9.]+)"}], sagemaker_session=session)
        train_sklearn = TrainingStep(name="SKLearnScriptTrain", step_args=untracked_fit(sklearn_estimator, {
            "train": TrainingInput(outputs["train"].S3Output.S3Uri),
            "test": TrainingInput(outputs["test"].S3Output.S3Uri)}))
        rmse = train_xgboost.properties.FinalMetricDataList["validation:rmse"].Value
        gate = ConditionStep(name="RmseGate", conditions=[ConditionLessThan(left=rmse, right=100.0)],
                             if_steps=[], else_steps=[FailStep(name="RmseTooHigh", error_message="rmse too high")])
        pipeline = Pipeline(name=name, steps=[preprocess, train_xgboost, train_sklearn, gate],
                            sagemaker_session=session)
        return pipeline.definition()


def abalone_pipeline(uris: dict[str, str], xgboost_version: str = "1.0-1", name: str = "AbalonePipeline") -> str:
    """The definition JSON, as `pipeline.definition()` of the example produces it."""
    # Built offline, as `pipeline.definition()` needs no AWS call when every URI is given.
    with quiet_sdk(), offline_boto3(REGION):
        session = offline_session()
        preprocess = abalone_process_step(session, uris)
        image = image_uris.retrieve(framework="xgboost", region=REGION, version=xgboost_version,
                                    py_version="py3", instance_type="ml.m5.xlarge")
        xgb_train = Estimator(image_uri=image, instance_type="ml.m5.xlarge", instance_count=1,
                              output_path=f"s3://{BUCKET}/AbaloneTrain", role=ROLE, sagemaker_session=session,
                              disable_profiler=True)
        xgb_train.set_hyperparameters(objective="reg:linear", num_round=50, max_depth=5, eta=0.2, gamma=4,
                                      min_child_weight=6, subsample=0.7, silent=0)
        outputs = preprocess.properties.ProcessingOutputConfig.Outputs
        train = TrainingStep(name="AbaloneTrain", step_args=untracked_fit(xgb_train, {
            "train": TrainingInput(s3_data=outputs["train"].S3Output.S3Uri, content_type="text/csv"),
            "validation": TrainingInput(s3_data=outputs["validation"].S3Output.S3Uri, content_type="text/csv"),
        }))
        evaluator = ScriptProcessor(image_uri=image, command=["python3"], instance_type="ml.m5.xlarge",
                                    instance_count=1, base_job_name="script-abalone-eval", role=ROLE,
                                    sagemaker_session=session)
        evaluation_report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
        evaluate = ProcessingStep(name="AbaloneEval", step_args=evaluator.run(
            inputs=[ProcessingInput(source=train.properties.ModelArtifacts.S3ModelArtifacts,
                                    destination="/opt/ml/processing/model"),
                    ProcessingInput(source=outputs["test"].S3Output.S3Uri, destination="/opt/ml/processing/test")],
            outputs=[ProcessingOutput(output_name="evaluation", source="/opt/ml/processing/evaluation")],
            code=uris["evaluate.py"]), property_files=[evaluation_report])
        metrics = ModelMetrics(model_statistics=MetricsSource(
            s3_uri=f"s3://{BUCKET}/evaluation.json", content_type="application/json"))
        model = Model(image_uri=image, model_data=train.properties.ModelArtifacts.S3ModelArtifacts,
                      sagemaker_session=session, role=ROLE)
        register = ModelStep(name="AbaloneRegisterModel", step_args=model.register(
            content_types=["text/csv"], response_types=["text/csv"], inference_instances=["ml.t2.medium"],
            transform_instances=["ml.m5.xlarge"], model_package_group_name=GROUP,
            approval_status="PendingManualApproval", model_metrics=metrics))
        mse = JsonGet(step_name=evaluate.name, property_file=evaluation_report,
                      json_path="regression_metrics.mse.value")
        gate = ConditionStep(name="AbaloneMSECond",
                             conditions=[ConditionLessThanOrEqualTo(left=mse, right=MSE_THRESHOLD)],
                             if_steps=[register],
                             else_steps=[FailStep(name="AbaloneMSEFail", error_message="MSE above threshold")])
        pipeline = Pipeline(name=name, steps=[preprocess, train, evaluate, gate],
                            sagemaker_session=session)
        return pipeline.definition()


def load(definition: str) -> dict:
    return json.loads(definition)


def framework_processor_pipeline(uris: dict[str, str], name: str = "FrameworkProcessorPipeline") -> str:
    """A FrameworkProcessor with `code` + `source_dir`: the SDK uploads sourcedir.tar.gz and its runproc.sh
    entry point to S3 (the local stack's, through the environment's endpoint) while building the definition."""
    with quiet_sdk():
        session = PipelineSession(boto_session=boto3.Session(region_name=REGION), default_bucket=BUCKET)
        session.sagemaker_config = {}
        processor = FrameworkProcessor(estimator_cls=SKLearn, framework_version="1.2-1", role=ROLE,
                                       instance_type="ml.m5.xlarge", instance_count=1, base_job_name="framework",
                                       sagemaker_session=session)
        step = ProcessingStep(name="FrameworkProcess", step_args=processor.run(
            code="process.py", source_dir=str(SCRIPTS / "framework_source"),
            inputs=[ProcessingInput(source=uris["input"], destination="/opt/ml/processing/input")],
            outputs=[ProcessingOutput(output_name="summary", source="/opt/ml/processing/summary")],
            arguments=["--columns", "8"]))
        return Pipeline(name=name, steps=[step], sagemaker_session=session).definition()


def transform_pipeline(uris: dict[str, str], name: str = "AbaloneTransformPipeline") -> str:
    """Preprocess, built-in XGBoost 1.0-1, CreateModel, then a batch transform of the labelled test split that
    drops the label for the model and keeps it next to the prediction (InputFilter, JoinSource, OutputFilter)."""
    with quiet_sdk(), offline_boto3(REGION):
        session = offline_session()
        preprocess = abalone_process_step(session, uris)
        outputs = preprocess.properties.ProcessingOutputConfig.Outputs
        image = image_uris.retrieve(framework="xgboost", region=REGION, version="1.0-1", py_version="py3",
                                    instance_type="ml.m5.xlarge")
        estimator = Estimator(image_uri=image, instance_type="ml.m5.xlarge", instance_count=1,
                              output_path=f"s3://{BUCKET}/AbaloneTrain", role=ROLE, sagemaker_session=session,
                              disable_profiler=True)
        estimator.set_hyperparameters(objective="reg:squarederror", num_round=30, max_depth=4)
        train = TrainingStep(name="AbaloneTrain", step_args=untracked_fit(estimator, {
            "train": TrainingInput(s3_data=outputs["train"].S3Output.S3Uri, content_type="text/csv")}))
        model = Model(image_uri=image, model_data=train.properties.ModelArtifacts.S3ModelArtifacts,
                      sagemaker_session=session, role=ROLE)
        create = ModelStep(name="AbaloneCreateModel", step_args=model.create(instance_type="ml.m5.large"))
        transformer = Transformer(model_name=create.properties.ModelName, instance_type="ml.m5.xlarge",
                                  instance_count=1, output_path=f"s3://{BUCKET}/AbaloneTransform",
                                  accept="text/csv", assemble_with="Line", sagemaker_session=session)
        transform = TransformStep(name="AbaloneTransform", step_args=transformer.transform(
            data=Join(on="/", values=[outputs["test"].S3Output.S3Uri, "test.csv"]), content_type="text/csv",
            split_type="Line",
            input_filter="$[1:]", join_source="Input", output_filter="$[0,-1]"))
        return Pipeline(name=name, steps=[preprocess, train, create, transform],
                        sagemaker_session=session).definition()
