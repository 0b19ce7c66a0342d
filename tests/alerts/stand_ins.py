"""What the alert function reads from SageMaker, answered from the local executor's execution records.

The local stack's moto server does not yet hold the executor's executions (DescribePipelineExecution answers
an empty FailureReason, ListPipelineExecutionSteps is not implemented), so the SageMaker client the handler
gets is this stand-in: its answers are the executor's own renderings of a record (`to_description`,
`to_step_list`), split into one step per page to exercise pagination. S3 and SNS are the real local stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
from botocore.exceptions import ClientError

from pipelines.local.events import status_change_event
from pipelines.local.executor.store import ExecutionRecord


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
    """The EventBridge event AWS emits when this execution fails (pipelines.local.events builds it)."""
    from datetime import datetime

    return status_change_event(
        pipeline_arn=record.pipeline_arn, execution_arn=record.execution_arn,
        display_name=record.display_name or f"execution-{record.execution_id}", current_status="Failed",
        previous_status="Executing", start_time=datetime.fromisoformat(record.creation_time),
        end_time=datetime.fromisoformat(record.end_time or record.last_modified_time))


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
