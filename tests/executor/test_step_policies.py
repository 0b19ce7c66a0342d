"""CacheConfig and RetryPolicies of a step, run by the executor on the local stack."""

from __future__ import annotations

import io
import tarfile

import pytest
from botocore.exceptions import ClientError

from localaws.sagemaker_pipelines import LocalPipelineExecutor
from localaws.sagemaker_pipelines.errors import StepFailed
from localaws.sagemaker_pipelines.policies import parse_duration
from localaws.sagemaker_pipelines.steps import STEP_HANDLERS
from localaws.sagemaker_pipelines.steps.processing import ProcessingHandler
from pipelines.pipeline_definition.errors import PipelineDefinitionError

from .helpers import definition, listing, processing_step, statuses

CACHE = {"CacheConfig": {"Enabled": True, "ExpireAfter": "PT1H"}}
JOB_RETRY = {"RetryPolicies": [{"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "IntervalSeconds": 1,
                                "BackoffRate": 2.0, "MaxAttempts": 2}]}


def summaries(executor, record) -> dict[str, dict]:
    steps = executor.list_execution_steps(record.execution_arn)["PipelineExecutionSteps"]
    return {step["StepName"]: step for step in steps}


def test_a_cache_hit_reuses_the_earlier_results_and_says_so(executor, script_uri, bucket, dev_session):
    # The output path under the execution's id, as the SDK writes default outputs.
    output = {"Std:Join": {"On": "/", "Values": [f"s3://{bucket}/prepared", {"Get": "Execution.PipelineExecutionId"}]}}
    step = processing_step("Prepare", script_uri, output, arguments=["--json", "{}"], **CACHE)
    first = executor.run_definition(definition(step), "cached")
    written = f"prepared/{first.execution_id}/result.json"
    assert written in listing(dev_session, bucket)

    second = executor.run_definition(definition(step), "cached")

    assert first.status == second.status == "Succeeded"
    earlier, hit = summaries(executor, first)["Prepare"], summaries(executor, second)["Prepare"]
    assert "CacheHitResult" not in earlier
    assert hit["CacheHitResult"] == {"SourcePipelineExecutionArn": first.execution_arn}
    assert hit["Metadata"] == earlier["Metadata"]  # the earlier job's ARN
    assert second.step("Prepare").properties == first.step("Prepare").properties
    assert listing(dev_session, bucket).count(written) == 1  # the job did not run again:
    assert not any(key.startswith(f"prepared/{second.execution_id}") for key in listing(dev_session, bucket))


def test_other_arguments_or_another_pipeline_miss_the_cache(executor, script_uri, bucket, dev_session):
    step = processing_step("Prepare", script_uri, f"s3://{bucket}/prepared", arguments=["--json", "{}"], **CACHE)
    first = executor.run_definition(definition(step), "cached")
    changed = processing_step("Prepare", script_uri, f"s3://{bucket}/prepared", arguments=["--json", "[]"], **CACHE)

    runs = [executor.run_definition(definition(changed), "cached"), executor.run_definition(definition(step), "other")]

    for record in runs:
        assert record.status == "Succeeded"
        assert "CacheHitResult" not in summaries(executor, record)["Prepare"]
        assert record.step("Prepare").metadata != first.step("Prepare").metadata


class InternalErrorOnce(ProcessingHandler):
    """SageMaker's internal errors cannot happen here: the first run of each step fails with one."""

    failed: set[str] = set()

    def run(self, context):
        if context.node.name not in self.failed:
            self.failed.add(context.node.name)
            raise StepFailed("InternalServerError: We encountered an internal error. Please try again.")
        return super().run(context)


@pytest.fixture
def flaky_executor(dev_session, store) -> LocalPipelineExecutor:
    InternalErrorOnce.failed = set()
    return LocalPipelineExecutor(dev_session, store=store, handlers={**STEP_HANDLERS, "Processing": InternalErrorOnce})


def test_a_transient_job_failure_is_retried_and_the_step_succeeds(flaky_executor, script_uri, bucket, read):
    step = processing_step("Prepare", script_uri, f"s3://{bucket}/retried", arguments=["--json", '{"a": 1}'],
                           **JOB_RETRY)

    record = flaky_executor.run_definition(definition(step), "retried")

    assert statuses(record) == {"Prepare": "Succeeded"}
    assert summaries(flaky_executor, record)["Prepare"]["AttemptCount"] == 2
    assert read(f"s3://{bucket}/retried/result.json") == '{"a": 1}'


def test_without_a_matching_policy_the_transient_failure_fails_the_step(flaky_executor, script_uri, bucket):
    step = processing_step("Prepare", script_uri, f"s3://{bucket}/retried", RetryPolicies=[
        {"ExceptionType": ["SageMaker.CAPACITY_ERROR"], "MaxAttempts": 3}])

    record = flaky_executor.run_definition(definition(step), "not-retried")

    assert statuses(record) == {"Prepare": "Failed"}
    assert record.step("Prepare").failure_reason.startswith("InternalServerError:")
    assert record.step("Prepare").attempt_count == 1


