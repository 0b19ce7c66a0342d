"""deploy-endpoint against the local stack with real boto3: what it creates, that a second run changes nothing,
and every bad input named with its exit code before anything is created."""

from __future__ import annotations

import pytest

from pipelines.cli.invoke_endpoint import main as invoke_main
from pipelines.endpoints.deploy import deploy_endpoint
from pipelines.endpoints.deployment import DeployRequest
from pipelines.errors import EXIT_USAGE

ENDPOINT = "mammo-severity"


def sagemaker_names(serving) -> tuple[list[str], list[str]]:
    sagemaker = serving.dev.client("sagemaker")
    return ([m["ModelName"] for m in sagemaker.list_models()["Models"]],
            [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]])


def test_a_version_is_served_from_the_registry_package_with_capture_and_a_second_deploy_changes_nothing(serving):
    version = serving.register("shallow", "Approved")

    first = deploy_endpoint(DeployRequest("dev", ENDPOINT, version=version), serving.target)

    assert (first.action, first.versions, first.previous_config) == ("created", (1,), None)
    sagemaker = serving.dev.client("sagemaker")
    [model], [config] = sagemaker_names(serving)
    described = sagemaker.describe_model(ModelName=model)
    assert described["PrimaryContainer"]["ModelPackageName"] == serving.package_arn(version)
    assert described["ExecutionRoleArn"] == serving.config.endpoint_execution_role_arn
    endpoint_config = sagemaker.describe_endpoint_config(EndpointConfigName=config)
    assert endpoint_config["ProductionVariants"][0]["ModelName"] == model
    assert endpoint_config["DataCaptureConfig"]["DestinationS3Uri"] == "s3://mammo-data-222222222222/endpoint-capture"
    assert endpoint_config["DataCaptureConfig"]["KmsKeyId"] == serving.kms_key_arn
    assert sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"] == config == first.config_name

    again = deploy_endpoint(DeployRequest("dev", ENDPOINT, latest_approved=True), serving.target)

    assert (again.action, again.config_name) == ("unchanged", config)
    assert sagemaker_names(serving) == ([model], [config])


def test_latest_approved_skips_rejected_and_pending_versions(serving):
    serving.register("shallow", "Approved")
    serving.register("deep", "Approved")
    serving.register("deep", "Rejected")
    serving.register("shallow")

    deployment = deploy_endpoint(DeployRequest("dev", ENDPOINT, latest_approved=True), serving.target)

    assert deployment.versions == (2,)


@pytest.mark.parametrize(("args", "message"), [
    (["--version", "9"], "--version 9 is not in model package group arn:aws:sagemaker:us-east-1:111111111111:"
                         "model-package-group/mammo-severity (versions: 1, 2, 3)"),
    (["--version", "2"], "--version 2 is Rejected in"),
    (["--version", "3"], "--version 3 is PendingManualApproval in"),
    (["--rollback"], "endpoint mammo-severity does not exist in dev: nothing to roll back"),
    (["--endpoint", "mammo-severty", "--latest-approved"],
     "no endpoint 'mammo-severty' in 'workload.serving.endpoints'; did you mean 'mammo-severity'?"),
    (["--endpoint", "mammo-severity-versions", "--rollback"], "endpoint mammo-severity-versions is multi-model"),
])
def test_bad_inputs_are_named_once_with_exit_code_2_and_create_nothing(serving, deploy_cli, capsys, args, message):
    serving.register("shallow", "Approved")
    serving.register("deep", "Rejected")
    serving.register("deep")
    capsys.readouterr()

    status = deploy_cli("--env", "dev", *(["--endpoint", ENDPOINT] if "--endpoint" not in args else []), *args)

    error = capsys.readouterr().err
    assert status == EXIT_USAGE
    assert message in error
    assert error.count("deploy-endpoint: error:") == 1
    assert sagemaker_names(serving) == ([], [])
    assert serving.dev.client("sagemaker").list_endpoints()["Endpoints"] == []


def test_a_target_model_for_a_single_model_endpoint_is_refused_before_any_call(capsys):
    status = invoke_main(["--env", "dev", "--endpoint", ENDPOINT, "--version", "2", "--csv", "50,1,1,3"],
                         env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})  # nothing listens: no call is made

    assert status == EXIT_USAGE
    assert "endpoint mammo-severity is single-model: it serves one version and takes no TargetModel" in \
        capsys.readouterr().err


def test_exactly_one_of_version_latest_or_rollback(deploy_cli, capsys):
    with pytest.raises(SystemExit) as usage:
        deploy_cli("--env", "dev", "--endpoint", ENDPOINT, "--version", "1", "--rollback")
    assert usage.value.code == EXIT_USAGE
    assert "not allowed with argument" in capsys.readouterr().err
