"""Step features through the SageMaker API of the local stack: a cache hit and a run-time limit."""

from __future__ import annotations

from local_stack.pipeline_api import (
    ROLE,
    client,
    definition,
    processes_mentioning,
    processing_step,
    put_script,
)
from support import wait_for_end

from localaws.sagemaker_pipelines.containers import MAX_RUNTIME_REASON


def start(sagemaker, name: str) -> dict:
    arn = sagemaker.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    description = wait_for_end(sagemaker, arn)
    steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    return {"arn": arn, "status": description["PipelineExecutionStatus"], "steps": {s["StepName"]: s for s in steps}}


def test_the_second_execution_hits_the_cache_of_the_first(aws):
    put_script(aws.endpoint)
    sagemaker = client(aws.endpoint)
    step = processing_step("Prepare")  # its output under the execution's id, as the SDK writes it
    step["CacheConfig"] = {"Enabled": True, "ExpireAfter": "P30D"}
    sagemaker.create_pipeline(PipelineName="cached", PipelineDefinition=definition(step), RoleArn=ROLE)

    first, second = start(sagemaker, "cached"), start(sagemaker, "cached")

    assert first["status"] == second["status"] == "Succeeded"
    assert "CacheHitResult" not in first["steps"]["Prepare"]
    assert second["steps"]["Prepare"]["CacheHitResult"] == {"SourcePipelineExecutionArn": first["arn"]}
    assert second["steps"]["Prepare"]["Metadata"] == first["steps"]["Prepare"]["Metadata"]


def test_a_job_over_its_max_runtime_is_ended_and_the_step_fails_with_the_reason(aws):
    put_script(aws.endpoint)
    sagemaker = client(aws.endpoint)
    step = processing_step("Slow", "--sleep", "4242")
    step["Arguments"]["StoppingCondition"] = {"MaxRuntimeInSeconds": 1}
    sagemaker.create_pipeline(PipelineName="slow", PipelineDefinition=definition(step), RoleArn=ROLE)

    execution = start(sagemaker, "slow")

    assert execution["status"] == "Failed"
    assert execution["steps"]["Slow"]["FailureReason"] == MAX_RUNTIME_REASON
    assert processes_mentioning("4242") == []
