"""Snapshots of the services' state, written after mutating requests (at most one a second) and at exit.

Mechanism, and why
------------------
moto keeps each service's state in plain Python objects: a `BackendDict` per service (account -> region ->
backend), the ones in use listed in `BackendDict._instances`. moto has no persistence of its own, but its models
are picklable by design (FakeKey and LambdaFunction define `__getstate__` for it). Each BackendDict is pickled on
its own into a part file, and the stack's own module state (EventBridge deliveries, SNS publication times, the
schedules and the clock's offset, the PolicyArns of assumed-role sessions) into one more. A reference from one
service to another's registry pickles as the name of the live BackendDict (`_live_backends`). Two pairs of
services hold the same moto objects (found by pickling each service on its own and listing the objects met in
two: a Lambda function holds its region's CloudWatch Logs backend; an assumed role's AccessKey is in IAM's and
STS's backends): each pair is one part (`_GROUPS`), so identities survive a load; otherwise only immutable
values (strings, datetimes) are met in two parts. Endpoints keep what was deployed, not the loaded models:
InService fleets load them again from their artifacts; a deployment in progress when the server stopped fails
(the `on_restore` hooks of `localaws.middleware`). A write-ahead log of requests was rejected: replaying
requests would replay their side effects (executions, deliveries, the clock) and depends on every handler being
deterministic.

- Incremental: a snapshot pickles only the services looked into since the last one (`touched`: each request
  notes the registries it indexes; a mutating request asks for a snapshot, the others' ride along), and the
  stack's part (small) every time. The rest of the manifest is carried over.
- One consistent state on disk: part files are named by their digest and never overwritten; the manifest
  (`backends.state`), naming each part's file and SHA-256, is written last, atomically: the commit point. A
  crash before it leaves the previous manifest and the files it names; unnamed files are removed after the next
  manifest lands.
- S3 bodies are not in the pickle: each distinct body is a file `blobs/<sha256>` written once; the pickle names
  the digest. A body's digest is remembered by key object until moto sets the key's value, so a snapshot reads
  only the bodies it has not stored; a loaded body is not read back: the key reads it from its blob file when it
  is asked for it (`bodies`: the blob files are immutable, and kept while a live key reads them).
- Locks pickle as new locks; anything else that cannot be pickled is a bug to fix here, and fails loudly.
- The snapshot is taken under the request gate's exclusive side (`RequestGate`): no request is inside moto while
  the objects are pickled, so the state is one a client could have observed. Only pickling (and reading and
  hashing new bodies) happens under the gate; files are written after it is released: new bodies and part files
  unsynced, then one sync of the file system (`layout.sync_filesystem`), then the manifest (temp + fsync +
  rename).
- Durability bound: a mutating request asks for a snapshot; the writer thread writes at most once per
  `DEBOUNCE_SECONDS` (1 s). A `kill -9` (or a power loss) loses the writes acknowledged in the last
  DEBOUNCE_SECONDS plus the time of one snapshot (measured in the tests and reported in the log as `snapshot ...
  ms`): everything a manifest names is synced before the manifest is. The one exception is InvokeEndpoint, which
  changes only CloudWatch (its lookup of the endpoint is a pure read, `touched.reading`): it asks for a snapshot
  within `METRICS_SECONDS` (60 s, the interval at which SageMaker publishes invocation metrics), so a kill loses
  at most the last minute of invocation metrics, and a stream of invocations re-pickles CloudWatch once a minute
  (each invocation adds 5 datapoints, all kept: a second's pickling grows with the stream). A clean stop
  (SIGTERM, `mlops-local down`) writes a last snapshot of every service: nothing is lost.
- Every file (manifest and parts) carries a version stamp and checksum (`layout.check_state`): another
  version's state, or a truncated or altered file, is refused before anything is loaded, with the fix named.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import io
import json
import logging
import pickle
import re
import sys
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import moto
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_der_private_key,
    load_der_public_key,
)
from moto.core.base_backend import AccountSpecificBackend, BackendDict, backend_lock
from moto.s3.models import FakeKey
from werkzeug import Request, Response

from localaws.authorization import identities
from localaws.events import delivery, schedules
from localaws.events import responses as events_responses
from localaws.middleware import json_response, restored, route
from localaws.persistence import bodies, layout, touched
from localaws.s3 import replication

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 1.0
# SageMaker publishes an endpoint's invocation metrics once a minute (MetricsConfig: "invocation metrics continue
# to be published at the default 60-second interval"): a client cannot count on one sooner, and nothing in the
# stack reads them back but the console (alarms change by SetAlarmState). A stream of invocations therefore
# snapshots CloudWatch once a minute, not once a second.
METRICS_SECONDS = 60.0
_INVOKE_ENDPOINT = re.compile(r"^/endpoints/[^/]+/invocations$")
STATE_ROUTE = "/_mlops/state"
PICKLE_RETRIES = 5  # a ticker thread may change a dict while it is pickled: take the snapshot again
_READ_ONLY_ACTION_PREFIXES = ("Describe", "List", "Get", "Head", "Search", "Invoke", "Query", "Scan", "BatchGet",
                              "Lookup", "Check", "Test", "Simulate")


# ------------------------------------------------------------------------------------------------- pickling

_LOCK_TYPES = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}


def _new(cls: type) -> Any:
    return cls.__new__(cls)


def _set_key_state(key: FakeKey, state: dict[str, Any]) -> None:
    bodies.restore(key, state, state.pop("value"))  # its "value", a blob reference, was loaded as a StoredBody


def _set_dict_state(obj: dict, state: tuple[dict, dict]) -> None:
    items, attributes = state
    dict.update(obj, items)
    vars(obj).update(attributes)


def _load_private_key(der: bytes) -> PrivateKeyTypes:
    # The bytes are the key this stack generated, read from a state file whose SHA-256 was checked: validating an
    # RSA key again costs about a second of CPU per key, most of a loaded `up`.
    return load_der_private_key(der, password=None, unsafe_skip_rsa_key_validation=True)


def _load_public_key(der: bytes) -> PublicKeyTypes:
    return load_der_public_key(der)


def _weak_values(items: dict) -> weakref.WeakValueDictionary:
    return weakref.WeakValueDictionary(items)


def _defaultdict(factory: type, items: dict) -> defaultdict:
    return defaultdict(factory, items)


# defaultdict factories moto writes as lambdas (which do not pickle), by the empty value they make.
_FACTORY_OF_EMPTY = {"{}": dict, "[]": list, "set()": set}


class _BlobRef:
    """What the pickle holds in place of an S3 body: its digest (the key reads the body from the blob file)."""

    def __init__(self, digest: str):
        self.digest = digest


def _blob_body(digest: str) -> bodies.StoredBody:
    """Named in the pickle for an S3 body; `_Unpickler.find_class` answers it with the blob file's StoredBody."""
    raise pickle.UnpicklingError("a body is resolved by localaws.persistence.snapshots._Unpickler only")


