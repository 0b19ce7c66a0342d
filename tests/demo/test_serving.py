"""The demo's endpoint helpers against the local stack: following a canary update on the stack's clock, the
bounded wait for the multi-model refresh, the sample rows and the data capture count (real boto3, real XGBoost)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import xgboost as xgb
from support import xgboost_model_archive
from support.roles import allow, bucket_arn, create_role, trust_policy

from localaws.tools.stack import advance_clock
from mlops_demo.environments import default_environments
from mlops_demo.serving import count_capture, first_rows, follow_update, pending_share, wait_for_versions
from mlops_demo.steps import ENDPOINT_ROLLBACK, ENDPOINT_SECONDARY, ENDPOINT_V1, ENDPOINT_V2, demo_steps
from pipelines.config import SINGLE_MODEL, EndpointSettings, load_config
from pipelines.errors import DeploymentFailed

PROD = load_config("prod")
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
CANARY = EndpointSettings(
    name="demo-canary", mode=SINGLE_MODEL, instance_type="ml.m5.large", initial_instance_count=1, min_capacity=1,
    max_capacity=1, target_invocations_per_instance=100, deployment_strategy="canary", traffic_step_percent=10,
    wait_interval_seconds=300, error_alarm_threshold=1, latency_alarm_threshold_ms=500)


def _archive(rounds: int) -> bytes:
    """A model.tar.gz as the built-in XGBoost algorithm writes it, trained on a few rows of two features."""
    rng = np.random.default_rng(rounds)
    features = rng.normal(size=(40, 2))
    booster = xgb.train({"objective": "binary:logistic", "seed": 7}, xgb.DMatrix(features, label=features[:, 0] > 0),
                        rounds)
    return xgboost_model_archive(booster)


@pytest.fixture
def prod(target):
    return target.session(PROD.account_id, PROD.aws_region)


@pytest.fixture
def bucket(prod) -> str:
    name = PROD.workload.data_bucket_name
    prod.client("s3").create_bucket(Bucket=name)
    # SageMaker downloads the served models as the endpoints' execution role.
    create_role(prod.client("iam"), PROD.require_serving().execution_role_name, trust_policy("sagemaker.amazonaws.com"),
                [allow("s3:GetObject", f"{bucket_arn(name)}/models/*")])
    return name


def _serving(prod, bucket: str, name: str, rounds: int) -> str:
    """A model and an endpoint config (one variant AllTraffic) of a model trained for `rounds` rounds."""
    prod.client("s3").put_object(Bucket=bucket, Key=f"models/{name}/model.tar.gz", Body=_archive(rounds))
    sagemaker = prod.client("sagemaker")
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=PROD.endpoint_execution_role_arn, PrimaryContainer={
        "Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://{bucket}/models/{name}/model.tar.gz"})
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": name, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
    return name


def test_the_endpoint_steps_follow_the_deploys_of_v1_and_v2():
    names = [step.name for step in demo_steps(default_environments())]
    assert names.index(ENDPOINT_V1) == names.index("deploy-prod") + 1
    assert names.index(ENDPOINT_V2) == names.index("approve-v2") + 1
    assert names.index(ENDPOINT_SECONDARY) == names.index(ENDPOINT_V2) + 1
    assert names.index(ENDPOINT_ROLLBACK) == names.index(ENDPOINT_SECONDARY) + 1


def test_a_canary_update_is_followed_through_both_baking_periods_by_moving_the_clock(aws, target, prod, bucket):
    sagemaker = prod.client("sagemaker")
    sagemaker.create_endpoint(EndpointName=CANARY.name, EndpointConfigName=_serving(prod, bucket, "v1", 3))
    advance_clock(aws.endpoint, 5)
    new_config = _serving(prod, bucket, "v2", 9)
    sagemaker.update_endpoint(EndpointName=CANARY.name, EndpointConfigName=new_config, DeploymentConfig={
        "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
            "Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}, "WaitIntervalInSeconds": 300}}})
    started = time.monotonic()

    followed = follow_update(sagemaker, CANARY, new_config, lambda seconds: advance_clock(aws.endpoint, seconds),
                             poll_seconds=0.2)

    assert followed.traffic_shares == (pytest.approx(0.1), 1.0)
    assert followed.advanced_seconds == 600
    assert (followed.endpoint["EndpointStatus"], followed.endpoint["EndpointConfigName"]) == ("InService", "v2")
    assert time.monotonic() - started < 300  # the baking passed on the stack's clock, not in real time


def test_an_endpoint_that_settles_on_another_config_fails_saying_it_still_serves_that_one(aws, prod, bucket):
    sagemaker = prod.client("sagemaker")
    sagemaker.create_endpoint(EndpointName=CANARY.name, EndpointConfigName=_serving(prod, bucket, "v1", 3))
    advance_clock(aws.endpoint, 5)

    with pytest.raises(DeploymentFailed, match=r"the update of endpoint demo-canary to v2 was rolled back: it still "
                                               r"serves v1"):
        follow_update(sagemaker, CANARY, "v2", lambda seconds: advance_clock(aws.endpoint, seconds), 0.2)


def test_pending_share_is_the_new_fleets_weight_while_it_bakes():
    baking = {"PendingDeploymentSummary": {"ProductionVariants": [{
        "VariantName": "AllTraffic", "DesiredWeight": 2.0, "CurrentWeight": 0.5,
        "VariantStatus": [{"Status": "Baking"}]}]}}
    creating = {"PendingDeploymentSummary": {"ProductionVariants": [{
        "VariantName": "AllTraffic", "DesiredWeight": 1.0, "VariantStatus": [{"Status": "Creating"}]}]}}
    assert pending_share(baking) == 0.25
    assert pending_share(creating) is None
    assert pending_share({"EndpointStatus": "InService"}) is None


def test_a_refresh_that_never_comes_fails_after_the_timeout_naming_the_endpoint_and_the_function(target, prod):
    multi = PROD.require_endpoint("mammo-severity-versions")

    with pytest.raises(DeploymentFailed) as failed:
        wait_for_versions(prod.client("sagemaker"), PROD, multi, [2, 1], "version 2's approval", poll_seconds=0.05,
                          timeout_seconds=0.2)

    refresh = PROD.require_serving().refresh_function_name
    assert str(failed.value) == (
        f"multi-model endpoint mammo-severity-versions does not serve version(s) 1, 2 0.2 s after version 2's "
        f"approval: endpoint mammo-severity-versions does not exist; the refresh function {refresh} (run on the "
        f"registry's 'SageMaker Model Package State Change' events) did not bring it up to date: see its log "
        f"group /aws/lambda/{refresh}")


def test_first_rows_reads_the_batch_head_and_refuses_a_short_file(prod, bucket):
    s3 = prod.client("s3")
    s3.put_object(Bucket=bucket, Key="batch.csv", Body=b"67,3,5,3\n43,1,1,3\n\n58,4,5,3\n")

    assert first_rows(s3, f"s3://{bucket}/batch.csv", 2) == ("67,3,5,3", "43,1,1,3")
    with pytest.raises(DeploymentFailed, match=rf"s3://{bucket}/batch.csv holds 3 rows, the demo invokes with 5"):
        first_rows(s3, f"s3://{bucket}/batch.csv", 5)


def test_capture_is_counted_in_objects_and_records_leaving_out_what_was_there_before(prod, bucket):
    s3 = prod.client("s3")
    record = json.dumps({"captureData": {}, "eventMetadata": {"eventId": "e"}, "eventVersion": "0"})
    keys = [f"endpoint-capture/mammo-severity/AllTraffic/2026/11/26/04/{n}.jsonl" for n in range(3)]
    s3.put_object(Bucket=bucket, Key=keys[0], Body=record + "\n")
    s3.put_object(Bucket=bucket, Key=keys[1], Body=f"{record}\n{record}\n")
    s3.put_object(Bucket=bucket, Key=keys[2], Body=record + "\n")
    s3.put_object(Bucket=bucket, Key="endpoint-models/elsewhere.jsonl", Body=record + "\n")

    assert count_capture(s3, f"s3://{bucket}/endpoint-capture", ignore={keys[0]}) == (2, 3)
    assert count_capture(s3, f"s3://{bucket}/endpoint-capture/") == (3, 4)
