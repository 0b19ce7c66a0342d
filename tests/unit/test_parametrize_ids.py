"""Test ids stay whole under `--dist loadscope`: xdist takes a test's module from its node id up to the last "::",
so a parameter id holding "::" (an ARN) would split the module between workers and set up its fixtures twice."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest


@pytest.fixture
def root_conftest(request: pytest.FixtureRequest):
    return request.config.pluginmanager.get_plugin(str(Path(__file__).resolve().parents[1] / "conftest.py"))


def test_an_arn_parameter_gets_an_id_without_double_colons(root_conftest):
    assert root_conftest.pytest_make_parametrize_id(None, "arn:aws:s3:::bucket/key", "resource") == (
        "arn:aws:s3:bucket/key")
    assert root_conftest.pytest_make_parametrize_id(None, "arn:aws:iam::111111111111:role/x", "resource") == (
        "arn:aws:iam:111111111111:role/x")
    assert root_conftest.pytest_make_parametrize_id(None, "plain", "name") is None  # pytest's own id


def test_a_collected_id_with_double_colons_in_its_parameters_is_refused(root_conftest):
    explicit = SimpleNamespace(nodeid="tests/x/test_y.py::test_z[s3:PutObject-arn:aws:s3:::bucket]")
    with pytest.raises(pytest.UsageError, match=r"test_y\.py::test_z\[s3:PutObject-arn:aws:s3:::bucket\]"):
        root_conftest.pytest_collection_modifyitems(None, [explicit])


@pytest.mark.parametrize("resource", ["arn:aws:s3:::bucket"])
def test_this_modules_own_arn_parameter_has_a_whole_id(request, resource):
    assert request.node.nodeid.endswith("::test_this_modules_own_arn_parameter_has_a_whole_id[arn:aws:s3:bucket]")