def _live_backends(name: str) -> BackendDict:
    """Named in the pickle for a backend holding moto's registry of another service; `_Unpickler` answers it
    with the live one."""
    raise pickle.UnpicklingError("a registry is resolved by localaws.persistence.snapshots._Unpickler only")


_UNKNOWN = object()


def _kind(cls: type) -> str | None:
    """How `_Pickler` saves instances of `cls` (None: pickle's default), decided once a class: the checks
    against the key-type unions cost more than pickling the object itself."""
    if cls in _LOCK_TYPES:
        return "lock"
    if issubclass(cls, BackendDict):
        return "backends"
    checks = (("blob", _BlobRef), ("private-key", PrivateKeyTypes), ("public-key", PublicKeyTypes),
              ("weak-values", weakref.WeakValueDictionary), ("defaultdict", defaultdict), ("key", FakeKey))
    for kind, base in checks:
        if issubclass(cls, base):
            return kind
    if issubclass(cls, dict) and cls.__module__.startswith("moto."):
        return "moto-dict"
    return None


class _Pickler(pickle.Pickler):
    def __init__(self, stream: io.BytesIO, blobs: _Blobs, backend_names: dict[int, str]):
        super().__init__(stream, protocol=pickle.HIGHEST_PROTOCOL)
        self.blobs = blobs
        self.backend_names = backend_names
        self.kinds: dict[type, str | None] = _KINDS

    def reducer_override(self, obj: Any) -> Any:
        kind = self.kinds.get(type(obj), _UNKNOWN)
        if kind is _UNKNOWN:
            kind = self.kinds[type(obj)] = _kind(type(obj))
        if kind is None:
            return NotImplemented
        if kind == "lock":
            return _LOCK_TYPES[type(obj)], ()
        if kind == "backends":  # a backend holding moto's registry of another service: the live one
            return _live_backends, (self.backend_names[id(obj)],)
        if kind == "blob":
            return _blob_body, (obj.digest,)
        if kind == "private-key":  # KMS key material: the same key after a restart
            return _load_private_key, (obj.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()),)
        if kind == "public-key":
            return _load_public_key, (obj.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),)
        if kind == "weak-values":
            # moto's Lambda storage indexes its functions by ARN weakly; the functions are pickled where they are
            # held, so the index is rebuilt on the same objects.
            return _weak_values, (dict(obj.items()),)
        if kind == "defaultdict":
            if getattr(obj.default_factory, "__name__", "") != "<lambda>":
                return NotImplemented
            factory = _FACTORY_OF_EMPTY.get(repr(obj.default_factory()))  # e.g. Lambda's aliases: lambda: {}
            if factory is None:
                raise pickle.PicklingError(f"a defaultdict's factory makes {obj.default_factory()!r}: teach "
                                           "localaws.persistence.snapshots to save it")
            return _defaultdict, (factory, dict(obj))
        # State is set after the object is memoised (the state_setter form), so cycles through it pickle.
        if kind == "key":
            state = bodies.key_state(obj)
            state["value"] = _BlobRef(self.blobs.store(obj))
            return _new, (type(obj),), state, None, None, _set_key_state
        # moto's dict subclasses redefine items()/__setitem__ (_VersionedKeyStore: the latest version only), which
        # pickle's default for dicts uses: keep the raw entries instead.
        return _new, (type(obj),), (dict.copy(obj), dict(vars(obj))), None, None, _set_dict_state


