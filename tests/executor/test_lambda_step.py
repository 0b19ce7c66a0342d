"""Lambda steps invoke the function through the stack's Lambda API, which runs its deployment package's handler."""

from __future__ import annotations

import io
import zipfile
from textwrap import dedent

import pytest
from support import LAMBDA_TRUST
from support.platform import create_latest_model_function_role

from pipelines.config import load_config
from pipelines.lambdas.package import build_lambda_zip

from .helpers import XGBOOST_IMAGE, definition, statuses

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

OUTPUTS = ("ModelPackageArn", "ModelDataUrl", "ImageUri", "BaselineStatisticsUri", "BaselineConstraintsUri")


@pytest.fixture
def function(dev_config, dev_session, tmp_path_factory) -> dict:
    """The latest-approved-model function as Terraform deploys it (role, handler, environment, zip)."""
    role = create_latest_model_function_role(dev_session, dev_config)
    archive = build_lambda_zip("latest_approved_model", tmp_path_factory.mktemp("lambda"))
    return dev_session.client("lambda").create_function(
        FunctionName=dev_config.workload.latest_model_function_name, Runtime="python3.11", Role=role,
        Handler="latest_approved_model.handler", Code={"ZipFile": archive.read_bytes()},
        Environment={"Variables": {"MODEL_PACKAGE_GROUP_ARN": dev_config.model_package_group_arn}})


def lambda_pipeline(function_arn: str, outputs=OUTPUTS, arguments: dict | None = None, parameters=None) -> str:
    return definition({
        "Name": "LatestApprovedModel", "Type": "Lambda", "Arguments": arguments or {},
        "FunctionArn": function_arn,
        "OutputParameters": [{"OutputName": name, "OutputType": kind} for name, kind in
                             (output if isinstance(output, tuple) else (output, "String") for output in outputs)],
    }, parameters=parameters)


def test_the_project_handler_returns_the_latest_approved_version(executor, function, register_version, dev_config):
    register_version("v1", "Approved")
    latest = register_version("v2", "Approved")
    register_version("v3", "PendingManualApproval")

    record = executor.run_definition(lambda_pipeline(function["FunctionArn"]), "inference")

    assert record.status == "Succeeded", record.failure_reason
    outputs = record.step("LatestApprovedModel").properties["OutputParameters"]
    artifacts = f"s3://{dev_config.model_registry.artifacts_bucket_name}/dev/v2"
    assert outputs == {"ModelPackageArn": latest, "ModelDataUrl": f"{artifacts}/model.tar.gz",
                       "ImageUri": XGBOOST_IMAGE, "BaselineStatisticsUri": f"{artifacts}/statistics.json",
                       "BaselineConstraintsUri": f"{artifacts}/constraints.json"}
    metadata = record.step("LatestApprovedModel").metadata["Lambda"]
    assert metadata["Arn"] == function["FunctionArn"]
    assert {"Name": "ModelPackageArn", "Value": latest} in metadata["OutputParameters"]


def test_no_approved_version_fails_the_step_with_the_handler_message(executor, function, register_version, dev_config):
    register_version("v1", "PendingManualApproval")

    record = executor.run_definition(lambda_pipeline(function["FunctionArn"]), "inference")

    assert statuses(record) == {"LatestApprovedModel": "Failed"}
    reason = record.step("LatestApprovedModel").failure_reason
    assert reason.startswith(f"Lambda function {dev_config.workload.latest_model_function_name} failed: "
                             "NoApprovedModelError: no Approved model package")
    assert "approve-model" in reason


def test_an_unknown_function_fails_the_step(executor, dev_config):
    record = executor.run_definition(lambda_pipeline(dev_config.latest_model_function_arn), "inference")
    reason = record.step("LatestApprovedModel").failure_reason
    assert f"Lambda function {dev_config.latest_model_function_arn} cannot be invoked" in reason
    assert "ResourceNotFoundException" in reason


WHOAMI = dedent("""
    import os
    import boto3

    def handler(event, context):
        identity = boto3.client("sts").get_caller_identity()
        return {"Caller": identity["Arn"], "Greeting": os.environ["GREETING"], "Echo": event["Value"], "Count": "3"}
""")


@pytest.fixture
def whoami(dev_config, dev_session) -> str:
    """A function whose handler reports the credentials and environment it ran with."""
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("whoami.py", WHOAMI)
    role = dev_session.client("iam").create_role(RoleName="whoami-role", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]
    return dev_session.client("lambda").create_function(
        FunctionName="whoami", Runtime="python3.11", Role=role["Arn"], Handler="whoami.handler",
        Code={"ZipFile": package.getvalue()}, Environment={"Variables": {"GREETING": "hello"}})["FunctionArn"]


def test_the_handler_runs_with_the_function_role_and_environment(executor, whoami):
    parameters = [{"Name": "Value", "Type": "String", "DefaultValue": "ping"}]
    steps = lambda_pipeline(whoami, outputs=("Caller", "Greeting", "Echo", ("Count", "Integer")),
                            arguments={"Value": {"Get": "Parameters.Value"}}, parameters=parameters)

    record = executor.run_definition(steps, "whoami")

    outputs = record.step("LatestApprovedModel").properties["OutputParameters"]
    assert outputs["Caller"].startswith(f"arn:aws:sts::{ACCOUNTS.dev}:assumed-role/whoami-role/")
    assert outputs["Greeting"] == "hello"
    assert outputs["Echo"] == "ping"
    assert outputs["Count"] == 3  # typed as the step declares it


def test_a_missing_output_fails_naming_it(executor, whoami):
    record = executor.run_definition(lambda_pipeline(whoami, outputs=("Caller", "Version"),
                                                     arguments={"Value": "x"}), "whoami")
    assert "output did not include 'Version' (it returned: Caller, Greeting, Echo, Count)" in \
        record.step("LatestApprovedModel").failure_reason


def test_an_output_of_the_wrong_type_fails_naming_it(executor, whoami):
    record = executor.run_definition(lambda_pipeline(whoami, outputs=(("Greeting", "Integer"),),
                                                     arguments={"Value": "x"}), "whoami")
    assert "output 'Greeting' is 'hello', not of OutputType Integer" in \
        record.step("LatestApprovedModel").failure_reason
