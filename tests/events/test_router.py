"""EventRouter against the local stack: rules shaped like mlops-infra/modules/pipeline-triggers, in the dev account.

The pipeline target is started through the local stack's real SageMaker API (moto records the execution and its
parameters); the SNS alert is published through the real SNS API and read back through the stack's route.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipelines.aws import session_for_account
from pipelines.config import load_config
from pipelines.errors import LocalStackError, UsageError
from pipelines.local.events import STATUS_CHANGE_DETAIL_TYPE, EventRouter
from pipelines.local.notifications import format_email, read_notifications

ALERT_PATHS = {"pipeline": "$.detail.pipelineArn", "execution": "$.detail.pipelineExecutionArn",
               "name": "$.detail.pipelineExecutionDisplayName", "status": "$.detail.currentPipelineExecutionStatus",
               "previous": "$.detail.previousPipelineExecutionStatus", "time": "$.time"}
ALERT_TEMPLATE = ('"SageMaker pipeline <pipeline> execution <name> changed from <previous> to <status> at <time>. '
                  'Execution: <execution>."')


def _failed_pattern(pipeline_arn: str) -> str:
    return json.dumps({"source": ["aws.sagemaker"], "detail-type": [STATUS_CHANGE_DETAIL_TYPE],
                       "detail": {"currentPipelineExecutionStatus": ["Failed"], "pipelineArn": [pipeline_arn]}})


@pytest.fixture
def dev(aws):
    """The dev account's pipelines, topic and rules, created the way Terraform creates them."""
    config = load_config("dev")
    workload = config.require_workload()
    session = session_for_account(config.account_id, config.aws_region)
    sagemaker, events, sns = (session.client(name) for name in ("sagemaker", "events", "sns"))
    definition = json.dumps({"Version": "2020-12-01", "Parameters": [{"Name": "InputDataUri", "Type": "String"}],
                             "Steps": []})
    for name in (workload.train_pipeline_name, workload.inference_pipeline_name):
        sagemaker.create_pipeline(PipelineName=name, PipelineDefinition=definition,
                                  RoleArn=config.sagemaker_execution_role_arn)
    sns.create_topic(Name=workload.alert_topic_name)
    sns.subscribe(TopicArn=config.alert_topic_arn, Protocol="email", Endpoint=workload.alert_email)
    train_arn = config.pipeline_arn(workload.train_pipeline_name)
    inference_arn = config.pipeline_arn(workload.inference_pipeline_name)
    events_role = config.role_arn(workload.events_role_name)
    retrain_uri = f"s3://{workload.data_bucket_name}/data/train/"
    alert = {"Id": "alert", "Arn": config.alert_topic_arn,
             "InputTransformer": {"InputPathsMap": ALERT_PATHS, "InputTemplate": ALERT_TEMPLATE}}

    events.put_rule(Name="mammo-inference-failed", EventPattern=_failed_pattern(inference_arn))
    events.put_targets(Rule="mammo-inference-failed", Targets=[
        {"Id": "start-train-pipeline", "Arn": train_arn, "RoleArn": events_role,
         "SageMakerPipelineParameters": {"PipelineParameterList": [{"Name": "InputDataUri", "Value": retrain_uri}]}},
        alert,
    ])
    events.put_rule(Name="mammo-train-failed", EventPattern=_failed_pattern(train_arn))
    events.put_targets(Rule="mammo-train-failed", Targets=[alert])
    events.put_rule(Name="mammo-inference-schedule", ScheduleExpression=workload.inference_schedule.expression,
                    State="DISABLED")
    events.put_targets(Rule="mammo-inference-schedule", Targets=[
        {"Id": "start-inference-pipeline", "Arn": inference_arn, "RoleArn": events_role,
         "SageMakerPipelineParameters": {"PipelineParameterList": []}}])
    return {"config": config, "session": session, "train": train_arn, "inference": inference_arn,
            "retrain_uri": retrain_uri, "events_role": events_role, "endpoint": aws.endpoint}


def start_on_local_sagemaker(session, pipeline_arn: str, parameters: dict[str, str], role_arn: str | None) -> str:
    """What EventBridge does for a SageMaker pipeline target: StartPipelineExecution with the parameters."""
    response = session.client("sagemaker").start_pipeline_execution(
        PipelineName=pipeline_arn.rsplit("/", 1)[1],
        PipelineParameters=[{"Name": k, "Value": v} for k, v in parameters.items()])
    return response["PipelineExecutionArn"]


def _status_change(pipeline_arn: str, status: str, previous: str = "Executing") -> dict:
    return dict(pipeline_arn=pipeline_arn, execution_arn=f"{pipeline_arn}/execution/run1", display_name="run1",
                current_status=status, previous_status=previous,
                start_time=datetime(2026, 3, 1, 6, 0, tzinfo=UTC), end_time=datetime(2026, 3, 1, 6, 5, tzinfo=UTC),
                time=datetime(2026, 3, 1, 6, 5, 1, tzinfo=UTC))


