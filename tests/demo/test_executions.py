"""How the demo reads step outputs from ListPipelineExecutionSteps metadata (pure parts)."""

import pytest

from mlops_demo.executions import FinishedExecution, output_parameters
from pipelines.config import load_config

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.prod}:pipeline/mammo-batch-inference"


def _finished(*steps: dict) -> FinishedExecution:
    return FinishedExecution(
        description={"PipelineExecutionArn": f"{ARN}/execution/abc", "PipelineExecutionStatus": "Succeeded"},
        steps=list(steps), parameters={"BatchDataUri": "s3://b/batch/"})


def test_lambda_output_parameters_become_a_mapping():
    metadata = {"Arn": "arn:f", "OutputParameters": [{"Name": "ModelPackageArn", "Value": "arn:p/1"}]}
    assert output_parameters(metadata) == {"ModelPackageArn": "arn:p/1"}
    assert output_parameters({"Arn": "arn:f"}) == {}


def test_the_execution_reads_its_id_and_status_from_the_describe_shape():
    finished = _finished()
    assert finished.execution_id == "abc"
    assert finished.status == "Succeeded"
    assert finished.failure_reason == ""


def test_step_metadata_names_the_steps_when_the_kind_is_not_there_once():
    finished = _finished({"StepName": "LatestApprovedModel", "StepStatus": "Succeeded",
                          "Metadata": {"Lambda": {"Arn": "arn:f", "OutputParameters": []}}},
                         {"StepName": "AucCheck", "StepStatus": "Succeeded"})
    step, metadata = finished.step_metadata("Lambda")
    assert step["StepName"] == "LatestApprovedModel"
    assert metadata["Arn"] == "arn:f"
    with pytest.raises(ValueError, match=r"0 steps with TransformJob metadata, expected 1; its steps: "
                                         r"LatestApprovedModel \(Lambda\), AucCheck \(-\)"):
        finished.step_metadata("TransformJob")
