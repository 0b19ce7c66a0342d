"""The console's browser tests: a stack of their own (its state must outlive the tests of the module, which
`aws` resets), prepared through the AWS API as a user would, and Debian's chromium driven by Playwright.

State: in the tooling account, a `drift-check` pipeline (a data-quality baseline, then a check of a drifted
batch: the execution fails on drift) run once, and a `slow` pipeline of three sleeping processing steps; in the
registry account, the central group with two PendingManualApproval versions carrying an evaluation.json, and the
approver role as Terraform creates it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from executor.helpers import csv, quality_check  # tests/ is on sys.path
from local_stack.pipeline_api import BUCKET, ROLE, client, definition, processing_step, put_script, wait_for_end
from playwright.sync_api import sync_playwright
from shell_environment import activate, restore_environment

from localaws.console.routes import ACTIONS_VARIABLE
from localaws.tools.stack import LocalAwsStack
from pipelines.aws import Target
from pipelines.config import REPO_ROOT, load_config

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("MLOPS_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts")) / "browser"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
APPROVER_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def console_stack(tmp_path_factory) -> Iterator[LocalAwsStack]:
    previous_actions = os.environ.get(ACTIONS_VARIABLE)
    os.environ[ACTIONS_VARIABLE] = "on"  # the server inherits it: Approve/Reject offered
    stack = LocalAwsStack(log_path=tmp_path_factory.mktemp("console-stack") / "server.log").start()
    previous = activate(stack.endpoint)
    try:
        yield stack
    finally:
        restore_environment(previous)
        stack.stop()
        if previous_actions is None:
            os.environ.pop(ACTIONS_VARIABLE, None)
        else:
            os.environ[ACTIONS_VARIABLE] = previous_actions


@pytest.fixture(scope="module")
def prepared(console_stack) -> dict[str, str]:
    endpoint = console_stack.endpoint
    sagemaker, s3 = client(endpoint), client(endpoint, "s3")
    put_script(endpoint)
    rng = np.random.default_rng(5)
    drifted = rng.normal(size=(300, 3))
    drifted[:, 1] += 4  # the second column moves far beyond the drift threshold
    s3.put_object(Bucket=BUCKET, Key="monitor/baseline/train.csv", Body=csv(rng.normal(size=(300, 3))).encode())
    s3.put_object(Bucket=BUCKET, Key="monitor/drifted/batch.csv", Body=csv(drifted).encode())
    baseline = quality_check("Baseline", f"s3://{BUCKET}/monitor/baseline/train.csv", f"s3://{BUCKET}/baseline",
                             skip_check=True, register_new=True)
    check = quality_check("DriftCheck", f"s3://{BUCKET}/monitor/drifted/", f"s3://{BUCKET}/check",
                          statistics={"Get": "Steps.Baseline.CalculatedBaselineStatistics"},
                          constraints={"Get": "Steps.Baseline.CalculatedBaselineConstraints"})
    sagemaker.create_pipeline(PipelineName="drift-check", PipelineDefinition=definition(baseline, check),
                              RoleArn=ROLE)
    failed = sagemaker.start_pipeline_execution(PipelineName="drift-check")["PipelineExecutionArn"]
    assert wait_for_end(sagemaker, failed)["PipelineExecutionStatus"] == "Failed"

    slow = definition(processing_step("Prepare", "--sleep", "2"),
                      processing_step("Train", "--sleep", "2", depends_on=["Prepare"]),
                      processing_step("Evaluate", "--sleep", "1", depends_on=["Prepare"]),
                      processing_step("Publish", depends_on=["Train", "Evaluate"]))
    sagemaker.create_pipeline(PipelineName="slow", PipelineDefinition=slow, RoleArn=ROLE)
    return {"failed_execution": failed, **_registry(endpoint)}


def _registry(endpoint: str) -> dict[str, str]:
    """The central group with two versions pending approval, as the train pipeline registers them."""
    config = load_config("registry")
    session = Target.local_stack(endpoint).session(config.account_id, config.aws_region)
    session.client("iam").create_role(RoleName=config.model_registry.approver_role_name,
                                      AssumeRolePolicyDocument=APPROVER_TRUST)
    bucket = config.model_registry.artifacts_bucket_name
    session.client("s3").create_bucket(Bucket=bucket)
    sagemaker = session.client("sagemaker")
    group = config.model_registry.model_package_group_name
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    arns = {}
    for version, auc in ((1, 0.84), (2, 0.87)):
        key = f"dev/v{version}/evaluation.json"
        session.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps({"classification_metrics": {
            "auc": {"value": auc}, "accuracy": {"value": 0.8},
            "confusion_matrix": {"0": {"0": 40, "1": 8}, "1": {"0": 9, "1": 43}}}}).encode())
        arns[f"version_{version}"] = sagemaker.create_model_package(
            ModelPackageGroupName=group, ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={"Containers": [{
                "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                "ModelDataUrl": f"s3://{bucket}/dev/v{version}/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
            ModelMetrics={"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                                          "S3Uri": f"s3://{bucket}/{key}"}}},
        )["ModelPackageArn"]
    return arns


@pytest.fixture(scope="module")
def browser(require_tool):
    chromium = require_tool("chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.x A and AA violations of the page as it is now."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})).violations
        .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))""")
