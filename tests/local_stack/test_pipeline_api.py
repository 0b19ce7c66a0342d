"""Pipelines run behind the SageMaker API of the local stack, for any client: the AWS CLI, boto3, the SDK.

Every execution here runs inside the stack's server; the tests only use the public API (and S3/SQS to see the
outcome and the events), never the executor.
"""

from __future__ import annotations

import json
import os

import pytest
from botocore.exceptions import ClientError
from support import wait_for, wait_for_end

from .pipeline_api import (
    ACCOUNT,
    REGION,
    ROLE,
    AwsCli,
    client,
    definition,
    gated_definition,
    output_marker,
    processes_mentioning,
    processing_step,
    put_script,
    step_statuses,
)


@pytest.fixture
def cli(aws) -> AwsCli:
    return AwsCli(aws.endpoint)


@pytest.fixture
def sagemaker(aws):
    put_script(aws.endpoint)
    return client(aws.endpoint)


def create(sagemaker, name: str, pipeline_definition: str, **extra) -> str:
    return sagemaker.create_pipeline(PipelineName=name, PipelineDefinition=pipeline_definition, RoleArn=ROLE,
                                     **extra)["PipelineArn"]


def error_of(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_the_cli_starts_a_pipeline_and_shows_its_real_steps_and_outcome(cli, sagemaker, aws):
    cli("sagemaker", "create-pipeline", "--pipeline-name", "gated", "--role-arn", ROLE,
        "--pipeline-definition", gated_definition())

    arn = cli("sagemaker", "start-pipeline-execution", "--pipeline-name", "gated",
              "--pipeline-parameters", "Name=Threshold,Value=0.7")["PipelineExecutionArn"]

    assert arn.startswith(f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/gated/execution/")
    description = wait_for(
        lambda: (d := cli("sagemaker", "describe-pipeline-execution", "--pipeline-execution-arn", arn))
        ["PipelineExecutionStatus"] != "Executing" and d, "the execution to end", timeout=120)
    assert description["PipelineExecutionStatus"] == "Succeeded", description
    assert cli("sagemaker", "list-pipeline-parameters-for-execution", "--pipeline-execution-arn", arn)[
        "PipelineParameters"] == [{"Name": "Threshold", "Value": "0.7"}]
    steps = cli("sagemaker", "list-pipeline-execution-steps", "--pipeline-execution-arn", arn)["PipelineExecutionSteps"]
    # The branch not taken (Reject) is not listed: SageMaker lists the steps that ran.
    assert [(step["StepName"], step["StepStatus"]) for step in steps] == [
        ("Publish", "Succeeded"), ("Gate", "Succeeded"), ("Prepare", "Succeeded")]
    assert steps[1]["Metadata"] == {"Condition": {"Outcome": "True"}}
    job = steps[0]["Metadata"]["ProcessingJob"]["Arn"]
    assert job == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/pipelines-{arn.rsplit('/', 1)[1]}-publish"
    assert output_marker(aws.endpoint, arn, "Publish") == "done"  # the script really ran


def test_the_cli_shows_a_failed_execution_with_the_reason(cli, sagemaker):
    create(sagemaker, "gated", gated_definition())
    arn = cli("sagemaker", "start-pipeline-execution", "--pipeline-name", "gated",
              "--pipeline-parameters", "Name=Threshold,Value=0.2")["PipelineExecutionArn"]

    description = wait_for_end(sagemaker, arn)

    assert description["PipelineExecutionStatus"] == "Failed"
    assert description["FailureReason"] == "Step 'Reject' failed: threshold too low"
    assert step_statuses(sagemaker, arn) == {"Prepare": "Succeeded", "Gate": "Succeeded", "Reject": "Failed"}
    listed = cli("sagemaker", "list-pipeline-executions", "--pipeline-name", "gated")["PipelineExecutionSummaries"]
    assert [(s["PipelineExecutionArn"], s["PipelineExecutionStatus"], s["PipelineExecutionFailureReason"])
            for s in listed] == [(arn, "Failed", "Step 'Reject' failed: threshold too low")]


def test_the_sdk_upserts_starts_waits_and_lists_steps(sagemaker, aws):
    # isort: off
    import pipelines.sdk_quiet  # noqa: F401  (imports SDK v3 without adding a root log handler)

    # isort: on
    import boto3
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.workflow.conditions import ConditionGreaterThan
    from sagemaker.core.workflow.parameters import ParameterFloat
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.pipeline import Pipeline

    threshold = ParameterFloat("Threshold", default_value=0.9)
    gate = ConditionStep("Gate", conditions=[ConditionGreaterThan(left=threshold, right=0.5)],
                         if_steps=[], else_steps=[FailStep("Reject", error_message="threshold too low")])
    boto_session = boto3.Session(region_name=REGION)
    session = Session(boto_session=boto_session, sagemaker_client=client(aws.endpoint),
                      default_bucket="pipeline-api-tests")
    pipeline = Pipeline("sdk-gated", parameters=[threshold], steps=[gate], sagemaker_session=session)

    pipeline.upsert(role_arn=ROLE)
    passing = pipeline.start()
    failing = pipeline.start(parameters={"Threshold": 0.1})
    passing.wait(delay=1, max_attempts=120)
    with pytest.raises(Exception, match="Failed"):  # the SDK's waiter raises on a Failed execution
        failing.wait(delay=1, max_attempts=120)

    assert passing.describe()["PipelineExecutionStatus"] == "Succeeded"
    assert [(step["StepName"], step["StepStatus"]) for step in passing.list_steps()] == [("Gate", "Succeeded")]
    assert failing.describe()["FailureReason"] == "Step 'Reject' failed: threshold too low"


def test_two_clients_see_the_same_executions(cli, sagemaker, aws):
    create(sagemaker, "gated", gated_definition())
    started = [sagemaker.start_pipeline_execution(PipelineName="gated")["PipelineExecutionArn"],
               cli("sagemaker", "start-pipeline-execution", "--pipeline-name", "gated")["PipelineExecutionArn"]]
    for arn in started:
        wait_for_end(sagemaker, arn)

    by_boto3 = sagemaker.list_pipeline_executions(PipelineName="gated")["PipelineExecutionSummaries"]
    by_cli = cli("sagemaker", "list-pipeline-executions", "--pipeline-name", "gated")["PipelineExecutionSummaries"]
    assert [s["PipelineExecutionArn"] for s in by_boto3] == [s["PipelineExecutionArn"] for s in by_cli] == \
        started[::-1]  # newest first
    assert {s["PipelineExecutionStatus"] for s in by_cli} == {"Succeeded"}


def test_both_list_calls_paginate_and_sort(sagemaker):
    create(sagemaker, "gated", gated_definition())
    started = [sagemaker.start_pipeline_execution(PipelineName="gated", PipelineExecutionDisplayName=f"run-{i}")
               ["PipelineExecutionArn"] for i in range(3)]
    for arn in started:
        wait_for_end(sagemaker, arn)

    first = sagemaker.list_pipeline_executions(PipelineName="gated", MaxResults=2, SortOrder="Ascending")
    second = sagemaker.list_pipeline_executions(PipelineName="gated", MaxResults=2, SortOrder="Ascending",
                                                NextToken=first["NextToken"])
    assert [s["PipelineExecutionArn"] for s in first["PipelineExecutionSummaries"]] == started[:2]
    assert [s["PipelineExecutionArn"] for s in second["PipelineExecutionSummaries"]] == started[2:]
    assert "NextToken" not in second
    paginated = [s["PipelineExecutionDisplayName"] for page in sagemaker.get_paginator("list_pipeline_executions")
                 .paginate(PipelineName="gated", PaginationConfig={"PageSize": 1})
                 for s in page["PipelineExecutionSummaries"]]
    assert paginated == ["run-2", "run-1", "run-0"]
    by_arn = sagemaker.list_pipeline_executions(PipelineName="gated", SortBy="PipelineExecutionArn",
                                                SortOrder="Ascending")["PipelineExecutionSummaries"]
    assert [s["PipelineExecutionArn"] for s in by_arn] == sorted(started)
    created = sagemaker.describe_pipeline_execution(PipelineExecutionArn=started[1])["CreationTime"]
    after = sagemaker.list_pipeline_executions(PipelineName="gated", CreatedAfter=created)
    assert [s["PipelineExecutionArn"] for s in after["PipelineExecutionSummaries"]] == [started[2]]

    steps = [step["StepName"] for page in sagemaker.get_paginator("list_pipeline_execution_steps")
             .paginate(PipelineExecutionArn=started[0], SortOrder="Ascending", PaginationConfig={"PageSize": 1})
             for step in page["PipelineExecutionSteps"]]
    assert steps == ["Prepare", "Gate", "Publish"]  # Reject, on the branch not taken, did not run


def test_bad_requests_get_aws_error_codes_and_record_nothing(sagemaker):
    arn = create(sagemaker, "gated", gated_definition())
    missing_execution = f"{arn}/execution/000000000000"

    assert error_of(lambda: sagemaker.start_pipeline_execution(PipelineName="nothere")) == (
        "ResourceNotFound", f"Pipeline 'arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/nothere' does not exist.")
    assert error_of(lambda: sagemaker.list_pipeline_executions(PipelineName="nothere"))[0] == "ResourceNotFound"
    for call in (sagemaker.describe_pipeline_execution, sagemaker.list_pipeline_execution_steps,
                 sagemaker.stop_pipeline_execution, sagemaker.retry_pipeline_execution):
        assert error_of(lambda call=call: call(PipelineExecutionArn=missing_execution)) == (
            "ResourceNotFound", f"Pipeline execution '{missing_execution}' does not exist.")
    code, message = error_of(lambda: sagemaker.start_pipeline_execution(
        PipelineName="gated", PipelineParameters=[{"Name": "Threshold", "Value": "high"}]))
    assert (code, message) == ("ValidationException",
                               "pipeline parameter 'Threshold' must be of type Float, got 'high'")
    code, message = error_of(lambda: sagemaker.start_pipeline_execution(
        PipelineName="gated", PipelineParameters=[{"Name": "Treshold", "Value": "1"}]))
    assert code == "ValidationException"
    assert "unknown pipeline parameter(s) Treshold" in message
    assert sagemaker.list_pipeline_executions(PipelineName="gated")["PipelineExecutionSummaries"] == []

    sagemaker.create_pipeline(PipelineName="unsupported", RoleArn=ROLE, PipelineDefinition=definition(
        {"Name": "Cluster", "Type": "EMR", "Arguments": {}}))
    code, message = error_of(lambda: sagemaker.start_pipeline_execution(PipelineName="unsupported"))
    assert code == "ValidationException"
    assert "unsupported step type in step(s) 'Cluster' (EMR)" in message
    assert sagemaker.list_pipeline_executions(PipelineName="unsupported")["PipelineExecutionSummaries"] == []


def test_a_succeeded_execution_cannot_be_stopped_or_retried(sagemaker):
    create(sagemaker, "gated", gated_definition())
    arn = sagemaker.start_pipeline_execution(PipelineName="gated")["PipelineExecutionArn"]
    wait_for_end(sagemaker, arn)

    assert error_of(lambda: sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn))[0] == "ConflictException"
    code, message = error_of(lambda: sagemaker.retry_pipeline_execution(PipelineExecutionArn=arn))
    assert code == "ConflictException"
    assert "only a Failed or Stopped execution can be retried" in message


def sqs_target_rule(aws, name: str, statuses: list[str]) -> str:
    """A rule on the default bus sending the pipeline status changes in `statuses` to a new queue."""
    sqs = client(aws.endpoint, "sqs")
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = client(aws.endpoint, "events")
    events.put_rule(Name=name, EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"],
        "detail": {"currentPipelineExecutionStatus": statuses}}))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue


def received(aws, queue: str) -> list[dict]:
    messages = client(aws.endpoint, "sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                                           WaitTimeSeconds=1).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_stop_ends_the_execution_stopped_and_no_failure_rule_fires(cli, sagemaker, aws):
    failed_queue = sqs_target_rule(aws, "pipeline-failed", ["Failed"])
    stopped_queue = sqs_target_rule(aws, "pipeline-stopped", ["Stopped"])
    create(sagemaker, "slow", definition(processing_step("Sleep", "--sleep", "120"),
                                         processing_step("After", depends_on=["Sleep"])))
    arn = sagemaker.start_pipeline_execution(PipelineName="slow")["PipelineExecutionArn"]
    wait_for(lambda: step_statuses(sagemaker, arn).get("Sleep") == "Executing", "Sleep to execute", timeout=120)

    assert cli("sagemaker", "stop-pipeline-execution", "--pipeline-execution-arn", arn)["PipelineExecutionArn"] == arn

    assert sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"] in (
        "Stopping", "Stopped")
    description = wait_for_end(sagemaker, arn, timeout=30)  # the script's 120 s sleep was cut short
    assert description["PipelineExecutionStatus"] == "Stopped"
    assert "FailureReason" not in description
    steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    assert [(step["StepName"], step["StepStatus"]) for step in steps] == [("Sleep", "Stopped")]
    assert "FailureReason" not in steps[0]
    stopped = received(aws, stopped_queue)
    assert [(event["detail"]["currentPipelineExecutionStatus"], event["detail"]["previousPipelineExecutionStatus"])
            for event in stopped] == [("Stopped", "Stopping")]
    assert received(aws, failed_queue) == []
    assert cli("sagemaker", "stop-pipeline-execution", "--pipeline-execution-arn", arn)  # stopping twice is fine