_KINDS: dict[type, Any] = {}


class _Unpickler(pickle.Unpickler):
    def __init__(self, stream: io.BytesIO, state_dir: Path, live: dict[str, BackendDict]):
        super().__init__(stream)
        self.state_dir = state_dir
        self.live = live
        self.blobs: set[str] = set()

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == _blob_body.__name__:
            return self._read_blob
        if module == __name__ and name == _live_backends.__name__:
            return self.live.__getitem__
        return super().find_class(module, name)

    def _read_blob(self, digest: str) -> bodies.StoredBody:
        self.blobs.add(digest)
        return bodies.stored_body(self.state_dir, digest)


class _Blobs:
    """S3 bodies as content-addressed files. Under the gate a body is read only when its digest is not known
    (`bodies.digest`) or its file is not written yet, and kept (`pending`); `write_pending` writes the new ones
    after it."""

    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.used: set[str] = set()
        self.pending: dict[str, bytes] = {}
        self.written: set[str] = set()  # the blobs known to be in state_dir
        self.bodies_read = 0  # bodies read by snapshots: what they cost (`GET /_mlops/state`)

    def store(self, key: FakeKey) -> str:
        digest, body = bodies.digest(key)
        if body is not None:
            self.bodies_read += 1
        self.used.add(digest)
        if digest not in self.written and digest not in self.pending:
            if layout.blob_path(self.state_dir, digest).exists():
                self.written.add(digest)
            else:
                if body is None:
                    body = bodies.read(key)
                    self.bodies_read += 1
                self.pending[digest] = body
        return digest

    def write_pending(self) -> int:
        """Write the bodies kept since the last call (unsynced: the snapshot syncs the file system once); how
        many."""
        pending, self.pending = self.pending, {}
        for digest, body in pending.items():
            layout.atomic_write(layout.blob_path(self.state_dir, digest), [body], sync=False)
            self.written.add(digest)
        return len(pending)

    def collect_garbage(self, used: set[str]) -> int:
        """Remove the blobs neither the last written state names nor a live key reads; how many."""
        keep = used | bodies.still_read(self.state_dir)
        removed = 0
        for path in (self.state_dir / layout.BLOBS).glob("*/*"):
            if path.name not in keep and not path.name.startswith("."):
                path.unlink(missing_ok=True)
                self.written.discard(path.name)
                removed += 1
        return removed


