"""The project's real train pipeline, run by the local stack behind the SageMaker API, driven by the AWS CLI.

The dev account gets what Terraform and `prepare-data` would give it (data bucket with the prepared UCI data,
the processing scripts at their content-addressed URIs, the central registry's bucket and group); then the CLI,
acting in dev through an assumed role, creates the pipeline, starts it, and reads the real steps and outcome.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import TERMINAL, wait_for, wait_for_end
from support.roles import allow, pass_role

from pipelines import s3_uri
from pipelines.definitions import PIPELINE_MODULES, build_pipeline
from pipelines.train.pipeline import STEP_CONDITION, STEP_TRAIN

from .pipeline_api import AwsCli


@pytest.fixture
def dev_with_data(dev_config, dev_session, provision_train_inputs, tmp_path):
    dev = dev_config
    provision_train_inputs(dev)
    s3 = dev_session.client("s3")
    built = build_pipeline(PIPELINE_MODULES["train"], "dev", {})
    for asset in built.code_assets:
        s3.put_object(Bucket=asset.bucket, Key=asset.key, Body=asset.path.read_bytes())
    definition_file = tmp_path / "train.json"
    definition_file.write_text(built.definition)
    return dev, built.name, definition_file


def described(cli: AwsCli, arn: str) -> dict:
    return cli("sagemaker", "describe-pipeline-execution", "--pipeline-execution-arn", arn)


@pytest.mark.slow
def test_the_cli_runs_the_train_pipeline_for_real_and_stops_it(aws, dev_with_data, dev_session, registry_session):
    dev, name, definition_file = dev_with_data
    pipeline = dev.pipeline_arn(name)
    cli = AwsCli(aws.endpoint).as_account(dev.account_id, [
        allow(["sagemaker:CreatePipeline", "sagemaker:StartPipelineExecution", "sagemaker:ListPipelineExecutions"],
              pipeline),
        allow(["sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps"],
              f"{pipeline}/execution/*"),
        allow("sagemaker:DescribeTrainingJob", f"arn:aws:sagemaker:{dev.aws_region}:{dev.account_id}:training-job/*"),
        pass_role(dev.sagemaker_execution_role_arn),
    ])

    cli("sagemaker", "create-pipeline", "--pipeline-name", name, "--role-arn", dev.sagemaker_execution_role_arn,
        "--pipeline-definition", f"file://{definition_file}")
    arn = cli("sagemaker", "start-pipeline-execution", "--pipeline-name", name)["PipelineExecutionArn"]
    assert arn.startswith(f"arn:aws:sagemaker:{dev.aws_region}:{dev.account_id}:pipeline/{name}/execution/")
    description = wait_for(lambda: (d := described(cli, arn))["PipelineExecutionStatus"] in TERMINAL and d,
                           "the train execution to end", timeout=600)

    assert description["PipelineExecutionStatus"] == "Succeeded", description
    steps = cli("sagemaker", "list-pipeline-execution-steps", "--pipeline-execution-arn", arn,
                "--sort-order", "Ascending")["PipelineExecutionSteps"]
    statuses = {step["StepName"]: step["StepStatus"] for step in steps}
    assert statuses == {"PreprocessData": "Succeeded", "TrainModel": "Succeeded", "EvaluateModel": "Succeeded",
                        "DataQualityBaseline": "Succeeded", "CheckAucScore": "Succeeded",
                        "SeverityModel": "Succeeded"}  # the Fail branch did not run
    training_job = next(step for step in steps if step["StepName"] == STEP_TRAIN)["Metadata"]["TrainingJob"]["Arn"]
    assert training_job.startswith(f"arn:aws:sagemaker:{dev.aws_region}:{dev.account_id}:training-job/pipelines-")
    job = cli("sagemaker", "describe-training-job", "--training-job-name",
              f"pipelines-{arn.rsplit('/', 1)[1]}-{STEP_TRAIN}")  # the step's job, as SageMaker lists it
    assert (job["TrainingJobArn"], job["TrainingJobStatus"]) == (training_job, "Completed")
    assert job["ModelArtifacts"]["S3ModelArtifacts"].endswith("/output/model.tar.gz")
    condition = next(step for step in steps if step["StepName"] == STEP_CONDITION)
    assert condition["Metadata"] == {"Condition": {"Outcome": "True"}}
    registry = registry_session.client("sagemaker")
    packages = registry.list_model_packages(ModelPackageGroupName=dev.model_package_group_arn)
    assert len(packages["ModelPackageSummaryList"]) == 1  # the registered version really is in the registry

    # A second run, stopped while it runs: Stopped, its running step Stopped, nothing registered. Started and
    # stopped by this process's client, milliseconds apart: a CLI process takes about as long to start on a loaded
    # machine as the whole run (its first job alone imports pandas), so a CLI stop could find it Succeeded. The
    # CLI's stop is covered by test_pipeline_api.py, on a step that sleeps.
    sagemaker = dev_session.client("sagemaker")
    second = sagemaker.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    sagemaker.stop_pipeline_execution(PipelineExecutionArn=second)
    stopped = wait_for(lambda: (d := described(cli, second))["PipelineExecutionStatus"] in TERMINAL and d,
                       "the second run to stop", timeout=120)
    assert stopped["PipelineExecutionStatus"] == "Stopped"
    second_steps = cli("sagemaker", "list-pipeline-execution-steps", "--pipeline-execution-arn",
                       second)["PipelineExecutionSteps"]
    assert "Failed" not in {step["StepStatus"] for step in second_steps}
    assert {step["StepStatus"] for step in second_steps} <= {"Stopped", "Succeeded"}
    assert len(registry.list_model_packages(ModelPackageGroupName=dev.model_package_group_arn)[
        "ModelPackageSummaryList"]) == 1
    listed = cli("sagemaker", "list-pipeline-executions", "--pipeline-name", name)["PipelineExecutionSummaries"]
    assert [(s["PipelineExecutionArn"], s["PipelineExecutionStatus"]) for s in listed] == [
        (second, "Stopped"), (arn, "Succeeded")]


V2_TRAIN_DEFINITION = Path(__file__).parents[1] / "fidelity" / "fixtures" / "v2" / "train_pipeline.json"


@pytest.mark.slow
def test_the_train_pipeline_deployed_by_the_v2_based_version_still_runs(aws, dev_config, dev_session,
                                                                         provision_train_inputs, registry_session):
    """An environment upgraded to SDK v3 may still hold the definition the v2 SDK wrote (docs/sdk-v3-upgrade.md):
    its model step is named "SeverityModel-RegisterModel" and it runs, registering the model, as it did."""
    dev = dev_config
    provision_train_inputs(dev)
    definition = V2_TRAIN_DEFINITION.read_text()
    s3 = dev_session.client("s3")
    scripts = {asset.path.name: asset for asset in build_pipeline(PIPELINE_MODULES["train"], "dev", {}).code_assets}
    # The scripts at the URIs the v2 definition names (content-addressed then as now).
    for uri in sorted(set(re.findall(r"s3://[^\"]+/code/[0-9a-f]{64}/[^\"]+", definition))):
        bucket, key = s3_uri.split(uri)
        s3.put_object(Bucket=bucket, Key=key, Body=scripts[key.rsplit("/", 1)[1]].body)
    sagemaker = dev_session.client("sagemaker")
    sagemaker.create_pipeline(PipelineName="mammo-train-v2", PipelineDefinition=definition,
                              RoleArn=dev.sagemaker_execution_role_arn)

    arn = sagemaker.start_pipeline_execution(PipelineName="mammo-train-v2")["PipelineExecutionArn"]
    description = wait_for_end(sagemaker, arn, timeout=600)

    assert description["PipelineExecutionStatus"] == "Succeeded", description.get("FailureReason")
    steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    registered = next(step for step in steps if step["StepName"] == "SeverityModel-RegisterModel")
    assert registered["StepStatus"] == "Succeeded"
    package = registry_session.client("sagemaker").describe_model_package(
        ModelPackageName=registered["Metadata"]["RegisterModel"]["Arn"])
    assert package["ModelPackageGroupName"] == dev.model_registry.model_package_group_name
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
