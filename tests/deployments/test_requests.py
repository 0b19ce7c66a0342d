"""What deploy-endpoint and the refresh send SageMaker, without calling it: content-addressed names, the blue/green
policy of each strategy, data capture, the refresh function's settings contract, the invoke helper's checks."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from pipelines.config import load_config
from pipelines.endpoints import hosting
from pipelines.endpoints.invoke import parse_predictions, resolve_target_model
from pipelines.endpoints.refresh import RefreshSettings, ServedEndpoint
from pipelines.errors import TargetModelNotAllowed, UsageError

SAGEMAKER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
DEV = load_config("dev")
SINGLE = DEV.require_endpoint("mammo-severity")
PACKAGE = "arn:aws:sagemaker:us-east-1:111111111111:model-package/mammo-severity/3"
ROLE = DEV.endpoint_execution_role_arn
CAPTURE = hosting.Capture("s3://mammo-data-222222222222/endpoint-capture", 100,
                          "arn:aws:kms:us-east-1:222222222222:key/k")


def test_names_are_content_addressed_valid_and_change_with_any_setting():
    model = hosting.single_model_request(SINGLE, PACKAGE, 3, ROLE)
    assert model == hosting.single_model_request(SINGLE, PACKAGE, 3, ROLE)
    assert model["ModelName"].startswith("mammo-severity-v3-")
    config = hosting.endpoint_config_request(SINGLE, model["ModelName"], CAPTURE, [3])
    assert config["EndpointConfigName"].startswith("mammo-severity-v3-")
    bigger = dataclasses.replace(SINGLE, instance_type="ml.m5.xlarge")
    assert hosting.endpoint_config_request(bigger, model["ModelName"], CAPTURE, [3])["EndpointConfigName"] \
        != config["EndpointConfigName"]
    other_role = hosting.single_model_request(SINGLE, PACKAGE, 3, ROLE + "-2")["ModelName"]
    assert other_role != model["ModelName"]
    long_name = dataclasses.replace(SINGLE, name="e" * 63)
    for name in (model["ModelName"], config["EndpointConfigName"],
                 hosting.single_model_request(long_name, PACKAGE, 12345, ROLE)["ModelName"]):
        assert SAGEMAKER_NAME.fullmatch(name), name


def test_endpoint_config_has_one_variant_and_captures_requests_and_answers_encrypted():
    config = hosting.endpoint_config_request(SINGLE, "m", CAPTURE, [3])
    assert config["ProductionVariants"] == [{"VariantName": "AllTraffic", "ModelName": "m",
                                             "InstanceType": "ml.m5.large", "InitialInstanceCount": 1,
                                             "InitialVariantWeight": 1.0}]
    capture = config["DataCaptureConfig"]
    assert (capture["DestinationS3Uri"], capture["KmsKeyId"], capture["InitialSamplingPercentage"]) == (
        CAPTURE.s3_uri, CAPTURE.kms_key_arn, 100)
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]
    assert "DataCaptureConfig" not in hosting.endpoint_config_request(
        SINGLE, "m", dataclasses.replace(CAPTURE, sampling_percent=0), [3])


@pytest.mark.parametrize(("strategy", "step", "expected"), [
    ("all-at-once", None, {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}),
    ("canary", 10, {"Type": "CANARY", "WaitIntervalInSeconds": 300,
                    "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}}),
    ("linear", 25, {"Type": "LINEAR", "WaitIntervalInSeconds": 300,
                    "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25}}),
])
def test_blue_green_policy_of_each_strategy_rolls_back_on_the_endpoint_alarms(strategy, step, expected):
    endpoint = dataclasses.replace(SINGLE, deployment_strategy=strategy, traffic_step_percent=step,
                                   wait_interval_seconds=expected["WaitIntervalInSeconds"])
    policy = hosting.deployment_config(endpoint)
    assert policy["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == expected
    assert policy["AutoRollbackConfiguration"] == {"Alarms": [
        {"AlarmName": "mammo-severity-invocation-5xx-errors"}, {"AlarmName": "mammo-severity-model-latency"}]}


def test_prod_deploys_by_canary():
    prod = load_config("prod").require_endpoint("mammo-severity")
    routing = hosting.deployment_config(prod)["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert (routing["Type"], routing["CanarySize"]["Value"]) == ("CANARY", 10)


SETTINGS = {
    "model_package_group_arn": DEV.model_package_group_arn,
    "models_s3_uri": "s3://mammo-data-222222222222/endpoint-models",
    "kms_key_arn": "arn:aws:kms:us-east-1:222222222222:key/k",
    "execution_role_arn": ROLE,
    "capture_s3_uri": "s3://mammo-data-222222222222/endpoint-capture",
    "capture_sampling_percent": 100,
    "endpoints": [{"name": "mammo-severity-versions", "instance_type": "ml.m5.large", "initial_instance_count": 1,
                   "deployment_strategy": "all-at-once", "traffic_step_percent": None, "wait_interval_seconds": 0,
                   "alarm_names": ["a", "b"]}],
}


def test_refresh_settings_read_the_terraform_contract_and_write_it_back():
    settings = RefreshSettings.from_json(json.dumps(SETTINGS))
    assert settings.endpoints == (ServedEndpoint("mammo-severity-versions", "ml.m5.large", 1, "all-at-once", None, 0,
                                                 ("a", "b")),)
    assert settings.models_uri("mammo-severity-versions") == \
        "s3://mammo-data-222222222222/endpoint-models/mammo-severity-versions/"
    assert json.loads(settings.as_json()) == SETTINGS


@pytest.mark.parametrize(("change", "message"), [
    ({"kms_key_arn": None}, "REFRESH_SETTINGS.kms_key_arn has the wrong type"),
    ({"models_s3_uri": "bucket/prefix"}, "REFRESH_SETTINGS.models_s3_uri is 'bucket/prefix': use s3://"),
    ({"endpoints": [{**SETTINGS["endpoints"][0], "deployment_strategy": "blue"}]},
     "REFRESH_SETTINGS.endpoints[0].deployment_strategy is 'blue': use one of all-at-once, canary, linear"),
    ({"endpoints": [{**SETTINGS["endpoints"][0], "initial_instance_count": True}]},
     "REFRESH_SETTINGS.endpoints[0].initial_instance_count has the wrong type"),
])
def test_bad_refresh_settings_name_the_key(change, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        RefreshSettings.from_json(json.dumps({**SETTINGS, **change}))
    with pytest.raises(UsageError, match=r"REFRESH_SETTINGS\.capture_s3_uri is missing"):
        RefreshSettings.from_json(json.dumps({k: v for k, v in SETTINGS.items() if k != "capture_s3_uri"}))
    with pytest.raises(UsageError, match="REFRESH_SETTINGS is not set"):
        RefreshSettings.from_json(None)


def test_a_target_model_is_refused_for_a_single_model_endpoint_and_required_names_the_version():
    with pytest.raises(TargetModelNotAllowed, match="endpoint mammo-severity is single-model"):
        resolve_target_model(DEV, "mammo-severity", 2, None)
    with pytest.raises(TargetModelNotAllowed, match="single-model"):
        resolve_target_model(DEV, "mammo-severity", None, "mammo-severity/v2.tar.gz")
    assert resolve_target_model(DEV, "mammo-severity", None, None) is None
    assert resolve_target_model(DEV, "mammo-severity-versions", 2, None) == "mammo-severity/v2.tar.gz"


@pytest.mark.parametrize(("body", "content_type", "scores"), [
    ("0.25\n0.75\n", "text/csv; charset=utf-8", (0.25, 0.75)),
    ("0.25,0.75", "text/csv", (0.25, 0.75)),
    ('{"predictions": [{"score": 0.25}, {"score": 0.75}]}', "application/json", (0.25, 0.75)),
])
def test_answers_are_read_as_csv_or_json(body, content_type, scores):
    assert parse_predictions(body, content_type) == scores
