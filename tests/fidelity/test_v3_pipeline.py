"""A pipeline written with SageMaker Python SDK v3 runs unchanged through the SageMaker API of the local stack.

The definition is fixtures/v3_pipeline.json, printed by scripts/v3_example_pipeline.py with the project's SDK v3:
ModelTrainer with the built-in XGBoost algorithm,
processing with script processors, a PropertyFile read by JsonGet, ModelBuilder.register in a ModelStep, a
FailStep. The v2-shaped counterpart is test_abalone.py.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import boto3
import numpy as np
import pytest
import xgboost
from support import wait_for_end
from support.roles import allow, create_role, trust_policy

from .corpus import ACCOUNT, REGION, bucket_and_logs

ROLE = f"arn:aws:iam::{ACCOUNT}:role/v3-example-pipeline"
BUCKET = "v3-example"
GROUP = "V3ExampleModelPackageGroup"
FIXTURE = Path(__file__).with_name("fixtures") / "v3_pipeline.json"
STEP_SCRIPTS = Path(__file__).parents[2] / "scripts" / "v3_example"
SAGEMAKER = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
ROLE_STATEMENTS = [
    allow(["sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob", "sagemaker:DescribeProcessingJob",
           "sagemaker:DescribeTrainingJob", "sagemaker:AddTags"],
          [f"{SAGEMAKER}:{kind}/*" for kind in ("processing-job", "training-job")]),
    allow(["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"],
          [f"{SAGEMAKER}:model-package-group/{GROUP}", f"{SAGEMAKER}:model-package/{GROUP.lower()}/*"]),
    *bucket_and_logs(BUCKET, ROLE),
]


def labelled_csv(rows: int = 400) -> bytes:
    """A binary label (first column, no header) that 4 of 6 features predict, with noise."""
    rng = np.random.default_rng(3)
    features = rng.normal(size=(rows, 6))
    score = features[:, 0] - 0.8 * features[:, 1] + 0.5 * features[:, 2] * features[:, 3] + rng.normal(0, 0.7, rows)
    labels = (score > 0).astype(int)
    return "\n".join(",".join([str(label), *(f"{value:.4f}" for value in row)])
                     for label, row in zip(labels, features, strict=True)).encode() + b"\n"


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


@pytest.fixture
def v3_pipeline(aws) -> str:
    """The pipeline created from the fixture, with what it reads uploaded, its group and its role."""
    s3 = client(aws.endpoint, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="data/labelled.csv", Body=labelled_csv())
    for script in ("preprocess.py", "evaluate.py"):
        s3.put_object(Bucket=BUCKET, Key=f"code/{script}", Body=(STEP_SCRIPTS / script).read_bytes())
    create_role(client(aws.endpoint, "iam"), ROLE.rsplit("/", 1)[1], trust_policy("sagemaker.amazonaws.com"),
                ROLE_STATEMENTS)
    sagemaker = client(aws.endpoint, "sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    sagemaker.create_pipeline(PipelineName="V3ExamplePipeline", PipelineDefinition=FIXTURE.read_text(), RoleArn=ROLE)
    return "V3ExamplePipeline"


def run(endpoint: str, pipeline: str, **parameters) -> tuple[dict, dict[str, dict]]:
    sagemaker = client(endpoint, "sagemaker")
    arn = sagemaker.start_pipeline_execution(PipelineName=pipeline, PipelineParameters=[
        {"Name": name, "Value": str(value)} for name, value in parameters.items()])["PipelineExecutionArn"]
    description = wait_for_end(sagemaker, arn, timeout=300)
    steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    return description, {step["StepName"]: step for step in steps}


def test_a_v3_pipeline_registers_its_model_and_fails_in_its_else_branch_when_the_threshold_is_raised(
        aws, v3_pipeline):
    definition = json.loads(FIXTURE.read_text())
    assert "MlflowConfig" in definition  # the shape SDK v3 writes (and the v2 SDK does not)

    description, steps = run(aws.endpoint, v3_pipeline)

    assert description["PipelineExecutionStatus"] == "Succeeded", description.get("FailureReason")
    assert {name: step["StepStatus"] for name, step in steps.items()} == {
        "Preprocess": "Succeeded", "Train": "Succeeded", "Evaluate": "Succeeded", "CheckAuc": "Succeeded",
        "RegisterModel": "Succeeded"}  # v3 names the model step as written (v2: "<name>-RegisterModel")
    assert steps["CheckAuc"]["Metadata"] == {"Condition": {"Outcome": "True"}}
    sagemaker = client(aws.endpoint, "sagemaker")
    [summary] = sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    assert steps["RegisterModel"]["Metadata"] == {"RegisterModel": {"Arn": summary["ModelPackageArn"]}}
    package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    [container] = package["InferenceSpecification"]["Containers"]
    assert container["Image"].endswith("/sagemaker-xgboost:1.7-1")
    assert container["Environment"] == {"SAGEMAKER_CONTAINER_LOG_LEVEL": "20", "SAGEMAKER_PROGRAM": "",
                                        "SAGEMAKER_REGION": REGION, "SAGEMAKER_SUBMIT_DIRECTORY": ""}
    execution_id = description["PipelineExecutionArn"].rsplit("/", 1)[1]
    training_job = sagemaker.describe_training_job(TrainingJobName=f"pipelines-{execution_id}-Train")
    assert training_job["TrainingJobArn"] == steps["Train"]["Metadata"]["TrainingJob"]["Arn"]
    assert container["ModelDataUrl"] == training_job["ModelArtifacts"]["S3ModelArtifacts"]
    assert training_job["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert [channel["InputMode"] for channel in training_job["InputDataConfig"]] == ["File", "File"]
    s3 = client(aws.endpoint, "s3")
    model_key = container["ModelDataUrl"].removeprefix(f"s3://{BUCKET}/")
    with tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=BUCKET, Key=model_key)["Body"].read())) as archive:
        booster = xgboost.Booster()
        booster.load_model(bytearray(archive.extractfile("xgboost-model").read()))
    assert booster.num_boosted_rounds() == 30
    evaluation = json.loads(s3.get_object(Bucket=BUCKET, Key="V3ExamplePipeline/evaluation/evaluation.json")[
        "Body"].read())
    assert 0.7 <= evaluation["binary_classification_metrics"]["auc"]["value"] <= 1.0

    # No AUC reaches 1.01: the else branch's FailStep fails the execution, nothing more is registered.
    description, steps = run(aws.endpoint, v3_pipeline, AucThreshold=1.01)

    assert description["PipelineExecutionStatus"] == "Failed"
    assert {name: step["StepStatus"] for name, step in steps.items()} == {
        "Preprocess": "Succeeded", "Train": "Succeeded", "Evaluate": "Succeeded", "CheckAuc": "Succeeded",
        "AucTooLow": "Failed"}
    assert steps["CheckAuc"]["Metadata"] == {"Condition": {"Outcome": "False"}}
    assert steps["AucTooLow"]["FailureReason"] == "the AUC is below AucThreshold"
    assert len(sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]) == 1
