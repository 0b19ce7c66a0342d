"""Running hand-written definitions on the local stack: branches, failures, parameters, records, hooks.

Processing steps run a real script with this Python (tests/executor/conftest.py SCRIPT); S3 is the local stack.
"""

from __future__ import annotations

import json

import pytest

from localaws.sagemaker_pipelines import ExecutionStore
from pipelines.config import load_config
from pipelines.errors import UsageError
from pipelines.pipeline_definition.errors import PipelineDefinitionError

from .helpers import definition, listing, processing_step, statuses

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

WORKLOAD_KEY = f"arn:aws:kms:us-east-1:{ACCOUNTS.dev}:alias/mammo-workload"
THRESHOLD = [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5}]


def gated_definition(script_uri: str, bucket: str) -> str:
    """Evaluate writes result.json (a property file); Gate compares its score with the Threshold parameter."""
    evaluate = processing_step("Evaluate", script_uri, f"s3://{bucket}/evaluate",
                               arguments=["--json", '{"metrics": {"score": 0.8}}'],
                               PropertyFiles=[{"PropertyFileName": "Result", "OutputName": "output",
                                               "FilePath": "result.json"}])
    publish = processing_step(
        "Publish", script_uri, {"Std:Join": {"On": "/", "Values": [
            f"s3://{bucket}/published", {"Get": "Execution.PipelineExecutionId"}]}},
        inputs={"evaluation": {"Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['output'].S3Output.S3Uri"}},
        arguments=["--input-dir", "/opt/ml/processing/evaluation"])
    stop = {"Name": "TooLow", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {"On": " ", "Values": [
        "score below", {"Get": "Parameters.Threshold"}]}}}}
    gate = {"Name": "Gate", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "GreaterThan", "RightValue": {"Get": "Parameters.Threshold"}, "LeftValue": {
            "Std:JsonGet": {"PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Result"},
                            "Path": "metrics.score"}}}],
        "IfSteps": [publish], "ElseSteps": [stop]}}
    return definition(gate, evaluate, parameters=THRESHOLD)


def test_the_branch_taken_runs_and_the_other_is_not_executed(executor, script_uri, bucket, dev_session, read):
    record = executor.run_definition(gated_definition(script_uri, bucket), "gated")

    assert record.status == "Succeeded", record.failure_reason
    assert statuses(record) == {"Evaluate": "Succeeded", "Gate": "Succeeded", "Publish": "Succeeded",
                                "TooLow": "NotExecuted"}
    assert record.step("Gate").metadata == {"Condition": {"Outcome": "True"}}
    # Publish read Evaluate's output through a Steps.* reference and wrote under the execution id.
    published = f"s3://{bucket}/published/{record.execution_id}/result.json"
    assert json.loads(read(published)) == {"metrics": {"score": 0.8}}
    outputs = record.step("Evaluate").properties["ProcessingOutputConfig"]["Outputs"]
    assert outputs[0]["S3Output"]["S3Uri"] == f"s3://{bucket}/evaluate"
    assert record.step("Evaluate").properties["ProcessingJobStatus"] == "Completed"


def test_the_else_branch_fails_the_execution_with_the_fail_message(executor, script_uri, bucket, dev_session):
    record = executor.run_definition(gated_definition(script_uri, bucket), "gated", {"Threshold": "0.9"})

    assert record.status == "Failed"
    assert statuses(record)["Publish"] == "NotExecuted"
    assert record.step("TooLow").failure_reason == "score below 0.9"
    assert record.failure_reason == "Step 'TooLow' failed: score below 0.9"
    assert not [key for key in listing(dev_session, bucket) if key.startswith("published/")]


def test_a_failing_script_stops_its_dependents_while_independent_steps_finish(
        executor, script_uri, bucket, put, dev_session, store):
    kept = put("data/input.csv", "1,2\n")
    broken = processing_step("Broken", script_uri, f"s3://{bucket}/broken", arguments=["--fail-with", "3"])
    after = processing_step("After", script_uri, f"s3://{bucket}/after", DependsOn=["Broken"])
    independent = processing_step("Independent", script_uri, f"s3://{bucket}/independent",
                                  inputs={"data": kept}, arguments=["--input-dir", "/opt/ml/processing/data"])
    independent["Arguments"]["ProcessingOutputConfig"]["KmsKeyId"] = WORKLOAD_KEY

    record = executor.run_definition(definition(broken, after, independent), "failing")

    assert record.status == "Failed"
    assert statuses(record) == {"Broken": "Failed", "Independent": "Succeeded", "After": "NotExecuted"}
    reason = record.step("Broken").failure_reason
    assert "exited with code 3" in reason
    assert "ValueError: column 'age' is missing" in reason  # the tail of stderr
    assert record.step("Broken").properties["ProcessingJobStatus"] == "Failed"
    assert record.failure_reason.startswith("Step 'Broken' failed: AlgorithmError: script step.py exited with code 3")
    # Nothing else lost: the input is still there and the independent step's output was written.
    assert {"data/input.csv", "independent/input.csv"} <= set(listing(dev_session, bucket))
    output = dev_session.client("s3").head_object(Bucket=bucket, Key="independent/input.csv")
    assert (output["ServerSideEncryption"], output["SSEKMSKeyId"]) == ("aws:kms", WORKLOAD_KEY)  # key passed through
    # The record is readable back, from another store on the same folder, in the API's shapes.
    again = ExecutionStore(store.directory)
    description = again.describe(record.execution_arn)
    assert description["PipelineExecutionStatus"] == "Failed"
    assert description["FailureReason"] == record.failure_reason
    steps = again.list_steps(record.execution_id)["PipelineExecutionSteps"]
    # Newest first, like AWS; After never ran, so it is not listed (the record keeps it as NotExecuted).
    assert [step["StepName"] for step in steps] == ["Independent", "Broken"]
    assert record.step("After").status == "NotExecuted"
    job_arn = steps[1]["Metadata"]["ProcessingJob"]["Arn"]
    assert job_arn.endswith(f"processing-job/pipelines-{record.execution_id}-broken")


