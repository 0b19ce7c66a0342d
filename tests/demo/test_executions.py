"""How the demo turns executor records into router events and reads step outputs (pure parts)."""

from datetime import UTC, datetime

import pytest

from pipelines.demo.executions import output_parameters, step_of_type
from pipelines.local.executor.eventbridge import status_change_fields
from pipelines.local.executor.store import ExecutionRecord, StepRecord

ARN = "arn:aws:sagemaker:us-east-1:333333333333:pipeline/mammo-batch-inference"


def test_a_described_execution_becomes_the_routersstatus_change_fields():
    fields = status_change_fields({
        "PipelineArn": ARN, "PipelineExecutionArn": f"{ARN}/execution/abc",
        "PipelineExecutionDisplayName": "inference-outliers", "PipelineExecutionStatus": "Failed",
        "CreationTime": "2026-11-22T05:00:00.000+00:00", "EndTime": "2026-11-22T05:00:03.000+00:00",
    }, previous_status="Executing")
    assert fields == {
        "pipeline_arn": ARN, "execution_arn": f"{ARN}/execution/abc", "display_name": "inference-outliers",
        "current_status": "Failed", "previous_status": "Executing",
        "start_time": datetime(2026, 11, 22, 5, 0, 0, tzinfo=UTC),
        "end_time": datetime(2026, 11, 22, 5, 0, 3, tzinfo=UTC),
    }


def test_lambda_outputs_in_either_shape():
    assert output_parameters({"OutputParameters": [{"Name": "ModelPackageArn", "Value": "arn:p/1"}]}) == \
        {"ModelPackageArn": "arn:p/1"}
    assert output_parameters({"OutputParameters": {"ModelPackageArn": "arn:p/1"}}) == {"ModelPackageArn": "arn:p/1"}


def test_step_of_type_names_the_steps_when_the_type_is_not_there_once():
    record = ExecutionRecord(execution_arn=f"{ARN}/execution/abc", execution_id="abc",
                             pipeline_name="mammo-batch-inference", pipeline_arn=ARN, account_id="333333333333",
                             parameters={}, steps=[StepRecord("LatestApprovedModel", "Lambda")])
    assert step_of_type(record, "Lambda").name == "LatestApprovedModel"
    with pytest.raises(ValueError, match=r"0 steps of type Transform, expected 1; its steps: LatestApprovedModel"):
        step_of_type(record, "Transform")