# --------------------------------------------------------------------------------------- what the state holds

def _live_backend_dicts(names: Iterable[str] = ()) -> dict[str, BackendDict]:
    """Every moto BackendDict the server has imported (and those `names` name), by "module:attribute" of the
    module that defines its backend class (other modules re-export it)."""
    for name in names:
        importlib.import_module(name.split(":", 1)[0])
    found = {}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("moto.") or module is None:
            continue
        for attribute, value in list(vars(module).items()):
            if isinstance(value, BackendDict) and module_name == value.backend.__module__:
                found[f"{module_name}:{attribute}"] = value
    return found


_BACKEND_DICT_FIELDS = frozenset({"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"})


STACK_PART = "stack"  # the stack's own module state; every other part is named by its first BackendDict
# Services whose backends hold the same objects, pickled together so the objects stay one after a load: a Lambda
# function holds its region's CloudWatch Logs backend; an assumed role's access key is in IAM's and STS's.
_GROUPS = (("moto.awslambda.models:lambda_backends", "moto.logs.models:logs_backends"),
           ("moto.iam.models:iam_backends", "moto.sts.models:sts_backends"))
_PART_OF = {member: group[0] for group in _GROUPS for member in group}


def _part(name: str) -> str:
    """The part a BackendDict's state is written in (its own, or its group's)."""
    return _PART_OF.get(name, name)


def _capture_service(backend_dict: BackendDict) -> dict[str, Any]:
    return {
        "accounts": {account: dict(regional) for account, regional in dict(backend_dict).items()},
        "regions": {account: list(regional.regions) for account, regional in dict(backend_dict).items()},
        # a subclass's own registry (S3BackendDict.bucket_accounts: the global bucket namespace)
        "extra": {key: value for key, value in vars(backend_dict).items() if key not in _BACKEND_DICT_FIELDS},
    }


def _capture_stack() -> dict[str, Any]:
    return {
        "deliveries": list(delivery._deliveries),
        "published_at": dict(events_responses._published_at),
        "schedules": dict(schedules._states),
        "clock_offset_seconds": schedules.CLOCK.offset_seconds,
        "session_policy_arns": identities.session_policy_arns(),  # AssumeRole's PolicyArns, which moto drops
    }


def _account_backend(backend_dict: BackendDict, account: str, regions: list[str] | None) -> AccountSpecificBackend:
    """The account's (empty) registry of regional backends, as moto makes it. moto lists the service's regions from
    botocore's endpoint data and service model (seconds for a platform's services when a state is loaded); the
    saved list is the one moto made, and a state is only loaded by the moto version that wrote it."""
    if regions is None:
        return backend_dict[account]
    with backend_lock:
        if account not in dict.keys(backend_dict):
            dict.__setitem__(backend_dict, account, AccountSpecificBackend(
                service_name=backend_dict.service_name, account_id=account, backend=backend_dict.backend,
                use_boto3_regions=False, additional_regions=regions))
    return dict.__getitem__(backend_dict, account)