def test_retry_reruns_what_failed_in_the_same_execution(sagemaker, aws):
    create(sagemaker, "needs-data", definition(
        processing_step("Prepare"),
        processing_step("Read", "--input-dir", "/opt/ml/processing/data", depends_on=["Prepare"],
                        inputs={"data": "s3://pipeline-api-tests/late-data/"})))
    arn = sagemaker.start_pipeline_execution(PipelineName="needs-data")["PipelineExecutionArn"]
    first = wait_for_end(sagemaker, arn)
    assert first["PipelineExecutionStatus"] == "Failed"
    assert "no S3 objects found under S3 URL s3://pipeline-api-tests/late-data/" in first["FailureReason"]
    prepared_at = {s["StepName"]: s for s in sagemaker.list_pipeline_execution_steps(
        PipelineExecutionArn=arn)["PipelineExecutionSteps"]}["Prepare"]["StartTime"]

    client(aws.endpoint, "s3").put_object(Bucket="pipeline-api-tests", Key="late-data/rows.csv", Body=b"1,2\n")
    assert sagemaker.retry_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionArn"] == arn
    second = wait_for_end(sagemaker, arn)

    assert second["PipelineExecutionStatus"] == "Succeeded"
    assert "FailureReason" not in second
    steps = {s["StepName"]: s for s in sagemaker.list_pipeline_execution_steps(
        PipelineExecutionArn=arn)["PipelineExecutionSteps"]}
    assert steps["Prepare"]["StartTime"] == prepared_at
    assert steps["Prepare"]["AttemptCount"] == 1
    assert (steps["Read"]["StepStatus"], steps["Read"]["AttemptCount"]) == ("Succeeded", 2)
    assert output_marker(aws.endpoint, arn, "Read") == "read rows.csv"
    assert [s["PipelineExecutionArn"] for s in sagemaker.list_pipeline_executions(
        PipelineName="needs-data")["PipelineExecutionSummaries"]] == [arn]


