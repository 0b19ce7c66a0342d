"""Endpoints serving real predictions on the local stack: promotion, rollback, the multi-model refresh, the stage
scripts.

Marked `serving`: these need the stack's hosting emulation (CreateEndpoint going Creating -> InService,
UpdateEndpoint's blue/green deployments, InvokeEndpoint answering with the model's XGBoost predictions), which
moto alone lacks: without it they FAIL (moto has no UpdateEndpoint and answers InvokeEndpoint with a fixed
body), they are never skipped. Run them with `pytest -m serving tests/deployments`.
"""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import tarfile

import pytest
import xgboost as xgb
from support import wait_for

from pipelines.config import REPO_ROOT
from pipelines.endpoints.deploy import deploy_endpoint
from pipelines.endpoints.deployment import DeployRequest
from pipelines.endpoints.invoke import SMOKE_ROWS, csv_payload, invoke
from pipelines.errors import EXIT_EXECUTION_FAILED, EXIT_USAGE, DeploymentFailed, MlopsError

pytestmark = [pytest.mark.serving, pytest.mark.slow]

SINGLE, MULTI = "mammo-severity", "mammo-severity-versions"


def local_scores(archive: bytes) -> tuple[float, ...]:
    """What the booster in `archive` predicts for SMOKE_ROWS, computed here with xgboost."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        booster = xgb.Booster(model_file=bytearray(tar.extractfile("xgboost-model").read()))
    return tuple(float(score) for score in booster.predict(xgb.DMatrix([list(row) for row in SMOKE_ROWS])))


def scores(serving, endpoint: str = SINGLE, version: int | None = None) -> tuple[float, ...]:
    return invoke(serving.target, serving.config, endpoint, csv_payload(SMOKE_ROWS), version=version).predictions


def test_promotion_switches_predictions_and_rollback_after_a_rejection_serves_the_previous_version(
        serving, deploy_cli, capsys):
    shallow, deep = serving.register("shallow", "Approved"), serving.register("deep", "Approved")
    expected = {shallow: local_scores(serving.archives["shallow"]), deep: local_scores(serving.archives["deep"])}
    assert expected[shallow] != pytest.approx(expected[deep])

    first = deploy_endpoint(DeployRequest("dev", SINGLE, version=shallow, wait=True), serving.target)
    assert (first.action, first.serving.status, first.serving.versions) == ("created", "InService", (shallow,))
    assert scores(serving) == pytest.approx(expected[shallow], rel=1e-6)

    second = deploy_endpoint(DeployRequest("dev", SINGLE, version=deep, wait=True), serving.target)
    assert (second.action, second.previous_config, second.serving.versions) == ("updated", first.config_name, (deep,))
    assert scores(serving) == pytest.approx(expected[deep], rel=1e-6)

    serving.review(deep, "Rejected")
    assert deploy_cli("--env", "dev", "--endpoint", SINGLE, "--rollback", "--wait") == 0
    out = capsys.readouterr().out
    assert (f"endpoint {SINGLE} (single-model, us-east-1): rolled-back, config {first.config_name}, "
            f"version(s) {shallow}") in out
    assert f"endpoint {SINGLE} InService: config {first.config_name}, model version {shallow}" in out
    assert scores(serving) == pytest.approx(expected[shallow], rel=1e-6)

    # Rolling back again would serve the rejected version: refused, named, nothing changes.
    assert deploy_cli("--env", "dev", "--endpoint", SINGLE, "--rollback") == EXIT_USAGE
    assert f"would serve version {deep} again" in capsys.readouterr().err
    again = deploy_endpoint(DeployRequest("dev", SINGLE, version=shallow, wait=True), serving.target)
    assert (again.action, again.config_name) == ("unchanged", first.config_name)


def test_a_deploy_while_the_endpoint_is_not_in_service_is_refused(serving, deploy_cli, capsys):
    shallow, deep = serving.register("shallow", "Approved"), serving.register("deep", "Approved")
    deploy_endpoint(DeployRequest("dev", SINGLE, version=shallow, wait=True), serving.target)
    # A canary update that bakes an hour of stack time: the endpoint stays Updating until the stack's clock moves,
    # however slowly this machine runs the next command.
    config = with_canary(serving.config, SINGLE, wait_seconds=3600)
    deploy_endpoint(DeployRequest("dev", SINGLE, version=deep), serving.target, config)

    # Another version, and the version it still serves while the update moves it off: both wait for InService.
    for version in (deep, shallow):
        assert deploy_cli("--env", "dev", "--endpoint", SINGLE, "--version", str(version)) == EXIT_USAGE
        assert f"endpoint {SINGLE} is Updating: it takes a deployment only when InService" in capsys.readouterr().err


def with_canary(config, endpoint_name: str, wait_seconds: int):
    """`config` whose endpoint shifts 50 % of its capacity first, then bakes `wait_seconds`."""
    serving = config.require_serving()
    endpoints = tuple(dataclasses.replace(e, deployment_strategy="canary", traffic_step_percent=50,
                                          wait_interval_seconds=wait_seconds) if e.name == endpoint_name else e
                      for e in serving.endpoints)
    return dataclasses.replace(config, workload=dataclasses.replace(
        config.workload, serving=dataclasses.replace(serving, endpoints=endpoints)))


def test_an_update_the_endpoint_alarms_roll_back_fails_with_exit_3_and_the_old_version_serves(serving, capsys):
    shallow, deep = serving.register("shallow", "Approved"), serving.register("deep", "Approved")
    config = with_canary(serving.config, SINGLE, wait_seconds=2)
    settings = config.require_endpoint(SINGLE)
    cloudwatch = serving.dev.client("cloudwatch")
    for alarm, metric in zip(settings.alarm_names, ("Invocation5XXErrors", "ModelLatency"), strict=True):
        cloudwatch.put_metric_alarm(  # as the Terraform creates them
            AlarmName=alarm, Namespace="AWS/SageMaker", MetricName=metric, Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            Dimensions=[{"Name": "EndpointName", "Value": SINGLE}, {"Name": "VariantName", "Value": "AllTraffic"}])
    first = deploy_endpoint(DeployRequest("dev", SINGLE, version=shallow, wait=True), serving.target, config)
    cloudwatch.set_alarm_state(AlarmName=settings.error_alarm_name, StateValue="ALARM", StateReason="5xx errors")

    with pytest.raises(DeploymentFailed, match=f"the update of endpoint {SINGLE} to .* was rolled back: it still "
                                               f"serves {first.config_name}") as failed:
        deploy_endpoint(DeployRequest("dev", SINGLE, version=deep, wait=True), serving.target, config)

    assert failed.value.exit_code == EXIT_EXECUTION_FAILED
    assert settings.error_alarm_name in str(failed.value)
    assert scores(serving) == pytest.approx(local_scores(serving.archives["shallow"]), rel=1e-6)


def endpoint_versions(serving) -> tuple[str, str] | None:
    sagemaker = serving.dev.client("sagemaker")
    endpoints = sagemaker.list_endpoints(NameContains=MULTI)["Endpoints"]
    if not endpoints:
        return None
    endpoint = sagemaker.describe_endpoint(EndpointName=MULTI)
    tags = sagemaker.list_tags(ResourceArn=sagemaker.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"])["EndpointConfigArn"])["Tags"]
    return endpoint["EndpointStatus"], next(tag["Value"] for tag in tags if tag["Key"] == "mlops:model-versions")


def test_an_approved_version_serves_by_target_model_without_a_manual_step_and_a_rejected_one_stops(
        serving, refresh_path):
    first = serving.register("shallow")
    serving.review(first, "Approved")
    wait_for(lambda: endpoint_versions(serving) == ("InService", "1"), "the refresh to serve version 1")
    assert scores(serving, MULTI, first) == pytest.approx(local_scores(serving.archives["shallow"]), rel=1e-6)

    second = serving.register("deep", "Approved")
    wait_for(lambda: endpoint_versions(serving) == ("InService", "1 2"), "the refresh to serve versions 1 and 2")
    assert scores(serving, MULTI, second) == pytest.approx(local_scores(serving.archives["deep"]), rel=1e-6)
    assert scores(serving, MULTI, first) == pytest.approx(local_scores(serving.archives["shallow"]), rel=1e-6)

    serving.review(first, "Rejected")
    wait_for(lambda: endpoint_versions(serving) == ("InService", "2"), "the refresh to take version 1 out")
    with pytest.raises(MlopsError):
        scores(serving, MULTI, first)
    assert scores(serving, MULTI, second) == pytest.approx(local_scores(serving.archives["deep"]), rel=1e-6)


def test_the_stage_scripts_deploy_and_smoke_test_every_dev_endpoint(serving):
    version = serving.register("shallow", "Approved")
    env = {**os.environ, "ENDPOINT_ENV": "dev", "ENDPOINT_MODEL_VERSION": str(version)}

    for script in ("deploy-endpoints.sh", "smoke-test-endpoints.sh"):
        result = subprocess.run([str(REPO_ROOT / "scripts" / script)], env=env, capture_output=True, text=True,
                                timeout=300, check=False)
        assert result.returncode == 0, result.stdout + result.stderr

    assert "smoke test of mammo-severity passed" in result.stdout
    assert "smoke test of mammo-severity-versions passed" in result.stdout
    assert "(TargetModel mammo-severity/v1.tar.gz)" in result.stdout
