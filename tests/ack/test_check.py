"""`export-ack-manifests --check`: hand-written manifests, each problem named by file, line and field, exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

from pipelines.cli import export_ack_manifests as cli
from pipelines.config import load_config

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

DEFINITION = json.dumps({"Version": "2020-12-01", "Parameters": [
    {"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5}], "Steps": [
    {"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "stopped"}}]})

VALID = dedent(f"""\
    apiVersion: sagemaker.services.k8s.aws/v1alpha1
    kind: Pipeline
    metadata:
      name: hand-written
    spec:
      pipelineName: hand-written
      roleARN: arn:aws:iam::{ACCOUNTS.dev}:role/mammo-sagemaker-execution
      tags:
      - key: team
        value: ml
      pipelineDefinition: |
        {DEFINITION}
    """)

EXECUTION = dedent("""\
    ---
    apiVersion: sagemaker.services.k8s.aws/v1alpha1
    kind: PipelineExecution
    metadata:
      name: hand-written-run
    spec:
      pipelineName: hand-written
      pipelineParameters:
      - name: {name}
        value: "{value}"
    """)


def check(tmp_path: Path, capsys, text: str) -> tuple[int, str]:
    path = tmp_path / "manifest.yaml"
    path.write_text(text)
    status = cli.main(["--check", str(path)])
    captured = capsys.readouterr()
    return status, captured.err + captured.out


def test_a_valid_hand_written_manifest_passes(tmp_path, capsys):
    status, output = check(tmp_path, capsys, VALID + EXECUTION.format(name="Threshold", value="0.7"))
    assert status == 0, output
    assert "ok (Pipeline hand-written)" in output
    assert "ok (PipelineExecution hand-written-run)" in output


def test_role_arn_typo_is_named_with_its_line(tmp_path, capsys):
    status, output = check(tmp_path, capsys, VALID.replace("roleARN:", "roleArn:"))
    assert status == 2
    assert "manifest.yaml:7: spec.roleArn: unknown field; did you mean roleARN?" in output
    assert "manifest.yaml:5: spec.roleARN: missing: this field is required" in output


def test_definition_given_as_an_object_is_rejected(tmp_path, capsys):
    text = VALID.replace(f"pipelineDefinition: |\n    {DEFINITION}\n",
                         "pipelineDefinition:\n    Version: '2020-12-01'\n    Steps: []\n")
    status, output = check(tmp_path, capsys, text)
    assert status == 2
    assert "manifest.yaml:11: spec.pipelineDefinition: must be a string, got an object" in output


def test_tabs_are_rejected_with_their_line(tmp_path, capsys):
    status, output = check(tmp_path, capsys, VALID.replace("  name: hand-written\n", "\tname: hand-written\n"))
    assert status == 2
    assert "manifest.yaml:4: a tab in the indentation" in output


def test_json_not_indented_under_the_block_is_named(tmp_path, capsys):
    status, output = check(tmp_path, capsys, VALID.replace(f"    {DEFINITION}", DEFINITION))
    assert status == 2
    assert "manifest.yaml:12: pipelineDefinition: the text of `pipelineDefinition: |` (line 11) must be " \
           "indented more than `pipelineDefinition`" in output


def test_a_field_outside_spec_is_named(tmp_path, capsys):
    status, output = check(tmp_path, capsys, VALID.replace("spec:\n", "pipelineDisplayName: x\nspec:\n"))
    assert status == 2
    assert "manifest.yaml:5: pipelineDisplayName: unknown field; pipelineDisplayName belongs under spec" in output


def test_wrong_api_version_and_bad_name(tmp_path, capsys):
    text = VALID.replace("/v1alpha1", "/v1").replace("name: hand-written\n", "name: Hand_Written\n", 1)
    status, output = check(tmp_path, capsys, text)
    assert status == 2
    assert "manifest.yaml:1: apiVersion: must be 'sagemaker.services.k8s.aws/v1alpha1'" in output
    assert "manifest.yaml:4: metadata.name: 'Hand_Written' is not a Kubernetes name" in output


def test_the_definition_gets_the_executors_pre_run_checks(tmp_path, capsys):
    broken = DEFINITION.replace('"Type": "Fail", "Arguments": {"ErrorMessage": "stopped"}',
                                '"Type": "Fail", "DependsOn": ["Missing"]')
    status, output = check(tmp_path, capsys, VALID.replace(DEFINITION, broken))
    assert status == 2
    assert "manifest.yaml:11: spec.pipelineDefinition: step 'Stop' refers to step 'Missing'" in output


def test_an_unsupported_step_type_is_named(tmp_path, capsys):
    status, output = check(tmp_path, capsys, VALID.replace('"Type": "Fail"', '"Type": "EMR"'))
    assert status == 2
    assert "unsupported step type in step(s) 'Stop' (EMR)" in output


def test_execution_parameters_are_checked_against_their_pipeline(tmp_path, capsys):
    status, output = check(tmp_path, capsys, VALID + EXECUTION.format(name="Threshold", value="high"))
    assert status == 2
    assert "manifest.yaml:20: spec.pipelineParameters: pipeline parameter 'Threshold' must be of type Float" in output
    status, output = check(tmp_path, capsys, VALID + EXECUTION.format(name="Other", value="1"))
    assert status == 2
    assert "unknown pipeline parameter(s) Other" in output


def test_a_key_given_twice_is_named(tmp_path, capsys):
    status, output = check(tmp_path, capsys, VALID.replace("  pipelineName: hand-written\n",
                                                           "  pipelineName: hand-written\n  pipelineName: other\n"))
    assert status == 2
    assert "manifest.yaml:7: spec.pipelineName: given twice" in output


def test_missing_file_and_unknown_kind(tmp_path, capsys):
    assert cli.main(["--check", str(tmp_path / "absent.yaml")]) == 2
    assert "absent.yaml: no such file or folder" in capsys.readouterr().err
    status, output = check(tmp_path, capsys, VALID.replace("kind: Pipeline", "kind: Model"))
    assert status == 2
    assert "manifest.yaml:2: kind: 'Model' is not a kind this checks: use Pipeline or PipelineExecution" in output
