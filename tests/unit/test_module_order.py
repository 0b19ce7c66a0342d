"""The order `make test` hands modules out in (tests/conftest.py's pytest_collection_modifyitems, kept by
--no-loadscope-reorder): the applied platform's module first, the slow modules that need no prepared state next,
then the modules on a copy of the prepared platform (the demos first), then the rest; a module's own tests keep
their order."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def root_conftest(request: pytest.FixtureRequest):
    return request.config.pluginmanager.get_plugin(str(TESTS / "conftest.py"))


def _item(nodeid: str, *marks: str, fixtures: tuple[str, ...] = ()) -> SimpleNamespace:
    return SimpleNamespace(nodeid=nodeid, fixturenames=["request", *fixtures],
                           iter_markers=lambda: [SimpleNamespace(name=mark) for mark in marks])


def test_modules_are_handed_out_platform_then_slow_then_prepared_then_the_rest(root_conftest):
    prepared = ("platform_snapshot",)
    collected = [
        _item("tests/unit/test_config.py::test_a"),
        _item("tests/terraform_static/test_readmes.py::test_a", "terraform"),
        _item("tests/demo/test_deploy.py::test_a", "terraform", "slow", fixtures=prepared),
        _item("tests/e2e/test_demo.py::test_a", "e2e", "slow", "terraform", fixtures=prepared),
        _item("tests/local_stack/test_stack.py::test_a", "slow"),
        _item("tests/terraform_apply/test_runner.py::test_a", "terraform", "slow"),
        _item(f"{root_conftest.FIRST_MODULE}::test_reads", "terraform", "slow",
              fixtures=("applied_platform", *prepared)),
        _item("tests/terraform_apply/enforced/test_platform_enforced.py::test_a", "terraform", "slow",
              fixtures=("applied_platform", *prepared)),
        _item("tests/e2e/test_demo.py::test_b", "e2e", "slow", "terraform", fixtures=prepared),
        _item(f"{root_conftest.FIRST_MODULE}::test_destroys", "terraform", "slow",
              fixtures=("applied_platform", *prepared)),
    ]
    items = list(collected)

    root_conftest.pytest_collection_modifyitems(None, items)

    assert [item.nodeid for item in items] == [
        f"{root_conftest.FIRST_MODULE}::test_reads",
        f"{root_conftest.FIRST_MODULE}::test_destroys",
        "tests/terraform_apply/test_runner.py::test_a",
        "tests/local_stack/test_stack.py::test_a",
        "tests/e2e/test_demo.py::test_a",
        "tests/e2e/test_demo.py::test_b",
        "tests/demo/test_deploy.py::test_a",
        "tests/terraform_apply/enforced/test_platform_enforced.py::test_a",
        "tests/terraform_static/test_readmes.py::test_a",
        "tests/unit/test_config.py::test_a",
    ]


def test_the_first_module_is_the_applied_platforms(root_conftest):
    module = TESTS.parent / root_conftest.FIRST_MODULE
    assert module.is_file()
    assert "applied_platform" in module.read_text()
