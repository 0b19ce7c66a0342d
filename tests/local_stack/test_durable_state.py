"""Every service's state outlives the server: a stack stopped (or killed) and started again on the same state
folder answers with the same buckets, object versions and bodies, keys, roles, registry, rules and clock; a state
it must not load is refused with the fix named, and nothing on disk changes."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import boto3
import pytest
from support import LAMBDA_TRUST, wait_for

from localaws.persistence import layout, snapshots
from localaws.tools.stack import LocalAwsStack, advance_clock, call_route, read_deliveries
from pipelines.errors import EXIT_USAGE

from .pipeline_api import ACCOUNT, ROLE, client, definition, processing_step, put_script, step_statuses

BUCKET = "durable-state"
S3_PART = "moto.s3.models:s3_backends"
IAM_PART = "moto.iam.models:iam_backends"  # with STS's
GROUP = "durable-group"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
RESTART_REASON = "The local stack stopped while the execution was running"


def _fill(endpoint: str) -> dict:
    """Create one of each kind of state; what the restarted stack must answer identically."""
    s3, kms, iam = client(endpoint, "s3"), client(endpoint, "kms"), client(endpoint, "iam")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=BUCKET, Key="data.bin", Body=b"first", ChecksumAlgorithm="SHA256")
    body = os.urandom(300_000)  # above moto's in-memory buffer: a body kept in a temporary file
    second = s3.put_object(Bucket=BUCKET, Key="data.bin", Body=body, ChecksumAlgorithm="SHA256")
    key_id = kms.create_key(Description="durable")["KeyMetadata"]["KeyId"]
    iam.create_role(RoleName="durable-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                                                                                 "Statement": []}))
    sagemaker = client(endpoint)
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    package = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP, ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})
    client(endpoint, "events").put_rule(Name="daily", ScheduleExpression="rate(1 day)")
    # Lambda indexes its functions weakly by ARN and its aliases in a defaultdict: both must be saved too.
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    functions = client(endpoint, "lambda")
    role = iam.create_role(RoleName="durable-function", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
    function_arn = functions.create_function(FunctionName="durable", Runtime="python3.11", Role=role,
                                             Handler="handler.handler", Code={"ZipFile": code.getvalue()},
                                             Publish=True)["FunctionArn"]
    functions.create_alias(FunctionName="durable", Name="live", FunctionVersion="1")
    advance_clock(endpoint, 3600)
    clock_offset = call_route(endpoint, "clock")["offset_seconds"]
    return {"versions": [(first["VersionId"], b"first", first["ChecksumSHA256"]),
                         (second["VersionId"], body, second["ChecksumSHA256"])],
            "key_id": key_id,
            "ciphertext": kms.encrypt(KeyId=key_id, Plaintext=b"the same key material")["CiphertextBlob"],
            "package_arn": package["ModelPackageArn"],
            "function_arn": function_arn,
            "clock_offset": clock_offset}


def _assert_all_there(endpoint: str, saved: dict) -> None:
    s3 = client(endpoint, "s3")
    listed = s3.list_object_versions(Bucket=BUCKET)["Versions"]
    assert sorted(version["VersionId"] for version in listed) == sorted(v for v, _, _ in saved["versions"])
    for version_id, body, checksum in saved["versions"]:
        answer = s3.get_object(Bucket=BUCKET, Key="data.bin", VersionId=version_id, ChecksumMode="ENABLED")
        assert answer["Body"].read() == body
        assert answer["ChecksumSHA256"] == checksum
    kms = client(endpoint, "kms")
    assert kms.decrypt(CiphertextBlob=saved["ciphertext"])["Plaintext"] == b"the same key material"
    assert client(endpoint, "iam").get_role(RoleName="durable-role")["Role"]["RoleName"] == "durable-role"
    package = client(endpoint).describe_model_package(ModelPackageName=saved["package_arn"])
    assert package["ModelApprovalStatus"] == "Approved"
    functions = client(endpoint, "lambda")
    assert functions.get_function(FunctionName=saved["function_arn"])["Configuration"]["FunctionName"] == "durable"
    assert functions.get_alias(FunctionName="durable", Name="live")["FunctionVersion"] == "1"
    rule = client(endpoint, "events").describe_rule(Name="daily")
    assert rule["ScheduleExpression"] == "rate(1 day)"
    assert call_route(endpoint, "clock")["offset_seconds"] == saved["clock_offset"] > 3000


def test_a_stopped_stack_starts_again_with_every_service_s_state(tmp_path):
    state = tmp_path / "state"
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as first:
        saved = _fill(first.endpoint)
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "second.log") as second:
        _assert_all_there(second.endpoint, saved)
        # The restored account still reaches every region of the service (moto's region list came with the state).
        other_region = boto3.client("kms", endpoint_url=second.endpoint, region_name="eu-west-1")
        assert other_region.create_key(Description="elsewhere")["KeyMetadata"]["Arn"].startswith(
            "arn:aws:kms:eu-west-1:")
    bodies = {path.read_bytes() for path in (state / layout.BLOBS).glob("*/*")}
    assert {body for _, body, _ in saved["versions"]} <= bodies  # bodies are files, not inside the pickle
    assert layout.read_header(layout.state_file(state)).summary["resources"]["s3"] >= 1


def test_a_killed_stack_keeps_what_was_written_a_second_before(tmp_path):
    state = tmp_path / "state"
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as first:
        saved = _fill(first.endpoint)
        # The writer snapshots at most once a second after a mutating request: one made after everything above
        # (the clock's move included) is followed by a write that has all of it.
        filled = time.time()
        client(first.endpoint, "iam").create_role(RoleName="after-the-fill", AssumeRolePolicyDocument="{}")
        wait_for(lambda: layout.state_file(state).exists() and layout.state_file(state).stat().st_mtime > filled,
                 "the state written after the fill", timeout=30)
        os.kill(first.pid, signal.SIGKILL)
        first.process.wait()
        first.process = None
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "second.log") as second:
        _assert_all_there(second.endpoint, saved)


def _written_summary(state: Path) -> dict:
    path = layout.state_file(state)
    return layout.read_header(path).summary if path.exists() else {}


def test_an_execution_killed_with_the_stack_is_failed_and_its_event_delivered_once(tmp_path):
    state = tmp_path / "state"
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as first:
        put_script(first.endpoint)
        sns, events = client(first.endpoint, "sns"), client(first.endpoint, "events")
        topic = sns.create_topic(Name="execution-status")["TopicArn"]
        events.put_rule(Name="status", EventPattern=json.dumps({
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"],
            "detail": {"currentPipelineExecutionStatus": ["Failed"]}}))
        events.put_targets(Rule="status", Targets=[{"Id": "topic", "Arn": topic}])
        sagemaker = client(first.endpoint)
        sagemaker.create_pipeline(PipelineName="slow", RoleArn=ROLE, PipelineDefinition=definition(
            processing_step("Sleep", "--sleep", "120.25")))
        arn = sagemaker.start_pipeline_execution(PipelineName="slow")["PipelineExecutionArn"]
        wait_for(lambda: step_statuses(sagemaker, arn).get("Sleep") == "Executing", "Sleep to execute", timeout=120)
        wait_for(lambda: "sagemaker" in _written_summary(state).get("resources", {}) and
                   "events" in _written_summary(state).get("resources", {}), "the state written", timeout=30)
        os.kill(first.pid, signal.SIGKILL)
        first.process.wait()
        first.process = None
    for log_name in ("second.log", "third.log"):  # a second restart announces nothing again
        with LocalAwsStack(state_dir=state, log_path=tmp_path / log_name) as again:
            description = client(again.endpoint).describe_pipeline_execution(PipelineExecutionArn=arn)
            deliveries = [d for d in read_deliveries(again.endpoint, ACCOUNT) if d["rule"] == "status"]
    assert (description["PipelineExecutionStatus"], description["FailureReason"]) == ("Failed", RESTART_REASON)
    assert [(d["detail_type"], d["target_arn"], d["error"]) for d in deliveries] == [
        ("SageMaker Model Building Pipeline Execution Status Change", topic, None)]


def _start_server(state: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "localaws.server", "--port", "1", "--state-dir", str(state)],
                          capture_output=True, text=True, timeout=120, check=False)


def _part_file(state: Path, part: str) -> Path:
    return state / layout.PARTS / layout.parts(layout.state_file(state))[part]["file"]


@pytest.mark.parametrize("damage", ["truncated", "altered", "another-version", "part-altered", "part-another-version",
                                    "part-missing"])
def test_a_state_it_must_not_load_is_refused_and_left_as_it_is(tmp_path, damage):
    state = tmp_path / "state"
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as first:
        client(first.endpoint, "s3").create_bucket(Bucket=BUCKET)
    path = _part_file(state, S3_PART) if damage.startswith("part-") else layout.state_file(state)
    content = path.read_bytes()
    header, payload = content.split(b"\n", 1)
    if damage == "truncated":
        path.write_bytes(content[: len(content) // 2])
    elif damage.endswith("altered"):
        path.write_bytes(header + b"\n" + payload[:-1] + bytes([payload[-1] ^ 1]))
    elif damage.endswith("another-version"):
        fields = json.loads(header)
        path.write_bytes(json.dumps({**fields, "moto": "0.0.1"}).encode() + b"\n" + payload)
    else:
        path.unlink()
    before = {p: p.read_bytes() for p in state.rglob("*") if p.is_file()}

    result = _start_server(state)

    assert result.returncode == EXIT_USAGE, result.stderr
    assert "mlops-local reset" in result.stderr
    assert str(path) in result.stderr
    assert {p: p.read_bytes() for p in state.rglob("*") if p.is_file()} == before


def test_a_stack_without_a_state_folder_starts_empty_and_writes_nothing(tmp_path):
    """The suite's stacks (tests/conftest.py: no state folder) never see each other's state."""
    with LocalAwsStack(log_path=tmp_path / "first.log") as first:
        client(first.endpoint, "s3").create_bucket(Bucket=BUCKET)
    with LocalAwsStack(log_path=tmp_path / "second.log") as second:
        assert client(second.endpoint, "s3").list_buckets()["Buckets"] == []
    assert not list(tmp_path.rglob(layout.STATE_FILE))


def test_without_durability_a_state_folder_keeps_no_service_state_and_the_saved_one_is_left_alone(tmp_path):
    """`mlops-local up --no-durable`: the saved state is neither loaded nor changed; nothing new is kept."""
    state = tmp_path / "state"
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as first:
        client(first.endpoint, "s3").create_bucket(Bucket=BUCKET)
    saved = layout.state_file(state).read_bytes()
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "second.log", durable=False) as second:
        assert client(second.endpoint, "s3").list_buckets()["Buckets"] == []
        client(second.endpoint, "s3").create_bucket(Bucket="not-kept")
        assert call_route(second.endpoint, "state") == {"durable": False}
    assert layout.state_file(state).read_bytes() == saved
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "third.log") as third:
        assert [b["Name"] for b in client(third.endpoint, "s3").list_buckets()["Buckets"]] == [BUCKET]


def test_a_crash_between_a_service_s_file_and_the_manifest_loads_the_previous_state_intact(tmp_path):
    """A part file is written before the manifest that names it: one written without its manifest (the server
    killed in between) is ignored, and removed once a later manifest lands."""
    state, previous = tmp_path / "state", tmp_path / "previous"
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as first:
        s3 = client(first.endpoint, "s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="kept", Body=b"before")
        call_route(first.endpoint, "state", body={})
        shutil.copytree(state / layout.PARTS, previous / layout.PARTS)
        shutil.copy(layout.state_file(state), layout.state_file(previous))
        s3.create_bucket(Bucket="written-without-its-manifest")
        call_route(first.endpoint, "state", body={})
        orphan = _part_file(state, S3_PART)
    assert orphan.name != _part_file(previous, S3_PART).name
    shutil.copy(orphan, previous / layout.PARTS / orphan.name)
    shutil.rmtree(state / layout.PARTS)
    shutil.copytree(previous / layout.PARTS, state / layout.PARTS)
    shutil.copy(layout.state_file(previous), layout.state_file(state))

    with LocalAwsStack(state_dir=state, log_path=tmp_path / "second.log") as second:
        s3 = client(second.endpoint, "s3")
        assert [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]] == [BUCKET]
        assert s3.get_object(Bucket=BUCKET, Key="kept")["Body"].read() == b"before"
        s3.create_bucket(Bucket="after-the-crash")
        call_route(second.endpoint, "state", body={})
    assert not (state / layout.PARTS / orphan.name).exists()
    assert sorted(path.name for path in (state / layout.PARTS).iterdir()) == sorted(
        entry["file"] for entry in layout.parts(layout.state_file(state)).values())


def test_a_request_to_one_service_rewrites_that_service_s_file_only(tmp_path):
    state = tmp_path / "state"
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as stack:
        client(stack.endpoint, "s3").create_bucket(Bucket=BUCKET)
        iam = client(stack.endpoint, "iam")
        iam.create_role(RoleName="first", AssumeRolePolicyDocument="{}")
        before = call_route(stack.endpoint, "state", body={})
        s3_file = _part_file(state, S3_PART)

        iam.create_role(RoleName="second", AssumeRolePolicyDocument="{}")
        after = call_route(stack.endpoint, "state", body={})

    for counter in ("parts_pickled", "parts_written"):
        changed = {part for part, count in after[counter].items() if count != before[counter].get(part, 0)}
        assert changed - {"stack"} == {IAM_PART}, counter
        assert before[counter][S3_PART] >= 1
    assert s3_file.exists()  # still the one the manifest names
    assert _part_file(state, S3_PART) == s3_file


@pytest.mark.parametrize(("method", "path", "target", "within"), [
    ("POST", "/endpoints/model/invocations", "", snapshots.METRICS_SECONDS),
    ("POST", "/", "AmazonSageMaker.CreateEndpoint", snapshots.DEBOUNCE_SECONDS),
    ("POST", "/", "AmazonSageMaker.DescribeEndpoint", None),
    ("PUT", "/bucket/key", "", snapshots.DEBOUNCE_SECONDS),
    ("GET", "/endpoints/model/invocations", "", None),
])
def test_invocations_ask_for_a_snapshot_within_a_minute_other_writes_within_a_second(method, path, target, within):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_X_AMZ_TARGET": target}
    assert snapshots._snapshot_within(environ) == within
