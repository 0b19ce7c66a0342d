"""The train pipeline's warehouse source, run by the local executor against a real PostgreSQL: the
ExtractTrainingData step (FrameworkProcessor, runproc.sh, requirements.txt with psycopg) reads its connection
from Secrets Manager as the pipeline's role and queries the window of DataStartDate/DataEndDate."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json

import psycopg
import pytest
from psycopg import sql
from support import wait_for_end

from localaws.sagemaker_pipelines import ExecutionStore, LocalPipelineExecutor
from localaws.tools.warehouse import TABLE
from pipelines.aws import session_for_account
from pipelines.config import WAREHOUSE_SOURCE, load_config
from pipelines.definitions import definition_json_for
from pipelines.train import pipeline as train

START, END = "2024-03-01", "2025-06-30"
pytestmark = pytest.mark.slow  # real pipeline executions against a real PostgreSQL


@pytest.fixture(scope="module")
def warehouse_config():
    config = load_config("dev")
    settings = config.workload.pipeline
    data = dataclasses.replace(settings.training_data, source=WAREHOUSE_SOURCE)
    return dataclasses.replace(config, workload=dataclasses.replace(
        config.workload, pipeline=dataclasses.replace(settings, training_data=data)))


@pytest.fixture
def dev_session(aws, warehouse_config):
    return session_for_account(warehouse_config.account_id, warehouse_config.aws_region)


@pytest.fixture
def executor(dev_session, tmp_path) -> LocalPipelineExecutor:
    return LocalPipelineExecutor(dev_session, store=ExecutionStore(tmp_path / "executions"))


@pytest.fixture
def provisioned(warehouse_config, provision_train_inputs, dev_session, warehouse):
    """What Terraform, run-pipeline and `mlops-local db up` leave: buckets, the code, the connection secret."""
    config = warehouse_config
    provision_train_inputs(config)
    s3 = dev_session.client("s3")
    for asset in train.code_assets(config):
        s3.put_object(Bucket=asset.bucket, Key=asset.key, Body=asset.body)
    dev_session.client("secretsmanager").create_secret(
        Name=config.workload.pipeline.training_data.warehouse.secret_name,
        SecretString=warehouse.connection().secret_string())
    return config


def definition_of(config) -> dict:
    return json.loads(definition_json_for(train.build(config)))


def rows_in_window(warehouse, start: str, end: str) -> int:
    connection = warehouse.connection()
    with psycopg.connect(host=connection.host, port=connection.port, dbname=connection.dbname,
                         user=connection.username, password=connection.password) as session:
        query = sql.SQL("SELECT count(*) FROM {} WHERE observed_on BETWEEN %s AND %s").format(sql.Identifier(TABLE))
        return session.execute(query, (start, end)).fetchone()[0]


def test_the_train_pipeline_trains_on_the_rows_of_the_window(provisioned, warehouse, dev_session):
    """Through the stack's SageMaker API, as any client starts it: the job acts as the pipeline's role."""
    config = provisioned
    definition = definition_of(config)
    assert definition["Steps"][0]["Name"] == train.STEP_EXTRACT
    sagemaker = dev_session.client("sagemaker")
    name = config.workload.train_pipeline_name
    sagemaker.create_pipeline(PipelineName=name, PipelineDefinition=json.dumps(definition),
                              RoleArn=config.sagemaker_execution_role_arn)

    arn = sagemaker.start_pipeline_execution(PipelineName=name, PipelineParameters=[
        {"Name": "DataStartDate", "Value": START}, {"Name": "DataEndDate", "Value": END}])["PipelineExecutionArn"]
    description = wait_for_end(sagemaker, arn, timeout=600)

    assert description["PipelineExecutionStatus"] == "Succeeded", description.get("FailureReason")
    steps = {step["StepName"]: step for step in
             sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]}
    assert steps[train.STEP_PREPROCESS]["StepStatus"] == "Succeeded"
    uri = f"s3://{config.workload.data_bucket_name}/pipelines/{name}/extract/{arn.rsplit('/', 1)[1]}"
    bucket, prefix = uri[5:].split("/", 1)
    body = dev_session.client("s3").get_object(Bucket=bucket, Key=f"{prefix}/warehouse-extract.csv")["Body"]
    rows = list(csv.reader(io.StringIO(body.read().decode())))
    assert rows[0] == ["Age", "Shape", "Margin", "Density", "Severity"]
    expected = rows_in_window(warehouse, START, END)
    assert 0 < expected < 961
    assert len(rows) - 1 == expected


def test_bad_dates_and_bad_secrets_fail_their_step_naming_the_cause(executor, provisioned, dev_session):
    """Three extract steps side by side in one execution: an injection-style date, a secret that does not
    exist, a secret whose password is wrong."""
    config = provisioned
    good = definition_of(config)["Steps"][0]
    secrets = dev_session.client("secretsmanager")
    right = json.loads(secrets.get_secret_value(SecretId=config.workload.pipeline.training_data.warehouse.secret_name)
                       ["SecretString"])
    secrets.create_secret(Name="wrong-password", SecretString=json.dumps({**right, "password": "not-it"}))

    def variant(name: str, option: str, value: str) -> dict:
        step = copy.deepcopy(good)
        step["Name"] = name
        container = step["Arguments"]["AppSpecification"]["ContainerArguments"]
        container[container.index(option) + 1] = value
        return step

    definition = {**definition_of(config), "Steps": [
        variant("InjectedDate", "--start-date", "2024-01-01' OR '1'='1"),
        variant("MissingSecret", "--secret-id", "no-such-secret"),
        variant("WrongPassword", "--secret-id", "wrong-password"),
    ]}
    record = executor.run_definition(definition, "extract-failures")

    assert record.status == "Failed"
    reasons = {step.name: (step.status, step.failure_reason) for step in record.steps}
    assert {name: status for name, (status, _) in reasons.items()} == dict.fromkeys(
        ["InjectedDate", "MissingSecret", "WrongPassword"], "Failed")
    assert ("extract: DataStartDate \"2024-01-01' OR '1'='1\" is not a date: use YYYY-MM-DD"
            in reasons["InjectedDate"][1])
    assert ("extract: cannot read the warehouse secret 'no-such-secret': ResourceNotFoundException"
            in reasons["MissingSecret"][1])
    assert "extract: cannot connect to the warehouse of secret 'wrong-password'" in reasons["WrongPassword"][1]
    assert 'password authentication failed for user "mammo_reader"' in reasons["WrongPassword"][1]
    for _, reason in reasons.values():
        assert reason.startswith("AlgorithmError: script runproc.sh exited with code 1")
