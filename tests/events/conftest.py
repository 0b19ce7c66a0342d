"""Fixtures of the event tests: the dev account's pipelines, topic and rules, created as Terraform creates them
(mlops-infra/modules/pipeline-triggers), on the reset session stack."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from textwrap import dedent

import boto3
import pytest
from support import wait_for_end
from support.platform import create_events_role, provision_execution_role
from support.roles import create_role, trust_policy

from localaws.events.delivery import PIPELINE_STATUS_CHANGE
from localaws.tools.stack import read_deliveries, read_notifications
from pipelines.aws import session_for_account
from pipelines.config import EnvConfig, load_config

# The alert of mlops-infra/modules/pipeline-triggers (input paths and template).
ALERT_PATHS = {"pipeline": "$.detail.pipelineArn", "execution": "$.detail.pipelineExecutionArn",
               "name": "$.detail.pipelineExecutionDisplayName", "status": "$.detail.currentPipelineExecutionStatus",
               "previous": "$.detail.previousPipelineExecutionStatus", "time": "$.time"}
ALERT_TEMPLATE = ('"SageMaker pipeline <pipeline> execution <name> changed from <previous> to <status> at <time>. '
                  'Execution: <execution>."')


def failed_pattern(pipeline_arn: str) -> str:
    return json.dumps({"source": ["aws.sagemaker"], "detail-type": [PIPELINE_STATUS_CHANGE],
                       "detail": {"currentPipelineExecutionStatus": ["Failed"], "pipelineArn": [pipeline_arn]}})


@dataclass
class Dev:
    config: EnvConfig
    session: boto3.Session
    endpoint: str
    train: str
    inference: str
    retrain_uri: str
    events_role: str
    topic: str

    def client(self, service: str):
        return self.session.client(service)

    def deliveries(self) -> list[dict]:
        return read_deliveries(self.endpoint, self.config.account_id)

    def notifications(self):
        return read_notifications(self.endpoint, self.topic)

    def executions(self, pipeline_arn: str) -> list[dict]:
        return self.client("sagemaker").list_pipeline_executions(
            PipelineName=pipeline_arn.rsplit("/", 1)[1])["PipelineExecutionSummaries"]

    def wait_until_done(self, execution_arn: str) -> dict:
        return wait_for_end(self.client("sagemaker"), execution_arn, timeout=60)


# The inference pipeline fails at once (as on data drift); the train pipeline succeeds at once.
INFERENCE_DEFINITION = json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": [
    {"Name": "DriftCheck", "Type": "Fail", "Arguments": {"ErrorMessage": "data drift detected"}}]})
TRAIN_DEFINITION = json.dumps({"Version": "2020-12-01", "Parameters": [
    {"Name": "InputDataUri", "Type": "String", "DefaultValue": "s3://default/"}], "Steps": [
    {"Name": "Check", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "Equals", "LeftValue": 1, "RightValue": 1}], "IfSteps": [], "ElseSteps": []}}]})


@pytest.fixture
def dev(aws) -> Dev:
    """The dev account's pipelines, topic and failure rules, created the way Terraform creates them."""
    config = load_config("dev")
    workload = config.require_workload()
    session = session_for_account(config.account_id, config.aws_region)
    sagemaker, events, sns = (session.client(name) for name in ("sagemaker", "events", "sns"))
    provision_execution_role(session, config)  # SageMaker assumes it to run the pipelines the rules start
    sagemaker.create_pipeline(PipelineName=workload.train_pipeline_name, PipelineDefinition=TRAIN_DEFINITION,
                              RoleArn=config.sagemaker_execution_role_arn)
    sagemaker.create_pipeline(PipelineName=workload.inference_pipeline_name, PipelineDefinition=INFERENCE_DEFINITION,
                              RoleArn=config.sagemaker_execution_role_arn)
    sns.create_topic(Name=workload.alert_topic_name)
    sns.subscribe(TopicArn=config.alert_topic_arn, Protocol="email", Endpoint=workload.alert_email)
    create_events_role(session, config)
    train_arn = config.pipeline_arn(workload.train_pipeline_name)
    inference_arn = config.pipeline_arn(workload.inference_pipeline_name)
    events_role = config.role_arn(workload.events_role_name)
    retrain_uri = f"s3://{workload.data_bucket_name}/data/train/"
    alert = {"Id": "alert", "Arn": config.alert_topic_arn,
             "InputTransformer": {"InputPathsMap": ALERT_PATHS, "InputTemplate": ALERT_TEMPLATE}}
    events.put_rule(Name="mammo-inference-failed", EventPattern=failed_pattern(inference_arn))
    events.put_targets(Rule="mammo-inference-failed", Targets=[
        {"Id": "start-train-pipeline", "Arn": train_arn, "RoleArn": events_role,
         "SageMakerPipelineParameters": {"PipelineParameterList": [{"Name": "InputDataUri", "Value": retrain_uri}]}},
        alert,
    ])
    events.put_rule(Name="mammo-train-failed", EventPattern=failed_pattern(train_arn))
    events.put_targets(Rule="mammo-train-failed", Targets=[alert])
    return Dev(config=config, session=session, endpoint=aws.endpoint, train=train_arn, inference=inference_arn,
               retrain_uri=retrain_uri, events_role=events_role, topic=config.alert_topic_arn)


def lambda_zip(**modules: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in modules.items():
            archive.writestr(f"{name}.py", dedent(source))
    return buffer.getvalue()


def create_function(dev: Dev, name: str, source: str, handler: str = "handler.handler",
                    variables: dict[str, str] | None = None, statements: tuple[dict, ...] = ()) -> dict:
    """A function running `source`, its role granted `statements` (what the handler calls)."""
    role = create_role(dev.client("iam"), f"{name}-role", trust_policy("lambda.amazonaws.com"), statements)
    return dev.client("lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler=handler, Timeout=30,
        Code={"ZipFile": lambda_zip(handler=source)}, Environment={"Variables": variables or {}})
