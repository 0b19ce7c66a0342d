"""The demo through three workload accounts (`mlops-demo --environments dev,staging,prod`), in-process, on a local
stack of this module's own: staging, between training and production, is applied with the Jenkins deploy stages'
scripts and serves version 1 after the endpoint promotion's smoke test, and the rest of the loop runs as in the
two-environment demo (test_demo.py asserts that loop in detail; this module asserts what the middle adds)."""

from __future__ import annotations

import pytest

from localaws.tools.stack import LocalAwsStack
from mlops_demo.environments import parse_environments
from mlops_demo.run import run_scenario
from mlops_demo.scenario import SUCCEEDED
from pipelines.config import SINGLE_MODEL, load_config
from pipelines.endpoints.deployment import serving_now

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.terraform]

STAGING = load_config("staging")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, require_tool):
    require_tool("terraform")
    root = tmp_path_factory.mktemp("demo-environments")
    with pytest.MonkeyPatch.context() as patch, LocalAwsStack(log_path=root / "stack.log") as stack:
        patch.setenv("MLOPS_LOCAL_DIR", str(root / "local"))
        result, context = run_scenario(endpoint=stack.endpoint, work_dir=root / "work",
                                       report_path=root / "demo-report.html",
                                       demo_environments=parse_environments("dev,staging,prod"))
        yield result, context


def test_every_step_ran_and_staging_was_applied_then_served_between_approval_and_production(demo):
    result, _ = demo
    assert result.error is None, str(result.error)
    assert all(outcome.status == SUCCEEDED for outcome in result.outcomes)
    names = [outcome.name for outcome in result.outcomes]
    assert names[names.index("approve-v1") + 1:names.index("endpoint-v1")] == [
        "deploy-staging", "endpoints-staging", "deploy-prod"]
    assert result.outcome("infrastructure").account == "registry, dev, staging, prod"
    assert result.outcome("deploy-staging").account == f"staging ({STAGING.account_id})"
    assert "Apply complete!" in result.outcome("deploy-staging").result


def test_staging_runs_the_pipelines_and_its_single_model_endpoint_serves_version_1(demo):
    _, context = demo
    sagemaker = context.session("staging").client("sagemaker")
    workload = STAGING.require_workload()
    for pipeline in (workload.train_pipeline_name, workload.inference_pipeline_name):
        assert sagemaker.describe_pipeline(PipelineName=pipeline)["PipelineArn"] == STAGING.pipeline_arn(pipeline)
    [single] = [endpoint for endpoint in STAGING.require_serving().endpoints if endpoint.mode == SINGLE_MODEL]
    state = serving_now(sagemaker, STAGING, sagemaker.describe_endpoint(EndpointName=single.name))
    assert state.status == "InService"
    assert state.versions == (1,)


def test_the_versions_were_trained_in_the_first_and_the_last_environment_only(demo):
    _, context = demo
    assert [version.trained_in for version in context.facts.versions] == ["dev", "prod"]
    assert [version.approval_status for version in context.facts.versions] == ["Approved", "Approved"]
