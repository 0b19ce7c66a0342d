"""The bad-input table (tests/config/bad_inputs.py) against Terraform: each case's file fails the plan with the
validation block the case names, its message naming the same field as the Python loader's.

One `terraform test` run evaluates every case (terraform's start-up is the expensive part): a temporary root holds
a copy of mlops-infra/variables.tf alone, so a plan needs no provider and no AWS, as mlops-infra/tests/variables
does for validation.tftest.hcl; each case is a test file of its own, because a run that fails on a variable skips
the rest of its file. Its run sets every variable from the case's file (as -var-file would) and lambda_zip_dir
as the runner passes it. `-json` gives each run's diagnostics, whose detail is the block's error_message.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from config.bad_inputs import CASES, VARIABLES_TF, block_of, committed, names_field  # tests/ is on sys.path

from pipelines.config import environments
from pipelines.lambdas.package import FUNCTIONS

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

CHECKED_BY = "\n\nThis was checked by the validation rule at "


def _hcl(value) -> str:
    """`value` as an HCL expression: JSON's literals are HCL's, but object keys take `=` and a string's `${` and
    `%{` would start a template."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_hcl(str(key))} = {_hcl(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    return json.dumps(value)


def _test_file(document: dict) -> str:
    variables = {"lambda_zip_dir": "lambda", **document}  # a folder of the zips, as the runner passes for dev and prod
    lines = [f"    {name} = {_hcl(value)}" for name, value in variables.items()]
    return "\n".join(['run "file" {', "  command = plan", "  variables {", *lines, "  }", "}", ""])


def _runs(output: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """({test file: status}, {test file: details of its error diagnostics}) from `terraform test -json`."""
    statuses, details = {}, defaultdict(list)
    for line in output.splitlines():
        message = json.loads(line)
        if message.get("type") == "test_run" and message["test_run"].get("progress") == "complete":
            statuses[Path(message["test_run"]["path"]).name] = message["test_run"]["status"]
        elif message.get("type") == "diagnostic" and message["diagnostic"]["severity"] == "error":
            # A diagnostic of no test file (a file terraform could not read) is kept under "" and fails below.
            details[Path(message.get("@testfile", "")).name].append(message["diagnostic"].get("detail", ""))
    return statuses, details


def test_terraform_refuses_each_bad_input_naming_its_field(terraform, tmp_path):
    root = tmp_path / "variables-only"
    (root / "tests").mkdir(parents=True)
    shutil.copy(VARIABLES_TF, root / "variables.tf")
    (root / "lambda").mkdir()
    for function in FUNCTIONS:  # the folder's validation asks for the zips by name, not for their contents
        (root / "lambda" / f"{function}.zip").write_bytes(b"")
    controls = {f"committed_{environment}.tftest.hcl": committed(environment) for environment in environments()}
    cases = {f"case_{index:03d}.tftest.hcl": case for index, case in enumerate(CASES)}
    for name, document in [*controls.items(), *((name, case.document()) for name, case in cases.items())]:
        (root / "tests" / name).write_text(_test_file(document))

    result = terraform.run(root, "test", "-json", data_dir=tmp_path / "data")
    statuses, details = _runs(result.stdout)

    assert "" not in details, details[""]
    assert {name: statuses.get(name) for name in controls} == dict.fromkeys(controls, "pass"), details
    problems = []
    for name, case in cases.items():
        messages = [detail.split(CHECKED_BY)[0] for detail in details[name]]
        expected = block_of(case).error_message
        if statuses.get(name) == "pass" or expected not in messages:
            problems.append(f"{case.id} ({name}): {statuses.get(name)}, expected {expected!r}, got {messages}")
        elif not names_field(expected, case.field):
            problems.append(f"{case.id}: Terraform's message does not name {case.field}: {expected!r}")
    assert problems == [], "\n".join(problems)
    assert result.returncode != 0  # the cases' runs fail