def test_a_script_error_is_never_retried(executor, script_uri, bucket):
    step = processing_step("Prepare", script_uri, f"s3://{bucket}/x", arguments=["--fail-with", "3"], **JOB_RETRY)

    record = executor.run_definition(definition(step), "script-error")

    assert statuses(record) == {"Prepare": "Failed"}
    assert record.step("Prepare").attempt_count == 1
    assert "exited with code 3" in record.step("Prepare").failure_reason


class ThrottledOnce(ProcessingHandler):
    """A throttled S3 answer on the first run (the local stack does not throttle)."""

    calls = 0

    def run(self, context):
        type(self).calls += 1
        if self.calls == 1:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
                               "ResponseMetadata": {"HTTPStatusCode": 503}}, "GetObject")
        return super().run(context)


def test_a_throttled_call_is_retried_by_a_step_policy(dev_session, store, script_uri, bucket):
    ThrottledOnce.calls = 0
    executor = LocalPipelineExecutor(dev_session, store=store, handlers={**STEP_HANDLERS, "Processing": ThrottledOnce})
    step = processing_step("Prepare", script_uri, f"s3://{bucket}/t", RetryPolicies=[
        {"ExceptionType": ["Step.THROTTLING"], "IntervalSeconds": 1, "MaxAttempts": 1}])

    record = executor.run_definition(definition(step), "throttled")

    assert statuses(record) == {"Prepare": "Succeeded"}
    assert record.step("Prepare").attempt_count == 2


@pytest.mark.parametrize(("extra", "message"), [
    ({"RetryPolicies": [{"ExceptionType": ["Step.TIMEOUT"]}]},
     "step 'Prepare': RetryPolicies ExceptionType ['Step.TIMEOUT'] is not supported for a Processing step: use "
     "Step.SERVICE_FAULT, Step.THROTTLING, SageMaker.JOB_INTERNAL_ERROR"),
    ({"RetryPolicies": [{"ExceptionType": ["Step.THROTTLING"], "MaxAttempts": 2, "ExpireAfterMin": 5}]},
     "takes MaxAttempts or ExpireAfterMin, not both"),
    ({"CacheConfig": {"Enabled": True, "ExpireAfter": "30 days"}},
     "step 'Prepare': CacheConfig ExpireAfter '30 days' is not an ISO 8601 duration"),
])
def test_bad_step_policies_are_refused_before_anything_runs(executor, script_uri, bucket, store, extra, message):
    step = processing_step("Prepare", script_uri, f"s3://{bucket}/x", **extra)

    with pytest.raises(PipelineDefinitionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        executor.run_definition(definition(step), "refused")
    assert store.list() == []


def test_a_job_retry_type_on_a_step_without_a_job_is_refused(executor, store):
    fail = {"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "x"},
            "RetryPolicies": [{"ExceptionType": ["SageMaker.CAPACITY_ERROR"]}]}

    with pytest.raises(PipelineDefinitionError, match=r"not supported for a Fail step: use Step\.SERVICE_FAULT, "
                                                      r"Step\.THROTTLING$"):
        executor.run_definition(definition(fail), "refused")


def test_durations_read_as_iso_8601():
    assert parse_duration("P30D").days == 30
    assert parse_duration("PT1H30M").total_seconds() == 5400
    with pytest.raises(ValueError, match="PT"):
        parse_duration("PT")


def source_dir_with_requirements(put, requirements: bytes) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, body in (("process.py", b"print('hi')\n"), ("requirements.txt", requirements)):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return put("framework/sourcedir.tar.gz", buffer.getvalue()).rsplit("/", 1)[0] + "/"


def test_a_source_dir_whose_requirements_are_not_installed_fails_naming_them(executor, script_uri, bucket, put):
    """The container would pip-install them into its own Python; the executor installs nothing into the stack's."""
    source = source_dir_with_requirements(put, b"# the job's needs\nnot-an-installed-package==1.0\n")
    step = processing_step("Prepare", script_uri, f"s3://{bucket}/x", inputs={"source": source})

    record = executor.run_definition(definition(step), "requirements")

    assert statuses(record) == {"Prepare": "Failed"}
    reason = record.step("Prepare").failure_reason
    assert reason.startswith(
        "ClientError: the source_dir's requirements.txt (not-an-installed-package==1.0) is not satisfied by the local "
        "stack's Python, and the local executor installs nothing for a job: ERROR: ")
    assert "not-an-installed-package==1.0" in reason.split("for a job: ", 1)[1]
    assert reason.endswith("install the requirement into the stack's environment (requirements.txt and "
                           "constraints.txt of the project)")


def test_a_source_dir_whose_requirements_are_installed_runs(executor, script_uri, bucket, put):
    source = source_dir_with_requirements(put, b"pandas\n")
    step = processing_step("Prepare", script_uri, f"s3://{bucket}/x", inputs={"source": source})

    record = executor.run_definition(definition(step), "requirements")

    assert statuses(record) == {"Prepare": "Succeeded"}
