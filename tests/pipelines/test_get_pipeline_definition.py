"""get-pipeline-definition in-process: stdout is exactly the JSON, --output writes it, bad input exits 2."""

from __future__ import annotations

import json

import pytest

from pipelines.cli import get_pipeline_definition
from pipelines.config import load_config

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account


def test_prints_only_the_definition_json(capsys):
    assert get_pipeline_definition.main(["--env", "dev", "--pipeline", "inference"]) == 0
    definition = json.loads(capsys.readouterr().out)
    assert definition["Steps"][0]["Name"] == "LatestApprovedModel"


def test_sample_style_module_and_kwargs_write_a_file(tmp_path, capsys):
    target = tmp_path / "out" / "train.json"
    status = get_pipeline_definition.main([
        "--module-name", "pipelines.train.pipeline", "--output", str(target),
        "--kwargs", json.dumps({"env": "prod", "role": f"arn:aws:iam::{ACCOUNTS.prod}:role/custom"})])
    assert status == 0
    assert capsys.readouterr().out == ""
    text = target.read_text()
    assert json.loads(text)["Steps"][0]["Arguments"]["RoleArn"] == f"arn:aws:iam::{ACCOUNTS.prod}:role/custom"
    assert f"mammo-data-{ACCOUNTS.prod}" in text


@pytest.mark.parametrize(("argv", "message"), [
    (["--env", "dev"], "give --pipeline train|inference or --module-name MODULE"),
    (["--pipeline", "train", "--kwargs", "{"], "--kwargs is not valid JSON"),
    (["--pipeline", "train", "--kwargs", '{"bucket": "x"}'], "unknown kwarg(s) bucket"),
    (["--module-name", "no_such_module.pipeline"], "unknown pipeline module"),
    (["--pipeline", "train", "--kwargs", '{"env": "registry"}'], "has no 'workload' section"),
])
def test_bad_input_exits_2(argv, message, capsys):
    assert get_pipeline_definition.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("get-pipeline-definition: error: ")


def test_output_pointing_at_a_folder_exits_2_and_writes_nothing(tmp_path, capsys):
    assert get_pipeline_definition.main(["--pipeline", "train", "--output", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"get-pipeline-definition: error: --output {tmp_path}: is a folder: give "
                                       "the path of a file to write\n")
    assert list(tmp_path.iterdir()) == []


def test_output_under_a_file_exits_2(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert get_pipeline_definition.main(["--pipeline", "train", "--output", str(tmp_path / "file" / "x.json")]) == 2
    assert (f"--output {tmp_path / 'file' / 'x.json'}: {tmp_path / 'file'} is a file, not a folder"
            in capsys.readouterr().err)
