"""The SageMaker pipeline events in AWS's shapes (the SageMaker developer guide's examples), built from the API's
DescribePipelineExecution and ListPipelineExecutionSteps answers (pure, no stack)."""

from __future__ import annotations

from datetime import UTC, datetime

from localaws.events.delivery import (
    PIPELINE_STATUS_CHANGE,
    STEP_STATUS_CHANGE,
    pipeline_status_change_event,
    scheduled_event,
    step_status_change_event,
)

# The developer guide's example account and names, literals on purpose: the events must match its examples.
PIPELINE = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/myPipeline-123"
EXECUTION = f"{PIPELINE}/execution/p4jn9xou8a8s"
DESCRIPTION = {
    "PipelineArn": PIPELINE, "PipelineExecutionArn": EXECUTION, "PipelineExecutionDisplayName": "SomeDisplayName",
    "PipelineExecutionStatus": "Succeeded", "PipelineExecutionDescription": "SomeDescription",
    "CreationTime": datetime(2021, 3, 15, 16, 3, 13, 512000, tzinfo=UTC),
    "LastModifiedTime": datetime(2021, 3, 15, 16, 10, 10, tzinfo=UTC),
}


def _envelope(event: dict) -> dict:
    return {key: value for key, value in event.items() if key not in ("id", "time", "detail")}


def test_the_pipeline_status_change_event():
    event = pipeline_status_change_event(DESCRIPTION, "Executing")

    assert _envelope(event) == {"version": "0", "detail-type": PIPELINE_STATUS_CHANGE, "source": "aws.sagemaker",
                                "account": "123456789012", "region": "us-east-1", "resources": [PIPELINE, EXECUTION]}
    assert event["detail"] == {
        "pipelineExecutionDisplayName": "SomeDisplayName",
        "currentPipelineExecutionStatus": "Succeeded",
        "previousPipelineExecutionStatus": "Executing",
        "executionStartTime": "2021-03-15T16:03:13Z",
        "executionEndTime": "2021-03-15T16:10:10Z",
        "pipelineExecutionDescription": "SomeDescription",
        "pipelineArn": PIPELINE,
        "pipelineExecutionArn": EXECUTION,
    }
    assert len(event["id"]) == 36
    assert event["time"].endswith("Z")


def test_a_starting_execution_has_no_previous_status_nor_end_time():
    running = {**DESCRIPTION, "PipelineExecutionStatus": "Executing", "PipelineExecutionDescription": None,
               "CreationTime": "2021-03-15T16:03:13.512Z"}
    detail = pipeline_status_change_event(running, None)["detail"]
    assert set(detail) == {"pipelineExecutionDisplayName", "currentPipelineExecutionStatus", "executionStartTime",
                           "pipelineArn", "pipelineExecutionArn"}
    assert detail["executionStartTime"] == "2021-03-15T16:03:13Z"


def test_the_step_status_change_event():
    step = {"StepName": "myprocessingstep1", "StepStatus": "Succeeded",
            "StartTime": datetime(2021, 3, 15, 16, 3, 14, tzinfo=UTC),
            "EndTime": datetime(2021, 3, 15, 16, 10, 9, tzinfo=UTC), "AttemptCount": 1,
            "Metadata": {"ProcessingJob": {"Arn": "arn:aws:sagemaker:us-east-1:123456789012:processing-job/"
                                                  "pipelines-p4jn9xou8a8s-myprocessingstep1-tmgxry49ug"}}}

    event = step_status_change_event(DESCRIPTION, step, "Executing")

    assert _envelope(event) == {"version": "0", "detail-type": STEP_STATUS_CHANGE, "source": "aws.sagemaker",
                                "account": "123456789012", "region": "us-east-1", "resources": [PIPELINE, EXECUTION]}
    assert event["detail"] == {
        "metadata": {"processingJob": {"arn": "arn:aws:sagemaker:us-east-1:123456789012:processing-job/"
                                              "pipelines-p4jn9xou8a8s-myprocessingstep1-tmgxry49ug"}},
        "stepStartTime": "2021-03-15T16:03:14Z",
        "stepEndTime": "2021-03-15T16:10:09Z",
        "stepName": "myprocessingstep1",
        "stepType": "Processing",
        "previousStepStatus": "Executing",
        "currentStepStatus": "Succeeded",
        "pipelineArn": PIPELINE,
        "pipelineExecutionArn": EXECUTION,
    }


def test_a_failed_step_event_carries_the_failure_reason_and_a_cache_hit_its_source():
    failed = step_status_change_event(DESCRIPTION, {"StepName": "Check", "StepStatus": "Failed",
                                                    "FailureReason": "drift", "StepType": "Fail"}, "Executing")
    assert (failed["detail"]["failureReason"], failed["detail"]["stepType"]) == ("drift", "Fail")
    cached = step_status_change_event(DESCRIPTION, {
        "StepName": "Train", "StepStatus": "Succeeded", "Metadata": {"TrainingJob": {"Arn": "arn:job"}},
        "CacheHitResult": {"SourcePipelineExecutionArn": EXECUTION}}, "Starting")
    assert cached["detail"]["cacheHitResult"] == {"sourcePipelineExecutionArn": EXECUTION}
    assert cached["detail"]["stepType"] == "Training"
    assert "failureReason" not in cached["detail"]


def test_the_scheduled_event():
    rule = "arn:aws:events:us-east-1:123456789012:rule/mammo-inference-schedule"
    event = scheduled_event(rule, datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    assert {key: value for key, value in event.items() if key != "id"} == {
        "version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012",
        "time": "2026-03-02T06:00:00Z", "region": "us-east-1", "resources": [rule], "detail": {}}
