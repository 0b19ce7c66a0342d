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
import xgboost as xgb
from executor.helpers import csv, quality_check  # tests/ is on sys.path
from local_stack.pipeline_api import BUCKET, ROLE, client, definition, processing_step, put_script
from playwright.sync_api import sync_playwright
from shell_environment import activate, restore_environment
from support import wait_for_end

from localaws.console.routes import ACTIONS_VARIABLE
from localaws.sagemaker_endpoints.deployments import FLEET_READY_SECONDS
from localaws.sagemaker_endpoints.model_archive import MODEL_FILE
from localaws.sagemaker_pipelines.archives import deterministic_tar_gz
from localaws.tools.stack import LocalAwsStack, advance_clock
from pipelines.aws import Target
from pipelines.config import REPO_ROOT, load_config

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("MLOPS_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts")) / "browser"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
APPROVER_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
SAGEMAKER_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
READER_ROLE = "mammo-model-reader"
"""A role of the registry account that may read the versions but not review them."""


@pytest.fixture(scope="module")
def console_stack(tmp_path_factory) -> Iterator[LocalAwsStack]:
    previous_actions = os.environ.get(ACTIONS_VARIABLE)
    os.environ[ACTIONS_VARIABLE] = "on"  # the server inherits it: Approve/Reject offered
    # Enforced whatever the session's mode: the review of a version is decided by the role's policies.
    stack = LocalAwsStack(log_path=tmp_path_factory.mktemp("console-stack") / "server.log",
                          authorization="enforce").start()
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
def prepared(console_stack, tmp_path_factory) -> dict[str, str]:
    endpoint = console_stack.endpoint
    sagemaker, s3 = client(endpoint), client(endpoint, "s3")
    put_script(endpoint)
    _role(Target.local_stack(endpoint).base_session("us-east-1"), ROLE.rsplit("/", 1)[1], [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{BUCKET}/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"}], SAGEMAKER_TRUST)
    _alert_rule(client(endpoint, "events"), client(endpoint, "sns"))
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
    registry = _registry(endpoint, tmp_path_factory.mktemp("model"))
    return {"failed_execution": failed, **registry, **_serving(console_stack, registry["version_1"])}


def _alert_rule(events, sns) -> None:
    """A rule on the pipelines' status changes that e-mails through SNS, as the platform's alerts do."""
    topic = sns.create_topic(Name="pipeline-alerts")["TopicArn"]
    events.put_rule(Name="pipeline-status", EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"]}))
    events.put_targets(Rule="pipeline-status", Targets=[{"Id": "alerts", "Arn": topic}])


def _registry(endpoint: str, folder: Path) -> dict[str, str]:
    """The central group with two versions pending approval, as the train pipeline registers them."""
    config = load_config("registry")
    session = Target.local_stack(endpoint).session(config.account_id, config.aws_region)
    bucket = config.model_registry.artifacts_bucket_name
    _role(session, config.model_registry.approver_role_name, _approver_statements(config, bucket))
    _role(session, READER_ROLE, _approver_statements(config, bucket)[:-1])
    session.client("s3").create_bucket(Bucket=bucket)
    sagemaker = session.client("sagemaker")
    group = config.model_registry.model_package_group_name
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    s3 = session.client("s3")
    s3.put_object(Bucket=bucket, Key="dev/model.tar.gz", Body=_model_archive(folder))
    arns = {}
    for version, auc in ((1, 0.84), (2, 0.87)):
        key = f"dev/v{version}/evaluation.json"
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps({"classification_metrics": {
            "auc": {"value": auc}, "accuracy": {"value": 0.8},
            "confusion_matrix": {"0": {"0": 40, "1": 8}, "1": {"0": 9, "1": 43}}}}).encode())
        package = {
            "ModelPackageGroupName": config.model_package_group_arn, "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {"Containers": [{
                "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                "ModelDataUrl": f"s3://{bucket}/dev/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
            "ModelMetrics": {"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                                             "S3Uri": f"s3://{bucket}/{key}"}}}}
        if version == 1:
            arns["version_1"] = sagemaker.create_model_package(**package)["ModelPackageArn"]
        else:  # registered by a pipeline's RegisterModel step, which records the execution that made it
            arns["version_2"], arns["register_execution"] = _register_by_pipeline(sagemaker, config, package)
    return arns


def _approver_statements(config, bucket: str) -> list[dict]:
    """The approver role's policy as mlops-infra/modules/model-registry gives it (the bucket here has no key),
    its review statement last."""
    packages = config.model_package_group_arn.replace(":model-package-group/", ":model-package/").lower() + "/*"
    return [
        {"Effect": "Allow", "Action": ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"],
         "Resource": [config.model_package_group_arn, packages]},
        {"Effect": "Allow", "Action": "sagemaker:ListModelPackages", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Allow", "Action": "sagemaker:UpdateModelPackage", "Resource": packages},
    ]


def _role(session, name: str, statements: list[dict], trust: str = APPROVER_TRUST) -> None:
    iam = session.client("iam")
    try:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    except iam.exceptions.EntityAlreadyExistsException:
        pass  # made by a shared helper: this fixture only adds what its pipelines need
    iam.put_role_policy(RoleName=name, PolicyName="review", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": statements}))


def _register_by_pipeline(sagemaker, config, package: dict) -> tuple[str, str]:
    # No MetadataProperties: as in SageMaker Pipelines, the stack records GeneratedBy (the execution) itself.
    register = {"Name": "Register", "Type": "RegisterModel", "Arguments": package}
    session = Target.local_stack(sagemaker.meta.endpoint_url).session(config.account_id, config.aws_region)
    packages = config.model_package_group_arn.replace(":model-package-group/", ":model-package/").lower() + "/*"
    _role(session, "pipeline-execution", [{"Effect": "Allow", "Action": ["sagemaker:CreateModelPackage",
                                                                      "sagemaker:DescribeModelPackage"],
                                           "Resource": [config.model_package_group_arn, packages]}],
          SAGEMAKER_TRUST)
    sagemaker.create_pipeline(PipelineName="register-version", PipelineDefinition=definition(register),
                              RoleArn=f"arn:aws:iam::{config.account_id}:role/pipeline-execution")
    execution = sagemaker.start_pipeline_execution(PipelineName="register-version")["PipelineExecutionArn"]
    assert wait_for_end(sagemaker, execution)["PipelineExecutionStatus"] == "Succeeded"
    step = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=execution)["PipelineExecutionSteps"][0]
    return step["Metadata"]["RegisterModel"]["Arn"], execution


def _model_archive(folder: Path) -> bytes:
    """A model.tar.gz as the XGBoost algorithm writes it: a booster over three features."""
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(60, 3))
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2}, xgb.DMatrix(
        rows, label=(rows[:, 0] > 0).astype(float)), 3)
    model = folder / MODEL_FILE
    model.write_bytes(booster.save_raw("ubj"))
    return deterministic_tar_gz({MODEL_FILE: model})


INVOCATIONS = 3


def _serving(stack: LocalAwsStack, package_arn: str) -> dict[str, str]:
    """In the dev account: an endpoint serving the registry's version 1 with data capture, invoked INVOCATIONS
    times, and an alarm on its 5XX errors."""
    config = load_config("dev")
    session = Target.local_stack(stack.endpoint).session(config.account_id, config.aws_region)
    sagemaker, capture = session.client("sagemaker"), f"console-capture-{config.account_id}"
    session.client("s3").create_bucket(Bucket=capture)
    # SageMaker downloads the version's artifact, and writes the captured requests, as the model's role: the
    # registry's bucket policy lets that role read, as the platform's central bucket policy does.
    registry = load_config("registry")
    artifacts = registry.model_registry.artifacts_bucket_name
    _role(session, "console-endpoint", [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{artifacts}/*"},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{capture}/*"}], SAGEMAKER_TRUST)
    role = f"arn:aws:iam::{config.account_id}:role/console-endpoint"
    Target.local_stack(stack.endpoint).session(registry.account_id, registry.aws_region).client(
        "s3").put_bucket_policy(Bucket=artifacts, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": role}, "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{artifacts}/*"}]}))
    sagemaker.create_model(ModelName="severity-v1", PrimaryContainer={"ModelPackageName": package_arn},
                           ExecutionRoleArn=role)
    sagemaker.create_endpoint_config(EndpointConfigName="severity-v1", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "severity-v1", "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}], DataCaptureConfig={
        "EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": f"s3://{capture}/capture",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    sagemaker.create_endpoint(EndpointName="severity", EndpointConfigName="severity-v1")
    advance_clock(stack.endpoint, FLEET_READY_SECONDS)
    assert sagemaker.describe_endpoint(EndpointName="severity")["EndpointStatus"] == "InService"
    runtime = session.client("sagemaker-runtime")
    for _ in range(INVOCATIONS):
        runtime.invoke_endpoint(EndpointName="severity", ContentType="text/csv", Body=b"0.1,0.2,0.3\n")
    session.client("cloudwatch").put_metric_alarm(
        AlarmName="severity-5xx", Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
        Dimensions=[{"Name": "EndpointName", "Value": "severity"}, {"Name": "VariantName", "Value": "AllTraffic"}],
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold")
    return {"endpoint": "severity"}


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
