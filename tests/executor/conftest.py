"""Fixtures of the executor tests: a bucket in the dev account of the (reset) local stack, an executor."""

from __future__ import annotations

from collections.abc import Callable
from textwrap import dedent

import pytest

from localaws.sagemaker_pipelines import ExecutionStore, LocalPipelineExecutor
from pipelines import s3_uri
from pipelines.config import load_config

BUCKET = f"executor-tests-{load_config('dev').account_id}"


@pytest.fixture
def bucket(dev_session) -> str:
    dev_session.client("s3").create_bucket(Bucket=BUCKET)
    return BUCKET


@pytest.fixture
def store(tmp_path) -> ExecutionStore:
    return ExecutionStore(tmp_path / "executions")


@pytest.fixture
def status_changes() -> list[dict]:
    return []


@pytest.fixture
def executor(dev_session, store, status_changes) -> LocalPipelineExecutor:
    return LocalPipelineExecutor(dev_session, store=store,
                                 on_status_change=lambda description, previous: status_changes.append(description))


@pytest.fixture
def put(dev_session, bucket) -> Callable[[str, str | bytes], str]:
    """Write an object to the test bucket; returns its URI."""
    s3 = dev_session.client("s3")

    def put_object(key: str, body: str | bytes) -> str:
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)
        return f"s3://{bucket}/{key}"

    return put_object


@pytest.fixture
def read(dev_session) -> Callable[[str], str]:
    s3 = dev_session.client("s3")

    def read_object(uri: str) -> str:
        bucket, key = s3_uri.split(uri)
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()

    return read_object


# A processing script that behaves as the definition asks: copy inputs, write a JSON file, or fail.
SCRIPT = dedent("""
    import argparse, json, pathlib, shutil, sys
    parser = argparse.ArgumentParser()
    parser.add_argument("--input-dir")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--json")
    parser.add_argument("--fail-with", type=int)
    args = parser.parse_args()
    if args.fail_with:
        print("reading the input", file=sys.stderr)
        print(f"ValueError: column 'age' is missing", file=sys.stderr)
        sys.exit(args.fail_with)
    output = pathlib.Path(args.output_dir)
    if args.input_dir:
        for path in sorted(pathlib.Path(args.input_dir).rglob("*")):
            if path.is_file():
                target = output / path.relative_to(args.input_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
    if args.json:
        (output / "result.json").write_text(args.json)
""")


@pytest.fixture
def script_uri(put) -> str:
    return put("code/abc/step.py", SCRIPT)
