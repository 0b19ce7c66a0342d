"""Decisions and signers remembered between calls, forgotten by any change that could alter them.

A decision depends on the signer's policies (identity, boundary, session), the resource's policy, grants, aliases
and tags, and the request's own context. Everything but the request context is state of the stack, so the cache
is keyed by a generation of that state: any mutating call of a service that holds policies, tags or grants bumps
it (as does a reset or a restored state), and every entry of an older generation is dead. The request context is
part of the key, except the current time: a decision whose policies read the time is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from localaws.authorization.policy import Policy

MAX_ENTRIES = 20_000
# Request context keys that change with every call: never part of a key; a policy reading one is not cached.
VOLATILE_KEYS = frozenset({"aws:currenttime", "aws:epochtime", "aws:tokenissuetime", "aws:multifactorauthage"})

# Services whose state decides authorizations (policies, trust, boundaries, grants, aliases, tags, owners).
_POLICY_SERVICES = frozenset({"iam", "s3", "kms", "sns", "sqs", "lambda", "sagemaker", "events", "secretsmanager"})
_READ_ONLY = ("Get", "List", "Describe", "Head", "Lookup", "Search", "Query", "Select", "Invoke", "Decrypt",
              "Encrypt", "ReEncrypt", "Sign", "Verify", "Receive", "Send", "Publish", "PutEvents", "Test", "Simulate",
              "Generate")
# S3 object calls change no policy, tag or owner the engine reads (object-level tags are not context keys here).
_S3_OBJECT_CALLS = ("PutObject", "CopyObject", "DeleteObject", "UploadPart", "CreateMultipartUpload",
                    "CompleteMultipartUpload", "AbortMultipartUpload", "RestoreObject")


def changes_authorization(service: str, operation: str) -> bool:
    """Whether a call of `operation` may change what some decision would be (so it bumps the generation)."""
    if service not in _POLICY_SERVICES or operation.startswith(_READ_ONLY):
        return False
    return not (service == "s3" and operation.startswith(_S3_OBJECT_CALLS))


def reads_volatile(policies: Iterable[Policy | None]) -> bool:
    """Whether any statement of `policies` has a condition on a key that changes with every call."""
    for policy in policies:
        for statement in policy.statements if policy is not None else ():
            for condition in statement.conditions:
                if condition.key.lower() in VOLATILE_KEYS or any(
                        key in value.lower() for value in condition.values for key in VOLATILE_KEYS):
                    return True
    return False


def context_key(context: Mapping[str, Any]) -> tuple:
    """The request context as part of a cache key (its volatile keys left out)."""
    return tuple(sorted((name.lower(), _hashable(value)) for name, value in context.items()
                        if name.lower() not in VOLATILE_KEYS))


def _hashable(value: Any) -> Hashable:
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


class GenerationCache:
    """A bounded map whose entries belong to the generation they were computed in."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._entries: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self.generation = 0
        self.hits = self.misses = 0

    def bump(self) -> None:
        """Some state changed: every entry computed so far is stale."""
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def get(self, key: Hashable, generation: int) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != generation or generation != self.generation:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, key: Hashable, generation: int, value: Any) -> None:
        """Keep `value`, computed from the state of `generation` (read before computing it): an entry computed
        while a change was landing belongs to the generation that change ends, and is never used."""
        with self._lock:
            if generation != self.generation:
                return
            self._entries[key] = (generation, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)


decisions = GenerationCache()
signers = GenerationCache()


def bump() -> None:
    decisions.bump()
    signers.bump()