def test_failed_inference_starts_retraining_and_sends_a_readable_alert(dev):
    started = []

    def start_pipeline(session, pipeline_arn, parameters, role_arn):
        started.append((pipeline_arn, parameters, role_arn))
        return start_on_local_sagemaker(session, pipeline_arn, parameters, role_arn)

    deliveries = EventRouter(start_pipeline=start_pipeline).publish_status_change(
        **_status_change(dev["inference"], "Failed"))

    assert [(d.rule_name, d.kind, d.target_arn) for d in deliveries] == [
        ("mammo-inference-failed", "sagemaker-pipeline", dev["train"]),
        ("mammo-inference-failed", "sns", dev["config"].alert_topic_arn),
    ]
    assert started == [(dev["train"], {"InputDataUri": dev["retrain_uri"]}, dev["events_role"])]
    sagemaker = dev["session"].client("sagemaker")
    executions = sagemaker.list_pipeline_executions(PipelineName=dev["config"].workload.train_pipeline_name)
    execution_arn = executions["PipelineExecutionSummaries"][0]["PipelineExecutionArn"]
    assert execution_arn in deliveries[0].detail
    recorded = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=execution_arn)
    assert recorded["PipelineParameters"] == [{"Name": "InputDataUri", "Value": dev["retrain_uri"]}]

    notifications = read_notifications(dev["endpoint"], dev["config"].alert_topic_arn)
    assert len(notifications) == 1
    message = notifications[0].message
    assert message == (f'"SageMaker pipeline {dev["inference"]} execution run1 changed from Executing to Failed at '
                       f'2026-03-01T06:05:01Z. Execution: {dev["inference"]}/execution/run1."')
    assert notifications[0].timestamp
    email = format_email(notifications[0], dev["config"].alert_topic_arn, [dev["config"].workload.alert_email])
    assert "Subject: AWS Notification Message" in email
    assert "To: mlops-alerts+dev@example.com" in email
    assert message in email


def test_failed_training_only_alerts(dev):
    deliveries = EventRouter(start_pipeline=start_on_local_sagemaker).publish_status_change(
        **_status_change(dev["train"], "Failed"))
    assert [(d.rule_name, d.kind) for d in deliveries] == [("mammo-train-failed", "sns")]
    assert len(read_notifications(dev["endpoint"], dev["config"].alert_topic_arn)) == 1


def test_succeeded_and_executing_events_match_nothing(dev):
    router = EventRouter(start_pipeline=start_on_local_sagemaker)
    assert router.publish_status_change(**_status_change(dev["inference"], "Executing", previous=None)) == []
    assert router.publish_status_change(**_status_change(dev["inference"], "Succeeded")) == []
    assert read_notifications(dev["endpoint"], dev["config"].alert_topic_arn) == []


def test_disabled_rules_are_not_evaluated(dev):
    dev["session"].client("events").disable_rule(Name="mammo-inference-failed")
    router = EventRouter(start_pipeline=start_on_local_sagemaker)
    assert router.publish_status_change(**_status_change(dev["inference"], "Failed")) == []
    assert router.fire_schedule(dev["config"].account_id, "us-east-1", "mammo-inference-schedule") == []


def test_an_enabled_schedule_starts_the_inference_pipeline_with_its_defaults(dev):
    dev["session"].client("events").enable_rule(Name="mammo-inference-schedule")
    started = []
    router = EventRouter(start_pipeline=lambda *call: started.append(call) or "execution-1")
    deliveries = router.fire_schedule(dev["config"].account_id, "us-east-1", "mammo-inference-schedule")
    assert [(d.kind, d.target_arn, d.detail) for d in deliveries] == [
        ("sagemaker-pipeline", dev["inference"], "started execution-1")]
    assert [(arn, params, role) for _, arn, params, role in started] == [(dev["inference"], {}, dev["events_role"])]


def test_schedule_errors_name_the_rule(dev):
    router = EventRouter(start_pipeline=start_on_local_sagemaker)
    with pytest.raises(UsageError, match="'no-such-rule' does not exist in account 222222222222"):
        router.fire_schedule("222222222222", "us-east-1", "no-such-rule")
    with pytest.raises(UsageError, match="'mammo-train-failed' has no ScheduleExpression"):
        router.fire_schedule("222222222222", "us-east-1", "mammo-train-failed")


def test_a_pipeline_target_without_start_pipeline_is_refused(dev):
    with pytest.raises(UsageError, match="without start_pipeline"):
        EventRouter().publish_status_change(**_status_change(dev["inference"], "Failed"))


def test_notifications_of_an_unknown_topic_or_a_remote_endpoint_fail_clearly(dev):
    with pytest.raises(LocalStackError, match="HTTP 404"):
        read_notifications(dev["endpoint"], "arn:aws:sns:us-east-1:222222222222:nope")
    with pytest.raises(LocalStackError, match=r"HTTP 400.*must be an SNS topic ARN"):
        read_notifications(dev["endpoint"], "not-an-arn")
    with pytest.raises(LocalStackError, match="not a local stack endpoint"):
        read_notifications("http://localhost.example.com:4566", dev["config"].alert_topic_arn)


def test_moto_still_delivers_its_own_target_types_but_not_for_disabled_rules(dev):
    session = dev["session"]
    sqs, events = session.client("sqs"), session.client("events")
    queue_url = sqs.create_queue(QueueName="pipeline-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="copy-to-queue", EventPattern=json.dumps({"source": ["aws.sagemaker"]}), State="DISABLED")
    events.put_targets(Rule="copy-to-queue", Targets=[{"Id": "queue", "Arn": queue_arn}])
    router = EventRouter(start_pipeline=start_on_local_sagemaker)

    router.publish_status_change(**_status_change(dev["inference"], "Succeeded"))
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)

    events.enable_rule(Name="copy-to-queue")
    deliveries = router.publish_status_change(**_status_change(dev["inference"], "Succeeded"))
    assert [(d.rule_name, d.kind) for d in deliveries] == [("copy-to-queue", "left-to-moto")]
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)["Messages"]
    assert json.loads(messages[0]["Body"])["detail"]["currentPipelineExecutionStatus"] == "Succeeded"
