"""One event path in the stack: pipeline status changes and any client's PutEvents reach the rules once, and the
targets are delivered there (SageMaker pipeline, SNS with the input transformer, Lambda, SQS by moto)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from support import wait_for
from support.roles import allow

from localaws.tools.stack import read_notifications
from pipelines.config import load_config
from pipelines.errors import LocalStackError

from .conftest import create_function

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

NOTIFY_SOURCE = """
    import json
    import boto3

    def handler(event, context):
        boto3.client("sns").publish(TopicArn=event["topic"], Message=json.dumps({"got": event["detail"]}))
"""


def test_a_failed_inference_starts_the_train_pipeline_and_alerts_exactly_once(dev):
    sagemaker = dev.client("sagemaker")
    failed_arn = sagemaker.start_pipeline_execution(
        PipelineName=dev.inference.rsplit("/", 1)[1], PipelineExecutionDisplayName="nightly")["PipelineExecutionArn"]
    failed = dev.wait_until_done(failed_arn)
    assert failed["PipelineExecutionStatus"] == "Failed"

    retrain = wait_for(lambda: dev.executions(dev.train), "the train pipeline to be started by the rule")
    assert len(retrain) == 1
    retrain_arn = retrain[0]["PipelineExecutionArn"]
    assert dev.wait_until_done(retrain_arn)["PipelineExecutionStatus"] == "Succeeded"
    parameters = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=retrain_arn)
    assert {"Name": "InputDataUri", "Value": dev.retrain_uri} in parameters["PipelineParameters"]

    deliveries = wait_for(lambda: len(dev.deliveries()) >= 2 and dev.deliveries(), "both targets delivered")
    assert [(d["rule"], d["target_id"], d["kind"], d["error"]) for d in deliveries] == [
        ("mammo-inference-failed", "start-train-pipeline", "sagemaker-pipeline", None),
        ("mammo-inference-failed", "alert", "sns", None),
    ]
    assert deliveries[0]["detail"] == retrain_arn
    assert deliveries[0]["detail_type"] == "SageMaker Model Building Pipeline Execution Status Change"

    notifications = dev.notifications()
    assert len(notifications) == 1
    assert notifications[0].message_id == deliveries[1]["detail"]
    message = json.loads(notifications[0].message)  # the template is a JSON string, as EventBridge delivers it
    assert message.startswith(f"SageMaker pipeline {dev.inference} execution nightly changed from Executing to "
                              "Failed at ")
    assert message.endswith(f". Execution: {failed_arn}.")


SLEEP_SOURCE = """
    import time

    def handler(event, context):
        time.sleep(float(event["seconds"]))
        return {}