def test_an_unsupported_step_type_fails_before_anything_runs(executor, script_uri, bucket, dev_session, store,
                                                           status_changes):
    before = listing(dev_session, bucket)
    steps = definition(processing_step("Preprocess", script_uri, f"s3://{bucket}/out"),
                       {"Name": "Cluster", "Type": "EMR", "Arguments": {}},
                       {"Name": "Search", "Type": "AutoML", "Arguments": {}})

    with pytest.raises(PipelineDefinitionError) as raised:
        executor.run_definition(steps, "unsupported")

    message = str(raised.value)
    assert "'Cluster' (EMR), 'Search' (AutoML)" in message
    assert ("supports: Condition, Fail, Lambda, Model, Processing, QualityCheck, RegisterModel, Training, Transform, "
            "Tuning") in message
    assert raised.value.exit_code == 2
    assert listing(dev_session, bucket) == before
    assert store.list() == []
    assert status_changes == []


def test_a_processing_image_that_cannot_be_emulated_is_refused_before_anything_runs(executor, script_uri, bucket,
                                                                                    store):
    custom = processing_step("Custom", script_uri, f"s3://{bucket}/out")
    custom["Arguments"]["AppSpecification"]["ImageUri"] = f"{ACCOUNTS.registry}.dkr.ecr.us-east-1.amazonaws.com/mine:1"
    with pytest.raises(PipelineDefinitionError, match=r"step 'Custom': .* cannot run image '.*/mine:1' for a "
                                                      r"processing job: it emulates the scikit-learn, xgboost, "
                                                      r"model-monitor-analyzer image families"):
        executor.run_definition(definition(custom), "custom")
    assert store.list() == []


def test_status_changes_are_reported_in_the_describe_shape(executor, status_changes, script_uri, bucket):
    record = executor.run_definition(gated_definition(script_uri, bucket), "gated", {"Threshold": 0.7})

    assert [change["PipelineExecutionStatus"] for change in status_changes] == ["Executing", "Succeeded"]
    assert {change["PipelineExecutionArn"] for change in status_changes} == {record.execution_arn}
    assert record.execution_arn == (
        f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.dev}:pipeline/gated/execution/{record.execution_id}")
    assert status_changes[-1]["PipelineParameters"] == [{"Name": "Threshold", "Value": "0.7"}]


@pytest.mark.parametrize(("parameters", "message"), [
    ({"Treshold": "1"}, r"unknown pipeline parameter\(s\) Treshold: the pipeline declares Threshold"),
    ({"Threshold": "high"}, "pipeline parameter 'Threshold' must be of type Float, got 'high'"),
])
def test_bad_parameters_fail_before_anything_runs(executor, script_uri, bucket, store, parameters, message):
    with pytest.raises(UsageError, match=message):
        executor.run_definition(gated_definition(script_uri, bucket), "gated", parameters)
    assert store.list() == []


def test_a_reference_to_an_unknown_step_fails_before_anything_runs(executor, script_uri, bucket, store):
    step = processing_step("Use", script_uri, f"s3://{bucket}/out",
                           inputs={"x": {"Get": "Steps.Missing.ProcessingOutputConfig.Outputs['a'].S3Output.S3Uri"}})
    with pytest.raises(PipelineDefinitionError, match="step 'Use' refers to step 'Missing'"):
        executor.run_definition(definition(step), "broken")
    assert store.list() == []


def test_start_runs_the_definition_upserted_in_the_account(executor, dev_session, script_uri, bucket):
    dev_session.client("sagemaker").create_pipeline(
        PipelineName="Upserted", PipelineDefinition=gated_definition(script_uri, bucket),
        RoleArn=f"arn:aws:iam::{ACCOUNTS.dev}:role/mammo-sagemaker-execution")

    record = executor.start("Upserted", {"Threshold": "0.1"})

    assert record.status == "Succeeded"
    assert record.pipeline_arn == f"arn:aws:sagemaker:us-east-1:{ACCOUNTS.dev}:pipeline/Upserted"  # DescribePipeline's
    with pytest.raises(UsageError, match=f"pipeline 'NotThere' does not exist in account {ACCOUNTS.dev}"):
        executor.start("NotThere")


def test_a_missing_input_fails_the_step_naming_the_uri(executor, script_uri, bucket):
    step = processing_step("Read", script_uri, f"s3://{bucket}/out", inputs={"data": f"s3://{bucket}/nothing/"})
    record = executor.run_definition(definition(step), "missing-input")
    assert record.step("Read").failure_reason == f"ClientError: no S3 objects found under S3 URL s3://{bucket}/nothing/"
