"""The demo end to end with the processing drift-check engine (no Model Monitor container anywhere): the same
tests as test_demo.py, on a stack of this module's own, so the two runs go side by side under `make test`."""

from __future__ import annotations

import pytest

from pipelines.config import PROCESSING

from .test_demo import *  # noqa: F403 - the same tests and fixtures, with the engine below
from .test_demo import (
    ENGINE_INDEPENDENT,
    pytestmark,  # noqa: F401 - markers are not taken by the star import
)

for _name in ENGINE_INDEPENDENT:  # the endpoint steps do not depend on the drift-check engine
    del globals()[_name]


@pytest.fixture(scope="module")
def engine() -> str:
    return PROCESSING