"""


def test_a_stopped_execution_delivers_nothing_to_the_failure_rules(dev):
    """Stopped while its first step runs, the inference pipeline never reaches its Fail step: the Stopped event
    does not match the rule on Failed, so no retraining and no alert."""
    function = create_function(dev, "sleeper", SLEEP_SOURCE)
    sagemaker = dev.client("sagemaker")
    sagemaker.update_pipeline(PipelineName=dev.inference.rsplit("/", 1)[1], PipelineDefinition=json.dumps({
        "Version": "2020-12-01", "Parameters": [], "Steps": [
            # Long enough for the stop to arrive while it runs, also on a loaded machine.
            {"Name": "Wait", "Type": "Lambda", "FunctionArn": function["FunctionArn"], "Arguments": {"seconds": 15},
             "OutputParameters": []},
            {"Name": "DriftCheck", "Type": "Fail", "DependsOn": ["Wait"],
             "Arguments": {"ErrorMessage": "data drift detected"}}]}))
    execution_arn = sagemaker.start_pipeline_execution(
        PipelineName=dev.inference.rsplit("/", 1)[1])["PipelineExecutionArn"]
    wait_for(lambda: sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=execution_arn)[
        "PipelineExecutionSteps"], "the first step to start")

    try:
        sagemaker.stop_pipeline_execution(PipelineExecutionArn=execution_arn)
    except sagemaker.exceptions.ConflictException:  # it ended first: say how, so a failure names its cause
        ended = sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
        steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=execution_arn)["PipelineExecutionSteps"]
        pytest.fail(f"the execution ended {ended['PipelineExecutionStatus']} before the stop arrived: "
                    f"{ended.get('FailureReason')}; steps: "
                    + "; ".join(f"{step['StepName']} {step['StepStatus']} {step.get('FailureReason', '')}"
                                for step in steps))

    assert dev.wait_until_done(execution_arn)["PipelineExecutionStatus"] == "Stopped"
    assert dev.deliveries() == []
    assert dev.executions(dev.train) == []
    assert dev.notifications() == []


def test_a_disabled_rule_delivers_nothing(dev):
    dev.client("events").disable_rule(Name="mammo-inference-failed")
    failed_arn = dev.client("sagemaker").start_pipeline_execution(
        PipelineName=dev.inference.rsplit("/", 1)[1])["PipelineExecutionArn"]
    assert dev.wait_until_done(failed_arn)["PipelineExecutionStatus"] == "Failed"

    assert dev.deliveries() == []
    assert dev.executions(dev.train) == []
    assert dev.notifications() == []


def test_put_events_from_a_client_reaches_sns_lambda_and_sqs_targets_once(dev):
    events, sqs, sns = dev.client("events"), dev.client("sqs"), dev.client("sns")
    queue_url = sqs.create_queue(QueueName="model-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lambda_topic = sns.create_topic(Name="from-lambda")["TopicArn"]
    function = create_function(dev, "notifier", NOTIFY_SOURCE, statements=(allow("sns:Publish", lambda_topic),))
    events.put_rule(Name="model-approved", EventPattern=json.dumps(
        {"source": ["mlops.tests"], "detail": {"status": ["Approved"], "version": [{"numeric": [">=", 2]}]}}))
    events.put_targets(Rule="model-approved", Targets=[
        {"Id": "alert", "Arn": dev.topic, "InputTransformer": {
            "InputPathsMap": {"version": "$.detail.version"}, "InputTemplate": '"version <version> approved"'}},
        {"Id": "notifier", "Arn": function["FunctionArn"],
         "InputTransformer": {"InputPathsMap": {"detail": "$.detail"},
                              "InputTemplate": f'{{"topic": "{lambda_topic}", "detail": <detail>}}'}},
        {"Id": "queue", "Arn": queue_arn},
    ])

    answer = events.put_events(Entries=[
        {"Source": "mlops.tests", "DetailType": "Model Approved", "Detail": json.dumps({"status": "Approved",
                                                                                        "version": 3})},
        {"Source": "mlops.tests", "DetailType": "Model Approved", "Detail": json.dumps({"status": "Approved",
                                                                                        "version": 1})},
    ])

    assert answer["FailedEntryCount"] == 0
    deliveries = dev.deliveries()
    assert [(d["target_id"], d["kind"], d["error"]) for d in deliveries] == [
        ("alert", "sns", None), ("notifier", "lambda", None), ("queue", "moto", None)]
    assert {d["event_id"] for d in deliveries} == {answer["Entries"][0]["EventId"]}
    assert [n.message for n in dev.notifications()] == ['"version 3 approved"']
    from_lambda = wait_for(lambda: read_notifications(dev.endpoint, lambda_topic), "the Lambda target to run")
    assert [json.loads(n.message) for n in from_lambda] == [{"got": {"status": "Approved", "version": 3}}]
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    assert json.loads(messages[0]["Body"])["detail"] == {"status": "Approved", "version": 3}


def test_clients_cannot_put_events_of_aws_sources(dev):
    answer = dev.client("events").put_events(Entries=[{
        "Source": "aws.sagemaker", "DetailType": "SageMaker Model Building Pipeline Execution Status Change",
        "Detail": json.dumps({"currentPipelineExecutionStatus": "Failed", "pipelineArn": dev.inference})}])
    assert answer["FailedEntryCount"] == 1
    assert answer["Entries"][0]["ErrorCode"] == "NotAuthorizedForSourceException"
    assert dev.deliveries() == []


def test_deliveries_and_notifications_routes_refuse_bad_queries(dev):
    with pytest.raises(LocalStackError, match="HTTP 404"):
        read_notifications(dev.endpoint, f"arn:aws:sns:us-east-1:{ACCOUNTS.dev}:nope")
    with pytest.raises(LocalStackError, match=r"HTTP 400.*must be an SNS topic ARN"):
        read_notifications(dev.endpoint, "not-an-arn")
    from localaws.tools.stack import read_deliveries
    with pytest.raises(LocalStackError, match=r"HTTP 400.*12-digit account id"):
        read_deliveries(dev.endpoint, "dev")


def test_schedule_only_rules_match_no_event(dev):
    events = dev.client("events")
    events.put_rule(Name="every-day", ScheduleExpression="rate(1 day)")
    events.put_targets(Rule="every-day", Targets=[{"Id": "alert", "Arn": dev.topic}])
    events.put_events(Entries=[{"Source": "mlops.tests", "DetailType": "Anything", "Detail": "{}"}])
    assert dev.deliveries() == []


def test_invalid_schedule_expressions_are_refused_as_eventbridge_does(dev):
    events = dev.client("events")
    for expression in ("cron(0 6 * * * *)", "rate(2 day)", "cron(0 6 * *)"):
        with pytest.raises(ClientError, match="Parameter ScheduleExpression is not valid"):
            events.put_rule(Name="bad", ScheduleExpression=expression)


def test_step_status_changes_reach_rules_on_step_events(dev):
    events = dev.client("events")
    events.put_rule(Name="step-failed", EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Building Pipeline Execution Step Status Change"],
        "detail": {"currentStepStatus": ["Failed"], "pipelineArn": [dev.inference]}}))
    events.put_targets(Rule="step-failed", Targets=[{"Id": "alert", "Arn": dev.topic, "InputPath": "$.detail"}])
    execution_arn = dev.client("sagemaker").start_pipeline_execution(
        PipelineName=dev.inference.rsplit("/", 1)[1])["PipelineExecutionArn"]
    dev.wait_until_done(execution_arn)

    def step_alerts_so_far() -> list[dict]:
        messages = [json.loads(n.message) for n in dev.notifications()]
        return [m for m in messages if isinstance(m, dict) and "stepName" in m]  # not the pipeline's alert text

    step_alerts = wait_for(step_alerts_so_far, "the step event's alert")
    assert len(step_alerts) == 1
    detail = step_alerts[0]
    assert (detail["stepName"], detail["currentStepStatus"], detail["previousStepStatus"]) == (
        "DriftCheck", "Failed", "Executing")
    assert "data drift detected" in detail["failureReason"]
    assert (detail["pipelineArn"], detail["pipelineExecutionArn"]) == (dev.inference, execution_arn)
