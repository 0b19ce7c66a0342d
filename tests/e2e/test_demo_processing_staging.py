"""The demo end to end with the processing drift-check engine (no Model Monitor container anywhere), through three
workload accounts (`mlops-demo --environments dev,staging,prod`): the same tests as test_demo.py, on a stack of this
module's own, so the two runs go side by side under `make test`; and what the middle environment adds: staging,
between training and production, is applied with the Jenkins deploy stages' scripts and serves version 1 after the
endpoint promotion's smoke test. One run for both: each costs a whole demo."""

from __future__ import annotations

import pytest

from pipelines.config import PROCESSING, SINGLE_MODEL, load_config
from pipelines.endpoints.deployment import serving_now

from .test_demo import *  # noqa: F403 - the same tests and fixtures, with the engine and environments below
from .test_demo import (
    ENGINE_INDEPENDENT,
    pytestmark,  # noqa: F401 - markers are not taken by the star import
)

for _name in ENGINE_INDEPENDENT:  # the endpoint steps do not depend on the drift-check engine
    del globals()[_name]

STAGING = load_config("staging")


@pytest.fixture(scope="module")
def engine() -> str:
    return PROCESSING


@pytest.fixture(scope="module")
def walked() -> tuple[str, ...]:
    return ("dev", "staging", "prod")


def test_staging_was_applied_then_served_between_approval_and_production(demo):
    _, result, _ = demo
    names = [outcome.name for outcome in result.outcomes]
    assert names[names.index("approve-v1") + 1:names.index("endpoint-v1")] == [
        "deploy-staging", "endpoints-staging", "deploy-prod"]
    assert result.outcome("infrastructure").account == "registry, dev, staging, prod"
    assert result.outcome("infrastructure").result.startswith(
        f"bootstrapped and applied staging ({STAGING.account_id}); reused registry")
    assert result.outcome("deploy-staging").account == f"staging ({STAGING.account_id})"
    assert "Apply complete!" in result.outcome("deploy-staging").result


def test_staging_runs_the_pipelines_and_its_single_model_endpoint_serves_version_1(demo):
    _, _, context = demo
    sagemaker = context.session("staging").client("sagemaker")
    workload = STAGING.require_workload()
    for pipeline in (workload.train_pipeline_name, workload.inference_pipeline_name):
        assert sagemaker.describe_pipeline(PipelineName=pipeline)["PipelineArn"] == STAGING.pipeline_arn(pipeline)
    [single] = [endpoint for endpoint in STAGING.require_serving().endpoints if endpoint.mode == SINGLE_MODEL]
    state = serving_now(sagemaker, STAGING, sagemaker.describe_endpoint(EndpointName=single.name))
    assert state.status == "InService"
    assert state.versions == (1,)


def test_the_versions_were_trained_in_the_first_and_the_last_environment_only(demo):
    _, _, context = demo
    assert [version.trained_in for version in context.facts.versions] == ["dev", "prod"]
    assert [version.approval_status for version in context.facts.versions] == ["Approved", "Approved"]
