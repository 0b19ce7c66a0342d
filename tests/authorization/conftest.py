"""`stack_in(mode)`: a real local stack started with `--authorization MODE` (once per session and mode), reset
before each test that asks for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from localaws.tools.stack import LocalAwsStack


@pytest.fixture(scope="session")
def _stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LocalAwsStack]]:
    stacks: dict[str, LocalAwsStack] = {}
    yield stacks
    for stack in stacks.values():
        stack.stop()


@pytest.fixture
def stack_in(_stacks: dict[str, LocalAwsStack], tmp_path_factory: pytest.TempPathFactory
             ) -> Callable[[str], LocalAwsStack]:
    def start(mode: str) -> LocalAwsStack:
        if mode not in _stacks:
            _stacks[mode] = LocalAwsStack(log_path=tmp_path_factory.mktemp(f"stack-{mode}") / "server.log",
                                          authorization=mode).start()
        _stacks[mode].reset()
        return _stacks[mode]

    return start
