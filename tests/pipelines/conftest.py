"""Definitions built once per test module: building one takes a few seconds (the SDK is heavy)."""

from __future__ import annotations

import json

import pytest

from pipelines.definitions import definition_json_for


@pytest.fixture(scope="session")
def train_definition(dev_config) -> dict:
    from pipelines.train import pipeline

    return json.loads(definition_json_for(pipeline.build(dev_config)))


@pytest.fixture(scope="session")
def inference_definition(dev_config) -> dict:
    from pipelines.inference import pipeline

    return json.loads(definition_json_for(pipeline.build(dev_config)))
