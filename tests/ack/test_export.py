"""`export-ack-manifests`: valid against the strict CRD schema, the definition byte for byte, the same bytes twice."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from pipelines.ack.schema import strict_schema
from pipelines.cli import export_ack_manifests as cli
from pipelines.cli import get_pipeline_definition
from pipelines.config import load_config

EXPORT_ARGS = ["--env", "dev", "--pipeline", "all", "--execution", "--max-parallel-steps", "2",
               "--parameters", "AucScoreThreshold=0.8", "--parameters", "BatchDataUri=s3://b/batch/"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exported")
    assert cli.main([*EXPORT_ARGS, "--out", str(out)]) == 0
    return out


def documents(folder: Path) -> dict[str, dict]:
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(folder.glob("*.yaml"))}


def test_one_file_per_resource(exported):
    assert sorted(documents(exported)) == [
        "pipeline-mammo-batch-inference.yaml", "pipeline-mammo-train.yaml",
        "pipelineexecution-mammo-batch-inference-execution.yaml", "pipelineexecution-mammo-train-execution.yaml"]
    assert not list(exported.glob(".*")), "no temporary file is left behind"


def test_every_manifest_has_zero_errors_against_the_strict_crd_schema(exported):
    for name, document in documents(exported).items():
        errors = list(jsonschema.Draft202012Validator(strict_schema(document["kind"])).iter_errors(document))
        assert errors == [], f"{name}: {[error.message for error in errors]}"


@pytest.mark.parametrize("pipeline", ["train", "inference"])
def test_definition_round_trips_byte_identical(exported, tmp_path, pipeline):
    printed = tmp_path / "definition.json"
    assert get_pipeline_definition.main(["--env", "dev", "--pipeline", pipeline, "--output", str(printed)]) == 0
    name = {"train": "mammo-train", "inference": "mammo-batch-inference"}[pipeline]
    spec = documents(exported)[f"pipeline-{name}.yaml"]["spec"]
    assert spec["pipelineDefinition"].encode() == printed.read_bytes()


def test_fields_come_from_the_environment(exported):
    config = load_config("dev")
    spec = documents(exported)["pipeline-mammo-train.yaml"]["spec"]
    assert spec["pipelineName"] == spec["pipelineDisplayName"] == "mammo-train"
    assert spec["roleARN"] == config.sagemaker_execution_role_arn
    assert spec["parallelismConfiguration"] == {"maxParallelExecutionSteps": 2}
    assert spec["tags"] == [{"key": "Environment", "value": "dev"}, {"key": "Project", "value": "mammo"}]
    executions = documents(exported)
    assert executions["pipelineexecution-mammo-train-execution.yaml"]["spec"]["pipelineParameters"] == [
        {"name": "AucScoreThreshold", "value": "0.8"}]
    assert executions["pipelineexecution-mammo-batch-inference-execution.yaml"]["spec"]["pipelineParameters"] == [
        {"name": "BatchDataUri", "value": "s3://b/batch/"}]


def test_exported_folder_passes_check(exported, capsys):
    assert cli.main(["--check", str(exported)]) == 0
    assert capsys.readouterr().out.count(": ok (") == 4


def test_same_inputs_give_the_same_bytes(exported, tmp_path):
    assert cli.main([*EXPORT_ARGS, "--out", str(tmp_path)]) == 0
    first = {path.name: path.read_bytes() for path in exported.glob("*.yaml")}
    second = {path.name: path.read_bytes() for path in tmp_path.glob("*.yaml")}
    assert first == second


def test_stdout_is_the_same_documents(exported, capsys):
    assert cli.main(["--env", "dev", "--pipeline", "train"]) == 0
    printed = list(yaml.safe_load_all(capsys.readouterr().out))
    assert printed == [{**documents(exported)["pipeline-mammo-train.yaml"],
                        "spec": {key: value for key, value in
                                 documents(exported)["pipeline-mammo-train.yaml"]["spec"].items()
                                 if key != "parallelismConfiguration"}}]


@pytest.mark.parametrize(("argv", "message"), [
    (["--env", "dev", "--execution", "--parameters", "Nope=1"], "unknown pipeline parameter(s) Nope"),
    (["--env", "dev", "--parameters", "AucScoreThreshold=0.8"], "add --execution"),
    (["--env", "dev", "--max-parallel-steps", "0"], "--max-parallel-steps must be 1 or more"),
    (["--pipeline", "train"], "give --env"),
    (["--env", "dev", "--namespace", "ML_Team"], "--namespace 'ML_Team' is not a Kubernetes namespace name"),
])
def test_bad_usage_exits_2_and_writes_nothing(tmp_path, capsys, argv, message):
    assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
