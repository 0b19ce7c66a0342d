"""A processing step runs its code only when the object holds the bytes its content-addressed key names."""

from __future__ import annotations

import hashlib

from .conftest import SCRIPT
from .helpers import definition, processing_step


def test_code_whose_bytes_match_its_key_runs(executor, put, bucket):
    script_uri = put(f"code/{hashlib.sha256(SCRIPT.encode()).hexdigest()}/step.py", SCRIPT)
    record = executor.run_definition(definition(processing_step("Run", script_uri, f"s3://{bucket}/out")), "intact")
    assert record.step("Run").status == "Succeeded"


def test_code_changed_under_its_key_fails_the_step_naming_the_object(executor, put, bucket, dev_session):
    key = f"code/{hashlib.sha256(SCRIPT.encode()).hexdigest()}/step.py"
    tampered = SCRIPT + "# changed in place\n"
    script_uri = put(key, tampered)
    record = executor.run_definition(definition(processing_step("Run", script_uri, f"s3://{bucket}/out")),
                                     "tampered")
    step = record.step("Run")
    assert step.status == "Failed"
    assert step.failure_reason == (
        f"ClientError: s3://{bucket}/{key} does not hold the code its key names: its SHA-256 is "
        f"{hashlib.sha256(tampered.encode()).hexdigest()}; upload the code again with run-pipeline")
    listed = dev_session.client("s3").list_objects_v2(Bucket=bucket, Prefix="out")
    assert listed["KeyCount"] == 0  # the step ran nothing