def _install_service(saved: dict[str, Any], backend_dict: BackendDict) -> None:
    for account, regions in saved["accounts"].items():
        regional = _account_backend(backend_dict, account, saved["regions"].get(account))
        for region, backend in regions.items():
            dict.__setitem__(regional, region, backend)
    vars(backend_dict).update(saved["extra"])
    if backend_dict not in BackendDict._instances:
        BackendDict._instances.append(backend_dict)


def _install_stack(saved: dict[str, Any]) -> None:
    delivery._deliveries[:] = saved["deliveries"]
    events_responses._published_at.update(saved["published_at"])
    schedules._states.update(saved["schedules"])
    schedules.CLOCK.restore(saved["clock_offset_seconds"])
    identities.restore_session_policy_arns(saved["session_policy_arns"])


def _fail_pending_replication(live: dict[str, BackendDict]) -> None:
    """A copy queued when the server died was never made: its source shows FAILED, as S3 shows a failed copy."""
    for regional in dict(live.get("moto.s3.models:s3_backends", {})).values():
        for backend in dict(regional).values():
            for bucket in backend.buckets.values():
                for _name, versions in bucket.keys._iterlists():
                    for version in versions:
                        if getattr(version, "replication_status", None) == replication.PENDING:
                            version.replication_status = replication.FAILED
                            touched.mark(live["moto.s3.models:s3_backends"])
                            log.warning("s3://%s/%s was waiting to be replicated when the stack stopped: FAILED",
                                        bucket.name, version.name)


def _part_summary(name: str, saved: dict[str, Any]) -> dict[str, Any]:
    """A part's deliveries, or each of its services' accounts, resources and endpoints (the manifest keeps it:
    `summary` needs no unpickling)."""
    if name == STACK_PART:
        return {"deliveries": len(saved["deliveries"])}
    return {"services": {member: _service_summary(member, service) for member, service in saved.items()}}


def _service_summary(name: str, saved: dict[str, Any]) -> dict[str, Any]:
    accounts: set[str] = set()
    count = endpoints = 0
    for account, regions in saved["accounts"].items():
        for backend in regions.values():
            endpoints += len(getattr(backend, "endpoints", {})) if name.endswith(":sagemaker_backends") else 0
            resources = _resource_count(backend)
            if resources:
                accounts.add(account)
            count += resources
    return {"accounts": sorted(accounts), "resources": count, "endpoints": endpoints}


