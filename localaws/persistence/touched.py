"""Which services' state a request may have changed: the moto registries (`BackendDict`) it looked into.

Every way into a service's state starts with `backend_dict[account]` (moto's responses, the stack's handlers and
its threads alike), so `install()` wraps `BackendDict.__getitem__` to note the registry. A request notes into its
own set (`request()`, opened by the durable state's gate for each request, nested in-process ones included);
anything else on a thread that serves no request (a ticker, a delivery, an execution's thread) notes into the
background set. Both are written with the next snapshot (only a mutating request asks for one). Reads outside the
gate on a serving thread (authorization looking up policies, `serving()`) note nothing: that layer changes no
service. Noting a registry that was only read costs a needless re-pickle of that service, never a lost write;
`reading()` keeps a known pure read from costing it. Code that iterates a registry (`.items()`) instead of
indexing it and changes what it finds calls `mark()`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from moto.core.base_backend import BackendDict

_local = threading.local()
_background: set[int] = set()
_background_lock = threading.Lock()
_installed = False


def install() -> None:
    """Note every registry looked into from now on (once a process; only a durable server needs it)."""
    global _installed
    if _installed:
        return
    original = BackendDict.__getitem__

    def noted(self: BackendDict, account_id: str) -> Any:
        _note(self)
        return original(self, account_id)

    BackendDict.__getitem__ = noted  # type: ignore[method-assign]
    _installed = True


def _note(backend_dict: BackendDict) -> None:
    if getattr(_local, "quiet", 0):
        return
    frames = getattr(_local, "frames", None)
    if frames:
        frames[-1].add(id(backend_dict))
    elif not getattr(_local, "serving", 0):
        with _background_lock:
            _background.add(id(backend_dict))


def mark(backend_dict: BackendDict) -> None:
    """Note `backend_dict` as changed, for the next snapshot, whatever the request (a read that moves state)."""
    with _background_lock:
        _background.add(id(backend_dict))


@contextmanager
def request() -> Iterator[set[int]]:
    """The registries looked into inside the block, by id (a nested request's are its own)."""
    frames = getattr(_local, "frames", None)
    if frames is None:
        frames = _local.frames = []
    frames.append(set())
    try:
        yield frames[-1]
    finally:
        frames.pop()


def serving() -> AbstractContextManager[None]:
    """A request on this thread, outside the gate: its reads note nothing."""
    return _flagged("serving")


def reading() -> AbstractContextManager[None]:
    """A block that only reads the registries it looks into."""
    return _flagged("quiet")


@contextmanager
def _flagged(flag: str) -> Iterator[None]:
    setattr(_local, flag, getattr(_local, flag, 0) + 1)  # a count: the blocks nest
    try:
        yield
    finally:
        setattr(_local, flag, getattr(_local, flag) - 1)


def take_background() -> set[int]:
    """The registries looked into outside any request since the last call."""
    with _background_lock:
        taken = set(_background)
        _background.clear()
    return taken