def test_delete_pipeline_is_refused_while_an_execution_runs(sagemaker):
    create(sagemaker, "slow", definition(processing_step("Sleep", "--sleep", "120")))
    arn = sagemaker.start_pipeline_execution(PipelineName="slow")["PipelineExecutionArn"]

    assert error_of(lambda: sagemaker.delete_pipeline(PipelineName="slow", ClientRequestToken="t" * 32))[0] == \
        "ConflictException"
    sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn)
    wait_for_end(sagemaker, arn, timeout=30)
    sagemaker.delete_pipeline(PipelineName="slow", ClientRequestToken="t" * 32)
    assert error_of(lambda: sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn))[0] == "ResourceNotFound"


def overlap(steps: dict[str, dict]) -> bool:
    first, second = steps["First"], steps["Second"]
    return first["StartTime"] < second["EndTime"] and second["StartTime"] < first["EndTime"]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="two container steps run at once only with two CPUs")
def test_independent_steps_run_at_the_same_time_unless_parallelism_is_one(sagemaker):
    create(sagemaker, "pair", definition(processing_step("First", "--sleep", "1.5"),
                                         processing_step("Second", "--sleep", "1.5")))
    create(sagemaker, "pair-serial", definition(processing_step("First", "--sleep", "1.5"),
                                                processing_step("Second", "--sleep", "1.5")),
           ParallelismConfiguration={"MaxParallelExecutionSteps": 1})

    concurrent = sagemaker.start_pipeline_execution(PipelineName="pair")["PipelineExecutionArn"]
    assert wait_for_end(sagemaker, concurrent)["PipelineExecutionStatus"] == "Succeeded"
    serial = sagemaker.start_pipeline_execution(PipelineName="pair-serial")["PipelineExecutionArn"]
    serial_description = wait_for_end(sagemaker, serial)
    also_serial = sagemaker.start_pipeline_execution(
        PipelineName="pair", ParallelismConfiguration={"MaxParallelExecutionSteps": 1})["PipelineExecutionArn"]
    wait_for_end(sagemaker, also_serial)

    def steps(arn):
        listed = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
        assert {step["StepStatus"] for step in listed} == {"Succeeded"}
        return {step["StepName"]: step for step in listed}

    assert overlap(steps(concurrent))
    assert not overlap(steps(serial))
    assert not overlap(steps(also_serial))
    assert serial_description["ParallelismConfiguration"] == {"MaxParallelExecutionSteps": 1}


