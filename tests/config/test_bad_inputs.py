"""The bad-input table (bad_inputs.py) against the Python loader, and its coverage of Terraform's validation blocks.

The same cases run against Terraform in tests/terraform_static/test_bad_inputs.py.
"""

from __future__ import annotations

import pytest

from pipelines.config import environments, load_config
from pipelines.errors import ConfigError

from .bad_inputs import (
    CASES,
    NOT_IN_ENVIRONMENT_FILES,
    BadInput,
    block_of,
    committed,
    names_field,
    validation_blocks,
    write_case,
)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_loader_refuses_each_bad_input_naming_its_field(tmp_path, case: BadInput):
    path = write_case(case, tmp_path)
    with pytest.raises(ConfigError) as raised:
        load_config(case.environment, tmp_path)
    message = str(raised.value)
    assert message.startswith(f"{path}: "), message
    assert names_field(message, case.field), f"{message!r} does not name {case.field}"
    assert raised.value.exit_code == 2


def test_every_validation_block_has_a_bad_input():
    """A validation block added to mlops-infra/variables.tf without a case here fails: map each case to its block
    (the one of its variable whose error_message holds the case's rule) and compare with every block."""
    blocks = validation_blocks()
    assert len(blocks) >= 60, "expected the ~70 validation blocks of mlops-infra/variables.tf"
    covered = {block_of(case) for case in CASES}
    uncovered = [f"var.{block.variable} #{block.index}: {block.error_message}" for block in blocks
                 if block not in covered and block.variable not in NOT_IN_ENVIRONMENT_FILES]
    assert uncovered == [], "validation blocks without a bad input in tests/config/bad_inputs.py:\n" + "\n".join(
        uncovered)


def test_the_blocks_left_out_are_of_variables_no_environment_file_holds():
    assert {block.variable for block in validation_blocks()} >= set(NOT_IN_ENVIRONMENT_FILES)
    for environment in environments():
        assert set(committed(environment)).isdisjoint(NOT_IN_ENVIRONMENT_FILES)


def test_each_case_names_its_field_in_its_blocks_message_and_every_file_is_broken():
    unnamed = [case.id for case in CASES if not names_field(block_of(case).error_message, case.field)]
    assert unnamed == []
    assert {case.environment for case in CASES} == set(environments())


@pytest.mark.parametrize(("message", "field", "named"), [
    ("field 'workload.serving.endpoints[1].mode' has invalid value", "workload.serving.endpoints[].mode", True),
    ("workload.pipeline.processing_instance_type, training_instance_type and transform_instance_type must be",
     "workload.pipeline.training_instance_type", True),
    ("workload.pipeline.processing_instance_type must be", "workload.pipeline.training_instance_type", False),
    ("model_registry.kms_alias must start with 'alias/'", "workload.kms_alias", False),
    ("field 'accounts.devops' is missing", "accounts.dev", False),
    ("fields accounts.registry and accounts.dev are the same account", "accounts.dev", True),
])
def test_a_field_is_named_whole_or_after_its_section(message, field, named):
    assert names_field(message, field) is named