def summary(entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Accounts and resources per service, as `mlops-local status` shows them, from the parts' summaries."""
    accounts: set[str] = set()
    services: dict[str, int] = {}
    endpoints = 0
    by_service = {member: service for entry in entries.values()
                  for member, service in entry["summary"].get("services", {}).items()}
    for name, service in by_service.items():
        accounts.update(service["accounts"])
        endpoints += service["endpoints"]
        if service["resources"]:
            services[name.rsplit(":", 1)[-1].removesuffix("_backends")] = service["resources"]
    return {"accounts": sorted(accounts), "resources": services,
            "deliveries": entries.get(STACK_PART, {}).get("summary", {}).get("deliveries", 0),
            "endpoints": endpoints, "backend_dicts": sorted(by_service)}


def _resource_count(backend: Any) -> int:
    """The number of entries in the backend's dict attributes (buckets, roles, keys...): a rough size."""
    return sum(len(value) for key, value in vars(backend).items()
               if isinstance(value, dict) and not key.startswith("_") and key not in ("region_name", "account_id"))


# ------------------------------------------------------------------------------------------------- writing

class RequestGate:
    """Shared by requests, exclusive for a snapshot: a readers-writer lock where readers never wait for a
    waiting writer (a request may make nested in-process requests; a writer waits for a moment with none)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._inside = 0
        self._writing = False

    def enter(self) -> None:
        with self._condition:
            while self._writing:
                self._condition.wait()
            self._inside += 1

    def leave(self) -> None:
        with self._condition:
            self._inside -= 1
            if self._inside == 0:
                self._condition.notify_all()

    def exclusive(self) -> _Exclusive:
        return _Exclusive(self)


class _Exclusive:
    def __init__(self, gate: RequestGate):
        self.gate = gate

    def __enter__(self) -> None:
        with self.gate._condition:
            while self.gate._writing or self.gate._inside:
                self.gate._condition.wait()
            self.gate._writing = True

    def __exit__(self, *exc_info: Any) -> None:
        with self.gate._condition:
            self.gate._writing = False
            self.gate._condition.notify_all()


class DurableState:
    """The server's durable state in `state_dir`: `load()` once before serving, then `wrap(app)` to snapshot after
    mutating requests, `close()` at exit for a last snapshot."""

    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir)
        self.path = layout.state_file(self.state_dir)
        self.gate = RequestGate()
        self._blobs = _Blobs(self.state_dir)
        bodies.install()
        self._dirty = threading.Event()
        self._changed: set[int] = set()  # ids of the BackendDicts requests looked into since the last pickle
        self._changed_lock = threading.Lock()
        self._due: float | None = None  # when the changes noted so far must be written by (monotonic)
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._parts: dict[str, dict[str, Any]] = {}  # the manifest's entries as last written (or loaded)
        self._part_blobs: dict[str, set[str]] = {}  # the blobs each part names
        # Parts pickled and part files written, by part: what the snapshots cost (`GET /_mlops/state`).
        self.parts_pickled: dict[str, int] = defaultdict(int)
        self.parts_written: dict[str, int] = defaultdict(int)
        self.last_write: str | None = None
        self.last_duration_ms: float | None = None
        self.last_size: int | None = None

    @property
    def bodies_read(self) -> int:
        """S3 bodies the snapshots read (to hash them, or to write them): what they cost besides pickling."""
        return self._blobs.bodies_read

    # -- loading --------------------------------------------------------------------------------------------

    def check(self) -> layout.Header | None:
        """The manifest's header, None when there is no state; StateRefused when it must not be loaded."""
        if not self.path.exists():
            return None
        return layout.check_state(self.state_dir, moto.__version__)

    def load(self) -> dict[str, Any] | None:
        """Put the saved state into moto's backends and the stack's services; its summary, None when none."""
        header = self.check()
        if header is None:
            return None
        started = time.perf_counter()
        entries = layout.parts(self.path)
        live = _live_backend_dicts(header.summary["backend_dicts"])
        saved = {}
        for name, entry in entries.items():
            unpickler = _Unpickler(io.BytesIO(layout.read_payload(self.state_dir / layout.PARTS / entry["file"])),
                                   self.state_dir, live)
            saved[name] = unpickler.load()
            self._part_blobs[name] = unpickler.blobs
            self._blobs.written |= unpickler.blobs
        for name, part in saved.items():
            if name == STACK_PART:
                _install_stack(part)
                continue
            for member, service in part.items():
                _install_service(service, live[member])
        _fail_pending_replication(live)
        restored()
        self._parts = entries
        self.last_write = header.written
        log.info("loaded the local stack state of %s from %s in %.0f ms", header.written, self.path,
                 (time.perf_counter() - started) * 1000)
        return header.summary

    def resume(self, app: Callable) -> Callable:
        """Load the saved state, start the writer; `app` gated for snapshots (what the server serves)."""
        global _current
        touched.install()
        self.load()
        gated = self.wrap(app)
        self.start()
        _current = self
        return gated

    # -- writing --------------------------------------------------------------------------------------------

    def wrap(self, app: Callable) -> Callable:
        """`app` with every request inside the gate noting the services it looked into; a mutating one asks for a
        snapshot."""

        def gated(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == STATE_ROUTE:  # writes the state itself: must not hold the gate
                return app(environ, start_response)
            noted: set[int] = set()
            self.gate.enter()
            try:
                with touched.request() as noted:
                    return app(environ, start_response)
            finally:
                # Before leaving: a snapshot that waited for this request pickles them. A read-only request may
                # move state too (a describe advancing an endpoint): its services ride with the next snapshot.
                within = _snapshot_within(environ)
                with self._changed_lock:
                    self._changed |= noted
                    if within is not None:
                        due = time.monotonic() + within
                        self._due = due if self._due is None else min(self._due, due)
                        if within <= DEBOUNCE_SECONDS:
                            self._dirty.set()
                self.gate.leave()

        return gated

    @staticmethod
    def serving(app: Callable) -> Callable:
        """`app` (the layers outside the gate: authorization) with its reads of the services noting nothing."""

        def outside_the_gate(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
            with touched.serving():
                return app(environ, start_response)

        return outside_the_gate

    def start(self) -> None:
        self._thread = threading.Thread(target=self._write_when_dirty, name="state-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def close(self) -> None:
        """Stop the writer and write the last state, every part (a clean stop loses nothing)."""
        self._stop.set()
        self._dirty.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.write(everything=True)

    def _write_when_dirty(self) -> None:
        while not self._stop.is_set():
            with self._changed_lock:
                wait = None if self._due is None else max(0.0, self._due - time.monotonic())
            self._dirty.wait(wait)  # a mutating request wakes it; a later deadline (metrics) times it out
            if self._stop.is_set():
                return
            with self._changed_lock:
                if not self._dirty.is_set() and (self._due is None or self._due > time.monotonic()):
                    continue
                self._due = None
            self._dirty.clear()
            try:
                self.write()
            except Exception:  # the next request tries again; the server keeps serving
                log.exception("could not write the local stack state to %s", self.path)
                self._dirty.set()
            self._stop.wait(DEBOUNCE_SECONDS)

    def write(self, everything: bool = False) -> Path:
        """Snapshot the services changed since the last snapshot (`everything`: all) under the gate, then write
        their part files, the new bodies, one sync, and the manifest last (the commit point)."""
        with self._write_lock:
            started = time.perf_counter()
            live = _live_backend_dicts()
            names = {id(backend_dict): name for name, backend_dict in live.items()}
            with self.gate.exclusive():
                with self._changed_lock:
                    changed, self._changed = self._changed | touched.take_background(), set()
                in_use: dict[str, list[str]] = defaultdict(list)  # the members in use, by part
                for instance in BackendDict._instances:
                    if id(instance) in names:
                        in_use[_part(names[id(instance)])].append(names[id(instance)])
                chosen = {part: sorted(members) for part, members in in_use.items()
                          if everything or part not in self._parts or any(id(live[m]) in changed for m in members)}
                pickled = self._pickle(live, names, chosen)
            new_files = self._blobs.write_pending() > 0
            entries = {name: entry for name, entry in self._parts.items() if name in in_use or name == STACK_PART}
            blobs_changed = any(self._part_blobs.get(name, set()) != blobs for name, (_, _, blobs) in pickled.items())
            for name, (payload, part_summary, blobs) in pickled.items():
                digest = hashlib.sha256(payload).hexdigest()
                path = layout.part_path(self.state_dir, name, digest)
                if not path.exists():
                    part_header = self._header(payload, {"part": name, **({"blobs": sorted(blobs)} if blobs else {})})
                    layout.atomic_write(path, [part_header.as_json(), payload], sync=False)
                    self.parts_written[name] += 1
                    new_files = True
                entries[name] = {"file": path.name, "sha256": digest, "size": len(payload), "summary": part_summary}
                self._part_blobs[name] = blobs
            if entries == self._parts and self.path.exists():  # nothing changed: the manifest stands
                return self.path
            if new_files:
                layout.sync_filesystem(self.state_dir)  # everything the manifest names is durable before it
            manifest = json.dumps({"parts": entries}, sort_keys=True).encode()
            header = self._header(manifest, summary(entries))
            layout.atomic_write(self.path, [header.as_json(), manifest])
            self._parts = entries
            self._collect_garbage(blobs_changed or len(entries) < len(self._part_blobs))
            self.last_write, self.last_size = header.written, sum(entry["size"] for entry in entries.values())
            self.last_duration_ms = (time.perf_counter() - started) * 1000
            log.debug("snapshot of %s (%d bytes) in %.0f ms", ", ".join(pickled), self.last_size,
                      self.last_duration_ms)
            return self.path

    @staticmethod
    def _header(payload: bytes, header_summary: dict[str, Any]) -> layout.Header:
        return layout.Header(format=layout.FORMAT, moto=moto.__version__, python=layout.PYTHON,
                             written=datetime.now(UTC).isoformat(timespec="milliseconds"), size=len(payload),
                             sha256=hashlib.sha256(payload).hexdigest(), summary=header_summary)

    def _pickle(self, live: dict[str, BackendDict], names: dict[int, str],
                chosen: dict[str, list[str]]) -> dict[str, tuple[bytes, dict[str, Any], set[str]]]:
        """The chosen parts (their members in use) and the stack's own, each pickled: payload, summary, the
        blobs it names."""
        for attempt in range(1, PICKLE_RETRIES + 1):
            pickled = {}
            try:
                for name in [*sorted(chosen), STACK_PART]:
                    self._blobs.used = set()
                    saved = _capture_stack() if name == STACK_PART else {
                        member: _capture_service(live[member]) for member in chosen[name]}
                    stream = io.BytesIO()
                    _Pickler(stream, self._blobs, names).dump(saved)
                    pickled[name] = (stream.getvalue(), _part_summary(name, saved), self._blobs.used)
                    self.parts_pickled[name] += 1
                return pickled
            except RuntimeError:  # "changed size during iteration": a ticker moved an endpoint meanwhile
                if attempt == PICKLE_RETRIES:
                    raise
        raise AssertionError("unreachable")

    def _collect_garbage(self, blobs: bool) -> None:
        """Remove the part files (and, when the named ones changed, the blobs) the manifest just written does not
        name."""
        named = {entry["file"] for entry in self._parts.values()}
        for path in (self.state_dir / layout.PARTS).glob("*.state"):
            if path.name not in named:
                path.unlink(missing_ok=True)
        self._part_blobs = {name: blobs for name, blobs in self._part_blobs.items() if name in self._parts}
        if blobs:
            self._blobs.collect_garbage(set().union(*self._part_blobs.values()))


def _snapshot_within(environ: dict[str, Any]) -> float | None:
    """How soon the request's changes must be on disk: None for a read-only request, DEBOUNCE_SECONDS for a
    mutating one, METRICS_SECONDS for InvokeEndpoint (what it changes is its CloudWatch metrics)."""
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS"):
        return None
    if _INVOKE_ENDPOINT.match(environ.get("PATH_INFO", "")):
        return METRICS_SECONDS
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    action = target.rsplit(".", 1)[-1] if target else ""
    return None if action.startswith(_READ_ONLY_ACTION_PREFIXES) else DEBOUNCE_SECONDS


# ------------------------------------------------------------------------------------------ the stack's routes

_current: DurableState | None = None


@route("state", methods=("GET", "POST"))
def state_route(request: Request) -> Response:
    """GET: the durable state's last write and what it holds (`mlops-local status`); POST: write it now (before
    `mlops-local snapshot save` copies the folder)."""
    if _current is None:
        return json_response({"durable": False})
    if request.method == "POST":
        _current.write()
    header = layout.read_header(_current.path) if _current.path.exists() else None
    return json_response({"durable": True, "state_dir": str(_current.state_dir), "last_write": _current.last_write,
                          "last_snapshot_ms": _current.last_duration_ms, "size": _current.last_size,
                          "parts_pickled": dict(_current.parts_pickled),
                          "parts_written": dict(_current.parts_written), "bodies_read": _current.bodies_read,
                          "summary": header.summary if header else None})