def test_a_reset_stops_and_forgets_running_executions(sagemaker, aws):
    create(sagemaker, "slow", definition(processing_step("Sleep", "--sleep", "321.5")))
    arn = sagemaker.start_pipeline_execution(PipelineName="slow")["PipelineExecutionArn"]
    wait_for(lambda: processes_mentioning("321.5"), "the step's script to run", timeout=120)

    aws.reset()

    assert processes_mentioning("321.5") == []
    assert error_of(lambda: sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn))[0] == "ResourceNotFound"


def test_container_steps_run_at_most_one_per_cpu_and_light_steps_do_not_wait(sagemaker):
    cpus = os.cpu_count() or 1
    names = [f"Work{index}" for index in range(cpus + 1)]
    light = {"Name": "Light", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "Equals", "LeftValue": 1, "RightValue": 1}], "IfSteps": [], "ElseSteps": []}}
    create(sagemaker, "wide", definition(*(processing_step(name, "--sleep", "1") for name in names), light))
    arn = sagemaker.start_pipeline_execution(PipelineName="wide")["PipelineExecutionArn"]
    assert wait_for_end(sagemaker, arn)["PipelineExecutionStatus"] == "Succeeded"

    steps = {step["StepName"]: step for step in
             sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]}
    work = [steps[name] for name in names]
    assert most_at_once(work) == cpus
    # Listed after every container step (the definition's order) yet done before any of them ended.
    assert steps["Light"]["EndTime"] < min(step["EndTime"] for step in work)


def most_at_once(steps: list[dict]) -> int:
    moments = sorted([(step["StartTime"], 1) for step in steps] + [(step["EndTime"], -1) for step in steps])
    running, most = 0, 0
    for _, change in moments:  # an end sorts before a start at the same instant
        running += change
        most = max(most, running)
    return most


def test_the_container_limit_holds_across_executions(sagemaker):
    cpus = os.cpu_count() or 1
    create(sagemaker, "per-cpu", definition(*(processing_step(f"Work{i}", "--sleep", "1") for i in range(cpus))))
    started = [sagemaker.start_pipeline_execution(PipelineName="per-cpu")["PipelineExecutionArn"] for _ in range(2)]
    for arn in started:
        assert wait_for_end(sagemaker, arn)["PipelineExecutionStatus"] == "Succeeded"

    steps = [step for arn in started
             for step in sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]]
    assert most_at_once(steps) == cpus
