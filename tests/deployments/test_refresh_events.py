"""The registry's model package state changes reach the workload account's refresh function, with real boto3
(the rules and the function of the `refresh_path` fixture, created as the Terraform creates them). An SQS queue
on the workload rule shows the event as it arrives."""

from __future__ import annotations

import json
import time

from support import wait_for

from localaws.events.delivery import MODEL_PACKAGE_STATE_CHANGE
from localaws.tools.stack import read_deliveries
from pipelines.endpoints.deployment import refresh_settings
from pipelines.endpoints.refresh import refresh

ENDPOINT = "mammo-severity-versions"


def received(serving, queue: str) -> list[dict]:
    sqs = serving.dev.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def prefix_keys(serving) -> list[str]:
    bucket = serving.config.require_workload().data_bucket_name
    listed = serving.dev.client("s3").list_objects_v2(Bucket=bucket, Prefix=f"endpoint-models/{ENDPOINT}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def test_an_approval_in_the_registry_refreshes_the_multi_model_endpoint_with_no_manual_step(serving, refresh_path):
    version = serving.register("shallow")  # PendingManualApproval: matched, refreshed, nothing to serve yet

    [created] = wait_for(lambda: received(serving, refresh_path), "the registration's event in the dev account")
    assert created["detail-type"] == MODEL_PACKAGE_STATE_CHANGE
    assert (created["source"], created["account"], created["region"]) == ("aws.sagemaker", "111111111111",
                                                                          "us-east-1")
    assert created["resources"] == [serving.package_arn(version)]
    detail = created["detail"]
    assert (detail["ModelPackageGroupName"], detail["ModelPackageVersion"], detail["ModelPackageArn"]) == (
        "mammo-severity", version, serving.package_arn(version))
    assert (detail["ModelApprovalStatus"], detail["ModelPackageStatus"]) == ("PendingManualApproval", "Completed")
    assert detail["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].endswith("/model.tar.gz")
    assert detail["CreationTime"].endswith("Z")

    serving.review(version, "Approved")

    [approved] = wait_for(lambda: received(serving, refresh_path), "the approval's event")
    assert approved["detail"]["ModelApprovalStatus"] == "Approved"
    wait_for(lambda: prefix_keys(serving), "the refresh to copy the approved version")
    assert prefix_keys(serving) == [f"endpoint-models/{ENDPOINT}/mammo-severity/v1.tar.gz"]
    data_bucket = serving.config.require_workload().data_bucket_name
    copied = serving.dev.client("s3").head_object(Bucket=data_bucket, Key=prefix_keys(serving)[0])
    assert (copied["ServerSideEncryption"], copied["SSEKMSKeyId"]) == ("aws:kms", serving.kms_key_arn)
    sagemaker = serving.dev.client("sagemaker")
    endpoint = wait_for(lambda: sagemaker.list_endpoints()["Endpoints"], "the endpoint to be created")
    assert [e["EndpointName"] for e in endpoint] == [ENDPOINT]
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"])
    model = sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    assert model["PrimaryContainer"]["Mode"] == "MultiModel"
    assert model["PrimaryContainer"]["ModelDataUrl"] == f"s3://{data_bucket}/endpoint-models/{ENDPOINT}/"

    deliveries = read_deliveries(serving.target.endpoint, serving.config.account_id)
    refreshes = [d for d in deliveries if d["target_id"] == "refresh-multi-model-endpoints"]
    assert [(d["kind"], d["error"]) for d in refreshes] == [("lambda", None), ("lambda", None)]
    forwarded = read_deliveries(serving.target.endpoint, serving.config.accounts.registry)
    assert [(d["kind"], d["error"]) for d in forwarded] == [("event-bus", None), ("event-bus", None)]


def test_an_update_that_keeps_the_approval_status_puts_no_event(serving, refresh_path):
    version = serving.register("shallow", "Approved")
    wait_for(lambda: received(serving, refresh_path), "the registration's event")
    serving.registry.client("sagemaker").update_model_package(
        ModelPackageArn=serving.package_arn(version), ApprovalDescription="still good")

    time.sleep(0.5)  # an event would have been delivered synchronously within the call; none may arrive
    assert received(serving, refresh_path) == []


def test_a_second_refresh_changes_nothing(serving):
    serving.register("shallow", "Approved")
    serving.register("deep", "Rejected")
    settings = refresh_settings(serving.dev, serving.config)

    first = refresh(serving.dev, settings).as_dict()["endpoints"]
    again = refresh(serving.dev, settings).as_dict()["endpoints"]

    assert [(e["endpoint"], e["versions"], e["copied"], e["action"]) for e in first] == [
        (ENDPOINT, [1], [1], "created")]
    assert [(e["versions"], e["copied"], e["removed"], e["action"], e["config_name"]) for e in again] == [
        ([1], [], [], "unchanged", first[0]["config_name"])]
    assert prefix_keys(serving) == [f"endpoint-models/{ENDPOINT}/mammo-severity/v1.tar.gz"]
