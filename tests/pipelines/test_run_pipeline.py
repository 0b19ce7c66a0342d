"""run-pipeline in-process against the local stack (dev account), and every bad input's exit code."""

from __future__ import annotations

import json

import pytest

from pipelines.cli import run_pipeline
from pipelines.config import load_config
from pipelines.train import pipeline as train_pipeline

DEV = load_config("dev")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = run_pipeline.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_uploads_code_upserts_both_then_reports_unchanged(dev_session, dev_data_bucket, capsys):
    status, out, _ = run(capsys, "--env", "dev")
    assert status == 0
    assert f"{DEV.workload.train_pipeline_name}: created in account {DEV.account_id}" in out
    assert f"{DEV.workload.inference_pipeline_name}: created in account {DEV.account_id}" in out

    keys = sorted(o["Key"] for o in dev_session.client("s3").list_objects_v2(
        Bucket=dev_data_bucket, Prefix="code/")["Contents"])
    assert keys == sorted(asset.key for asset in train_pipeline.code_assets(DEV))
    sagemaker = dev_session.client("sagemaker")
    stored = sagemaker.describe_pipeline(PipelineName="mammo-train")
    assert stored["RoleArn"] == DEV.sagemaker_execution_role_arn
    assert {s["Name"] for s in json.loads(stored["PipelineDefinition"])["Steps"]} >= {"PreprocessData", "TrainModel"}

    status, out, _ = run(capsys, "--env", "dev")
    assert status == 0
    assert "mammo-train: unchanged" in out
    assert "mammo-batch-inference: unchanged" in out


def test_changed_definition_is_updated(dev_session, dev_data_bucket, capsys):
    assert run(capsys, "--env", "dev", "--pipeline", "train")[0] == 0
    status, out, _ = run(capsys, "--module-name", "pipelines.train.pipeline", "--env", "dev",
                         "--description", "new description", "--tags", '{"team": "ml"}')
    assert status == 0
    assert "mammo-train: updated" in out
    assert dev_session.client("sagemaker").describe_pipeline(
        PipelineName="mammo-train")["PipelineDescription"] == "new description"


def test_sample_style_module_kwargs_and_tags_on_create(dev_session, dev_data_bucket, capsys):
    status, out, _ = run(capsys, "--module-name", "pipelines.train.pipeline",
                         "--kwargs", json.dumps({"env": "dev", "pipeline_name": "mammo-train-experiment"}),
                         "--tags", '[{"Key": "team", "Value": "ml"}]')
    assert status == 0
    assert "mammo-train-experiment: created" in out
    sagemaker = dev_session.client("sagemaker")
    arn = sagemaker.describe_pipeline(PipelineName="mammo-train-experiment")["PipelineArn"]
    assert {"Key": "team", "Value": "ml"} in sagemaker.list_tags(ResourceArn=arn)["Tags"]


def test_missing_data_bucket_exits_1_with_the_aws_answer_and_a_hint(aws, capsys):
    status, out, err = run(capsys, "--env", "dev", "--pipeline", "train")
    assert status == 1
    assert out == ""
    assert "uploading the code of mammo-train: AWS answered NoSuchBucket" in err
    assert "is the environment's infrastructure applied" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["--env", "dev", "--kwargs", "{not json"], "--kwargs is not valid JSON"),
    (["--env", "dev", "--kwargs", "[1, 2]"], "--kwargs must be a JSON object"),
    (["--env", "dev", "--kwargs", '{"region": "us-east-1"}'], "unknown kwarg(s) region"),
    (["--env", "dev", "--module-name", "pipelines.nothing_here"], "unknown pipeline module 'pipelines.nothing_here'"),
    (["--env", "dev", "--pipeline", "train", "--parameters", "NoSuchParameter=1"],
     "unknown pipeline parameter(s) NoSuchParameter"),
    (["--env", "dev", "--parameters", "AucScoreThreshold"], "use NAME=VALUE"),
    (["--env", "dev", "--tags", "{oops"], "--tags is not valid JSON"),
    (["--env", "dev", "--tags", '[{"Key": "a"}]'], "--tags must be"),
    (["--env", "dev", "--wait"], "--wait needs --start"),
    (["--env", "dev", "--start", "--wait", "--execution-arn", "arn:x"], "--execution-arn goes with --wait alone"),
    (["--pipeline", "train"], "give --env"),
])
def test_bad_input_exits_2_naming_the_problem(argv, message, capsys):
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert message in err
    assert err.startswith("run-pipeline: error: ")


@pytest.mark.parametrize(("argv", "message"), [(["--env", "dev", "--pipeline", "nope"], "invalid choice"),
                                               (["--env", "Q A"], "invalid environment name 'Q A'")])
def test_unknown_choices_are_argparse_errors_with_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_pipeline.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_an_environment_without_a_file_is_a_configuration_error_with_exit_2(capsys):
    assert run_pipeline.main(["--env", "qa"]) == 2
    assert "qa.tfvars.json: environment file not found ('qa')" in capsys.readouterr().err
