"""UpdateEndpoint: blue/green deployments over the stack's clock, traffic shifting, auto-rollback on alarms."""

from __future__ import annotations

import numpy as np
import pytest
from botocore.exceptions import ClientError

from localaws.sagemaker_endpoints.deployments import FLEET_READY_SECONDS

ALARM = "mammo-invocation-5xx"


def _deployment(canary: dict | None = None, wait: int = 0, alarms: bool = False, **policy) -> dict:
    routing = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": wait} if canary is None else \
        {**canary, "WaitIntervalInSeconds": wait}
    config = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing, **policy}}
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": ALARM}]}
    return config


@pytest.fixture
def v1_then_v2(hosting, single_endpoint) -> str:
    """The endpoint `mammo` serving v1, and a configuration `mammo-v2-config` of v2 ready to deploy."""
    single_endpoint("mammo", "v1")
    hosting.model("mammo-v2-model", "v2")
    hosting.config("mammo-v2-config", ("AllTraffic", "mammo-v2-model", 1.0))
    return "mammo"


def test_v1_serves_until_the_v2_fleet_is_in_service_and_a_second_update_is_refused(hosting, mammo, v1_then_v2):
    hosting.sm.update_endpoint(EndpointName="mammo", EndpointConfigName="mammo-v2-config",
                               DeploymentConfig=_deployment(wait=300))
    description = hosting.describe("mammo")
    assert description["EndpointStatus"] == "Updating"
    assert description["EndpointConfigName"] == "mammo-config"
    pending = description["PendingDeploymentSummary"]
    assert pending["EndpointConfigName"] == "mammo-v2-config"
    assert pending["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Creating"
    assert description["LastDeploymentConfig"] == _deployment(wait=300)
    np.testing.assert_allclose(hosting.scores("mammo"), mammo.scores("v1"), rtol=0, atol=1e-6)
    with pytest.raises(ClientError) as refused:
        hosting.sm.update_endpoint(EndpointName="mammo", EndpointConfigName="mammo-config")
    assert refused.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f'Cannot update in-progress endpoint "{description["EndpointArn"]}".'}

    hosting.advance(FLEET_READY_SECONDS)  # the v2 fleet takes all traffic at once and bakes for 300 s
    description = hosting.describe("mammo")
    assert description["EndpointStatus"] == "Updating"
    assert description["PendingDeploymentSummary"]["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Baking"
    np.testing.assert_allclose(hosting.scores("mammo"), mammo.scores("v2"), rtol=0, atol=1e-6)

    hosting.advance(300)
    description = hosting.describe("mammo")
    assert (description["EndpointStatus"], description["EndpointConfigName"]) == ("InService", "mammo-v2-config")
    assert "PendingDeploymentSummary" not in description
    assert "FailureReason" not in description
    np.testing.assert_allclose(hosting.scores("mammo"), mammo.scores("v2"), rtol=0, atol=1e-6)


def test_an_update_without_waiting_completes_as_soon_as_the_fleet_is_ready(hosting, mammo, v1_then_v2):
    hosting.sm.update_endpoint_weights_and_capacities(EndpointName="mammo", DesiredWeightsAndCapacities=[
        {"VariantName": "AllTraffic", "DesiredWeight": 0.5, "DesiredInstanceCount": 3}])
    hosting.sm.update_endpoint(EndpointName="mammo", EndpointConfigName="mammo-v2-config",
                               RetainAllVariantProperties=True,
                               ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredInstanceCount"}])
    hosting.advance(FLEET_READY_SECONDS)
    description = hosting.describe("mammo")
    assert (description["EndpointStatus"], description["EndpointConfigName"]) == ("InService", "mammo-v2-config")
    variant = description["ProductionVariants"][0]
    assert (variant["CurrentWeight"], variant["CurrentInstanceCount"]) == (0.5, 2)  # weight kept, count from v2
    np.testing.assert_allclose(hosting.scores("mammo"), mammo.scores("v2"), rtol=0, atol=1e-6)


def test_a_canary_whose_alarm_goes_off_while_baking_rolls_back_to_v1(hosting, mammo, v1_then_v2):
    hosting.cloudwatch.put_metric_alarm(
        AlarmName=ALARM, Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors", Statistic="Sum",
        Dimensions=[{"Name": "EndpointName", "Value": "mammo"}, {"Name": "VariantName", "Value": "AllTraffic"}],
        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    canary = {"Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50}}
    hosting.sm.update_endpoint(EndpointName="mammo", EndpointConfigName="mammo-v2-config",
                               DeploymentConfig=_deployment(canary, wait=600, alarms=True))
    hosting.advance(FLEET_READY_SECONDS)
    assert hosting.describe("mammo")["EndpointStatus"] == "Updating"
    row = mammo.rows[:1]
    served = {round(float(hosting.scores("mammo", row)[0]), 6) for _ in range(30)}  # half the traffic each
    assert served == {round(float(mammo.scores(version, row)[0]), 6) for version in ("v1", "v2")}

    hosting.cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5XX errors on v2")
    hosting.advance(600)
    description = hosting.describe("mammo")
    assert (description["EndpointStatus"], description["EndpointConfigName"]) == ("InService", "mammo-config")
    assert ALARM in description["FailureReason"]
    assert "PendingDeploymentSummary" not in description
    np.testing.assert_allclose(hosting.scores("mammo"), mammo.scores("v1"), rtol=0, atol=1e-6)


def test_a_linear_update_shifts_step_by_step_and_completes_without_alarms(hosting, mammo, v1_then_v2):
    hosting.cloudwatch.put_metric_alarm(
        AlarmName=ALARM, Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors", Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    linear = {"Type": "LINEAR", "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 1}}  # 1 of 2 instances
    hosting.sm.update_endpoint(EndpointName="mammo", EndpointConfigName="mammo-v2-config",
                               DeploymentConfig=_deployment(linear, wait=120, alarms=True,
                                                            TerminationWaitInSeconds=60))
    hosting.advance(FLEET_READY_SECONDS)
    pending = hosting.describe("mammo")["PendingDeploymentSummary"]["ProductionVariants"][0]
    assert pending["VariantStatus"][0]["StatusMessage"] == "50% of the traffic"
    hosting.advance(120)
    pending = hosting.describe("mammo")["PendingDeploymentSummary"]["ProductionVariants"][0]
    assert pending["VariantStatus"][0]["StatusMessage"] == "100% of the traffic"
    hosting.advance(120)  # baked; the old fleet goes after TerminationWaitInSeconds
    assert hosting.describe("mammo")["EndpointStatus"] == "Updating"
    with pytest.raises(ClientError, match="Cannot update in-progress endpoint"):
        hosting.sm.delete_endpoint(EndpointName="mammo")
    hosting.advance(60)
    description = hosting.describe("mammo")
    assert (description["EndpointStatus"], description["EndpointConfigName"]) == ("InService", "mammo-v2-config")


def test_a_canary_larger_than_half_the_fleet_is_refused(hosting, v1_then_v2):
    canary = {"Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 80}}
    with pytest.raises(ClientError, match="at most 50% of the new fleet's capacity"):
        hosting.sm.update_endpoint(EndpointName="mammo", EndpointConfigName="mammo-v2-config",
                                   DeploymentConfig=_deployment(canary, wait=60))
    assert hosting.describe("mammo")["EndpointStatus"] == "InService"


def test_an_update_still_running_at_its_maximum_execution_time_rolls_back(hosting, mammo, v1_then_v2):
    linear = {"Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 10}}  # ten bakes of 600 s
    hosting.sm.update_endpoint(EndpointName="mammo", EndpointConfigName="mammo-v2-config",
                               DeploymentConfig=_deployment(linear, wait=600, MaximumExecutionTimeoutInSeconds=1800))
    hosting.advance(1800)
    description = hosting.describe("mammo")
    assert (description["EndpointStatus"], description["EndpointConfigName"]) == ("InService", "mammo-config")
    assert "MaximumExecutionTimeoutInSeconds (1800)" in description["FailureReason"]
    np.testing.assert_allclose(hosting.scores("mammo"), mammo.scores("v1"), rtol=0, atol=1e-6)


def test_a_clock_jump_past_the_maximum_execution_time_completes_an_update_that_ended_before_it(hosting, v1_then_v2):
    hosting.sm.update_endpoint(EndpointName="mammo", EndpointConfigName="mammo-v2-config",
                               DeploymentConfig=_deployment(wait=600, MaximumExecutionTimeoutInSeconds=1800))
    hosting.advance(3600)
    description = hosting.describe("mammo")
    assert (description["EndpointStatus"], description["EndpointConfigName"]) == ("InService", "mammo-v2-config")
    assert "FailureReason" not in description
