"""The one mapping from a failure to an exit code: regressions of the CLI layer, each an old probe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import botocore.exceptions
import pytest

from pipelines.cli import prepare_data, run_pipeline
from pipelines.cli.support import failure
from pipelines.config import load_config
from pipelines.errors import EXIT_AWS_UNREACHABLE, EXIT_LOCAL_STACK_UNAVAILABLE, EXIT_USAGE, DemoStepFailed

DEV = load_config("dev")


def test_a_bad_parameter_value_exits_2_before_any_aws_call(dev_session, dev_data_bucket, aws, capsys):
    sagemaker = dev_session.client("sagemaker")
    assert run_pipeline.main(["--env", "dev", "--pipeline", "train"]) == 0  # the pipeline exists
    before = sagemaker.describe_pipeline(PipelineName="mammo-train")
    capsys.readouterr()

    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--description", "changed", "--start",
                                "--parameters", "AucScoreThreshold=abc"])

    assert status == EXIT_USAGE
    assert capsys.readouterr().err.splitlines() == [
        "run-pipeline: error: pipeline parameter 'AucScoreThreshold' must be of type Float, got 'abc'"]
    # No UpdatePipeline (the description would have changed), no CreatePipeline, no StartPipelineExecution.
    after = sagemaker.describe_pipeline(PipelineName="mammo-train")
    assert (after.get("PipelineDescription"), after["LastModifiedTime"]) == (before.get("PipelineDescription"),
                                                                            before["LastModifiedTime"])
    assert [p["PipelineName"] for p in sagemaker.list_pipelines()["PipelineSummaries"]] == ["mammo-train"]
    assert sagemaker.list_pipeline_executions(PipelineName="mammo-train")["PipelineExecutionSummaries"] == []


@pytest.mark.parametrize(("value", "kind"), [("abc", "Float"), ("0.8x", "Float"), (" 0.8", "Float"),
                                             ("nan", "Float"), ("1e999", "Float")])
def test_a_value_not_of_the_declared_type_is_refused_offline(value, kind, capsys):
    # No stack, no credentials: the check runs on the definition built locally, before the first AWS call.
    status = run_pipeline.main(["--env", "dev", "--pipeline", "train", "--parameters", f"AucScoreThreshold={value}"],
                               env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert status == EXIT_USAGE
    assert f"'AucScoreThreshold' must be of type {kind}, got {value!r}" in capsys.readouterr().err


@pytest.mark.parametrize("error", [
    botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9/"),
    botocore.exceptions.ConnectionClosedError(endpoint_url="http://127.0.0.1:9/"),
    botocore.exceptions.ReadTimeoutError(endpoint_url="http://127.0.0.1:9/"),
    botocore.exceptions.ConnectTimeoutError(endpoint_url="http://127.0.0.1:9/"),
    ConnectionResetError(104, "Connection reset by peer"),
], ids=lambda error: type(error).__name__)
def test_every_connection_failure_maps_to_5_on_the_stack_and_7_on_aws(error):
    assert failure(error, local=True)[0] == EXIT_LOCAL_STACK_UNAVAILABLE
    code, line = failure(error, local=False)
    assert code == EXIT_AWS_UNREACHABLE
    assert "cannot reach" in line
    assert "\n" not in line
    step = DemoStepFailed("train", "dev", error)  # the demo keeps the step's name, the stack's exit code
    assert failure(step, local=True) == (EXIT_LOCAL_STACK_UNAVAILABLE, failure(step, local=True)[1])
    assert failure(step, local=True)[1].startswith("step 'train' in account dev failed: the local stack")


@pytest.mark.parametrize(("make", "problem"), [
    (lambda path: path.write_text("x"), "{path} is a file, not a folder"),
    (lambda path: path.parent.write_text("x"), "its parent {parent} is a file, not a folder"),
], ids=["a file", "under a file"])
def test_prepare_data_output_dir_that_cannot_be_a_folder_exits_2_and_writes_nothing(tmp_path, capsys, make,
                                                                                     problem):
    path = tmp_path / "out" if "parent" not in problem else tmp_path / "file" / "out"
    make(path)
    before = sorted(tmp_path.rglob("*"))
    assert prepare_data.main(["--env", "dev", "--output-dir", str(path), "--no-upload"]) == EXIT_USAGE
    expected = problem.format(path=path, parent=tmp_path / "file")
    assert capsys.readouterr().err == (f"prepare-data: error: --output-dir {path}: {expected}: give a writable "
                                       "folder\n")
    assert sorted(tmp_path.rglob("*")) == before


def test_prepare_data_output_dir_not_writable_exits_2(tmp_path, require_tool):
    """The command itself; as root (CI), without the capabilities that let root write anywhere: setpriv drops them
    from the bounding set, so the folder's mode bits refuse root as they refuse any user."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    command = [str(Path(sys.executable).parent / "prepare-data"), "--env", "dev", "--output-dir", str(locked / "out"),
               "--no-upload"]
    if os.geteuid() == 0:
        command = [require_tool("setpriv"), "--bounding-set", "-dac_override,-dac_read_search", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == EXIT_USAGE
    assert "is not writable" in result.stderr
