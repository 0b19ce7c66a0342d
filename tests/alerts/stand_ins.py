"""What the alert function reads from SageMaker, answered from executor records that never ran in the stack.

The executor's unit tests run the executor in the test process, and the alert tests describe failures that
would need a deployed Lambda or a registered Model Monitor baseline to happen for real; the local stack does not
hold those executions, so the SageMaker client the handler gets here answers with the executor's own renderings
of a record (`to_description`, `to_step_list`, the shapes the stack serves), one step per page to exercise
pagination. S3 and SNS are the real local stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
from botocore.exceptions import ClientError

from localaws.events.delivery import pipeline_status_change_event
from localaws.sagemaker_pipelines.store import ExecutionRecord


class RecordedSageMaker:
    def __init__(self, *records: ExecutionRecord):
        self.records = {record.execution_arn: record for record in records}

    def _record(self, arn: str) -> ExecutionRecord:
        if arn not in self.records:
            raise ClientError({"Error": {"Code": "ResourceNotFound", "Message": f"Pipeline execution {arn} "
                                         "does not exist."}}, "DescribePipelineExecution")
        return self.records[arn]

    def describe_pipeline_execution(self, PipelineExecutionArn: str) -> dict:
        return self._record(PipelineExecutionArn).to_description()

    def get_paginator(self, operation: str):
        assert operation == "list_pipeline_execution_steps", operation
        return self

    def paginate(self, PipelineExecutionArn: str) -> Iterator[dict]:
        steps = self._record(PipelineExecutionArn).to_step_list()["PipelineExecutionSteps"]
        for index, step in enumerate(steps):
            page = {"PipelineExecutionSteps": [step]}
            if index + 1 < len(steps):
                page["NextToken"] = str(index + 1)
            yield page


def failed_event(record: ExecutionRecord) -> dict:
    """The EventBridge event SageMaker emits when this execution fails (built as the stack builds it)."""
    return pipeline_status_change_event({**record.to_description(), "PipelineExecutionStatus": "Failed"},
                                        previous_status="Executing")


def alert_inbox(session: boto3.Session, topic_name: str) -> tuple[str, callable]:
    """An SNS topic with an SQS queue subscribed; returns (topic ARN, read() -> [(subject, message)])."""
    sns, sqs = session.client("sns"), session.client("sqs")
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    queue = sqs.create_queue(QueueName=f"{topic_name}-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    def read() -> list[tuple[str, str]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        envelopes = [json.loads(message["Body"]) for message in messages]
        return [(envelope.get("Subject"), envelope["Message"]) for envelope in envelopes]

    return topic, read
