"""S3 object bodies of a durable stack: each stored once, and read where it lies.

moto keeps an object's body in a SpooledTemporaryFile (`FakeKey._value_buffer`, in memory up to a size, then a
temporary file) and sets it through the `value` property. A snapshot names each key's body by its digest (the
body itself is a file `blobs/<sha256>`, `layout.blob_path`). Two costs follow, both answered here:

- Reading and hashing every body at every snapshot, under the request gate, costs as much as the data. The
  digest is remembered per key once known (`digest`) and forgotten whenever moto sets the key's value
  (`install` wraps the property's setter; moto sets it in FakeKey's constructor and `__setstate__`), so a
  snapshot reads only the bodies it has not stored.
- A loaded state would hold every body again (in memory, or copied to temporary files). The blob files are
  content-addressed and never changed, so a loaded key's buffer is a `StoredBody` reading its blob file when moto
  reads the body; setting a new value gives the key its own SpooledTemporaryFile, as moto makes one. The blobs
  live StoredBodies read are kept by garbage collection (`still_read`) even when no state names them any more (a
  key deleted while a request still reads it).
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

from moto.s3.models import FakeKey

from localaws.persistence import layout

_lock = threading.Lock()
_digests: weakref.WeakKeyDictionary[FakeKey, str] = weakref.WeakKeyDictionary()
_stored: weakref.WeakSet[StoredBody] = weakref.WeakSet()
_values_set = 0  # how many times a key's value was set: a digest computed meanwhile may be stale
_installed = False


def install() -> None:
    """Forget a key's digest (and drop its StoredBody) whenever its value is set; once a process."""
    global _installed
    with _lock:
        if _installed:
            return
        original: property = FakeKey.value

        def set_value(key: FakeKey, new_value: bytes) -> None:
            global _values_set
            with _lock:
                _digests.pop(key, None)
                _values_set += 1
            if isinstance(vars(key).get("_value_buffer"), StoredBody):  # the blob file stays as it is
                key._value_buffer = tempfile.SpooledTemporaryFile(key._max_buffer_size)
            original.fset(key, new_value)

        FakeKey.value = original.setter(set_value)  # type: ignore[method-assign]
        _installed = True


class StoredBody:
    """A loaded key's body, read from its blob file when moto reads it: the file operations moto calls on
    `FakeKey._value_buffer` (seek, read, tell, close), read-only. The file is opened for each read: a stack may hold
    more keys than a process may hold open files."""

    def __init__(self, path: Path, digest: str, size: int):
        self.path = path
        self.digest = digest
        self.size = size
        self.closed = False
        self._position = 0
        with _lock:
            _stored.add(self)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0) -> int:
        self._check_open()
        base = {0: 0, 1: self._position, 2: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        self._check_open()
        return self._position

    def read(self, size: int = -1) -> bytes:
        self._check_open()
        try:
            with self.path.open("rb") as stream:
                stream.seek(self._position)
                data = stream.read(size if size is not None and size >= 0 else -1)
        except FileNotFoundError:
            raise layout.missing_blob(self.path, "the object cannot be read") from None
        self._position += len(data)
        return data

    def write(self, data: Any) -> int:
        raise OSError(f"{self.path} is a stored S3 body: a new value gets its own buffer")

    truncate = write

    def close(self) -> None:
        self.closed = True

    def _check_open(self) -> None:
        if self.closed:  # as a closed file answers: moto's FakeKey.__getstate__ counts on it
            raise ValueError("I/O operation on closed file.")


def stored_body(state_dir: Path, digest: str) -> StoredBody:
    """The body `digest` names in `state_dir`, to be read when moto reads it; StateRefused when its file is
    missing."""
    path = layout.blob_path(state_dir, digest)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise layout.missing_blob(path, "nothing was loaded") from None
    return StoredBody(path, digest, size)


def restore(key: FakeKey, state: dict[str, Any], body: StoredBody) -> None:
    """Set a key unpickled without its buffer (`state` as moto's `__getstate__` makes it, `value` removed): its body
    read from `body`."""
    # A key moto had disposed of (a completed upload's parts, still held by its object) pickles with the empty
    # body, as moto's __getstate__ pickles it; its size is then 0, as moto's __setstate__ sets it.
    if body.size != state["contentsize"] and body.digest != _EMPTY:
        raise layout.StateRefused(f"{body.path}, the body of an S3 object in the local stack state, has "
                                  f"{body.size} bytes, not {state['contentsize']}: the state cannot be read; to "
                                  f"start over, run {layout.RESET_FIX}")
    vars(key).update(state)
    key.contentsize = body.size
    key._value_buffer = body
    key.lock = threading.Lock()


def key_state(key: FakeKey) -> dict[str, Any]:
    """What moto's `FakeKey.__getstate__` returns, without the body (which it reads whole)."""
    state = vars(key).copy()
    del state["_value_buffer"], state["lock"]
    return state


def digest(key: FakeKey) -> tuple[str, bytes | None]:
    """The SHA-256 of the key's body, and the body when it had to be read for it (None when the digest was known).
    A key's buffer closed (moto disposed of it) has the empty body, as moto pickles it."""
    buffer = key._value_buffer
    if buffer.closed:
        return _EMPTY, None
    if isinstance(buffer, StoredBody):
        return buffer.digest, None
    with _lock:
        known, since = _digests.get(key), _values_set
    if known is not None:
        return known, None
    body = read(key)
    found = hashlib.sha256(body).hexdigest()
    with _lock:
        if _values_set == since:  # else the body may have changed while it was hashed: hash it again next time
            _digests[key] = found
    return found, body


def read(key: FakeKey) -> bytes:
    try:
        return key.value
    except ValueError:  # closed meanwhile
        return b""


def still_read(state_dir: Path) -> set[str]:
    """The digests of the blobs in `state_dir` that live keys read their bodies from."""
    blobs = Path(state_dir) / layout.BLOBS
    with _lock:
        bodies = list(_stored)
    return {body.digest for body in bodies if not body.closed and body.path.parent.parent == blobs}


_EMPTY = hashlib.sha256(b"").hexdigest()
