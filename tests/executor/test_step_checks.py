"""The definition checks and the executor know the same step types: a manifest check accepts exactly what
the executor runs."""

from __future__ import annotations

from localaws.sagemaker_pipelines.steps import STEP_HANDLERS
from pipelines.pipeline_definition.step_checks import STEP_CHECKS


def test_every_step_type_the_executor_runs_has_its_definition_check():
    assert sorted(STEP_HANDLERS) == sorted(STEP_CHECKS)


def test_each_step_type_names_its_own_handler():
    assert all(STEP_HANDLERS[step_type].step_type == step_type for step_type in STEP_HANDLERS)
