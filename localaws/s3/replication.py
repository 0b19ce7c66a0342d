"""S3 replication in the local stack: moto 5.2 stores a bucket's replication configuration and copies nothing.

What S3 does, and this does:
- An object written (PutObject, CopyObject, CompleteMultipartUpload) to a bucket whose replication
  configuration has an enabled rule matching it gets `ReplicationStatus` PENDING, then is copied, asynchronously
  and in write order, to the rule's destination bucket (any region, any account of the stack): same key, version
  id, content, metadata, tags and last-modified time, the destination's storage class if the rule names one,
  `ReplicationStatus` REPLICA. The source then shows COMPLETED, or FAILED when the destination bucket or the
  replica key is missing. HeadObject and GetObject answer with `x-amz-replication-status`.
- A rule matches by its filter (V2: `Filter` with a prefix, a tag, or `And` of both; V1: the rule's `Prefix`);
  of several enabled rules for one destination the one with the highest `Priority` applies. SSE-KMS objects
  are replicated only when the rule's `SourceSelectionCriteria.SseKmsEncryptedObjects` is Enabled, and the
  replica is encrypted with `EncryptionConfiguration.ReplicaKmsKeyID` (resolved in the destination's account
  and region: a key or alias ARN). Replicas are never replicated again.
- DeleteObject without a version id adds a delete marker; it is replicated (same version id) when the rule
  says `DeleteMarkerReplication` Enabled, or for a V1 rule, and never for a tag-based rule. Deleting a
  specific version is never replicated.
- PutBucketReplication refuses an existing destination bucket without versioning ("Destination bucket must
  have versioning enabled."), and GetBucketReplication returns the rules as they were put (moto answers every
  rule with an empty filter and delete marker replication Disabled, so Terraform saw a change on every plan).

- S3 acts as the configuration's `Role`, assumed as s3.amazonaws.com for the source bucket (aws:SourceAccount,
  aws:SourceArn), and needs what AWS documents: s3:GetObjectVersionForReplication (and
  s3:GetObjectVersionTagging for a tagged object) on the source version, kms:Decrypt on an SSE-KMS source's key,
  s3:ReplicateObject (s3:ReplicateTags, s3:ReplicateDelete for a delete marker) on the replica, kms:Encrypt on
  the replica key; the KMS checks carry kms:ViaService and the aws:s3:arn encryption context of the object.
  When authorization is enforced, a role S3 cannot assume or a denied action leaves the source FAILED, and the
  denial is in the trail.

Not emulated: existing-object and batch replication, replica modification sync, replication time control and
metrics, ownership translation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from moto.core.responses import ActionResult
from moto.kms.models import kms_backends
from moto.s3.exceptions import ReplicationConfigurationNotFoundError, S3ClientError
from moto.s3.models import FakeDeleteMarker, FakeKey, S3Backend, s3_backends
from moto.s3.responses import S3Response

from localaws import inprocess
from localaws.authorization import enforcement
from localaws.authorization.operations import Check
from localaws.middleware import on_reset

log = logging.getLogger(__name__)

PENDING, COMPLETED, FAILED, REPLICA = "PENDING", "COMPLETED", "FAILED", "REPLICA"
SSE_KMS = ("aws:kms", "aws:kms:dsse")

_original_put_object = S3Backend.put_object
_original_delete_object = S3Backend.delete_object
_original_put_bucket_replication = S3Backend.put_bucket_replication
_original_response_dict = FakeKey.response_dict
_original_bucket_response = S3Response.bucket_response
_original_key_response = S3Response.key_response

# What the request being served wrote; replicated once its handler has finished (metadata and tags are set
# on the new key after the backend stored it).
_request = threading.local()
_worker: ThreadPoolExecutor | None = None
_worker_lock = threading.Lock()
# The replication role's sessions, by (account, region, role, source bucket) -> (made, credentials): assumed
# once and reused well within the hour a session lasts.
_sessions: dict[tuple[str, str, str, str], tuple[float, Any]] = {}
SESSION_REUSE_SECONDS = 600.0
USER_AGENT = "s3.amazonaws.com"  # CloudTrail's userAgent for calls a service makes on a principal's behalf


class ReplicationDenied(Exception):
    """The replication role may not replicate the object (or S3 cannot assume it); the message says why."""


class DestinationNotVersioned(S3ClientError):
    code = "InvalidRequest"

    def __init__(self) -> None:
        super().__init__("Destination bucket must have versioning enabled.")


def install() -> None:
    S3Backend.put_object = _put_object_recording_writes
    S3Backend.delete_object = _delete_object_recording_markers
    S3Backend.put_bucket_replication = _put_bucket_replication_checking_destinations
    S3Response.bucket_response = _replicating_after(_original_bucket_response)
    S3Response.key_response = _replicating_after(_original_key_response)
    S3Response.get_bucket_replication = _get_bucket_replication_as_put
    FakeKey.response_dict = property(_response_dict_with_replication_status)


# ---------------------------------------------------------------------- recording what a request writes

@dataclass(frozen=True)
class _Write:
    backend: S3Backend
    bucket_name: str
    key: FakeKey | FakeDeleteMarker


def _record(write: _Write) -> None:
    if getattr(_request, "depth", 0):  # outside a request (moto internals, log delivery): nothing replicates
        _request.writes.append(write)


def _put_object_recording_writes(self: S3Backend, bucket_name: str, key_name: str, *args, **kwargs) -> FakeKey:
    key = _original_put_object(self, bucket_name, key_name, *args, **kwargs)
    _record(_Write(self, bucket_name, key))
    return key


def _delete_object_recording_markers(self: S3Backend, bucket_name: str, key_name: str, version_id: str | None = None,
                                     bypass: bool = False):
    deleted, meta = _original_delete_object(self, bucket_name, key_name, version_id=version_id, bypass=bypass)
    if version_id is None and meta.get("delete-marker") == "true":
        marker = self.get_bucket(bucket_name).keys.get(key_name)
        if isinstance(marker, FakeDeleteMarker):
            _record(_Write(self, bucket_name, marker))
    return deleted, meta


def _replicating_after(handler: Callable) -> Callable:
    def serve(self: S3Response, *args, **kwargs):
        depth = getattr(_request, "depth", 0)
        if depth == 0:
            _request.writes = []
        _request.depth = depth + 1
        try:
            response = handler(self, *args, **kwargs)
        except BaseException:
            if depth == 0:
                _request.writes = []
            raise
        finally:
            _request.depth = depth
        if depth == 0:
            writes, _request.writes = _request.writes, []
            for write in writes:
                _schedule(write)
        return response

    return serve


# ---------------------------------------------------------------------- which rules apply

def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _tag_pairs(value: Any) -> set[tuple[str, str]]:
    return {(tag.get("Key"), tag.get("Value") or "") for tag in _as_list(value)}


def _rule_filter(rule: dict) -> tuple[str, set[tuple[str, str]], bool]:
    """(prefix, tags, is V2) of a rule as stored from the XML: V1 has `Prefix` on the rule, V2 a `Filter`."""
    if "Filter" not in rule:
        return rule.get("Prefix") or "", set(), False
    rule_filter = rule["Filter"] or {}
    if "And" in rule_filter:
        both = rule_filter["And"] or {}
        return both.get("Prefix") or "", _tag_pairs(both.get("Tag")), True
    return rule_filter.get("Prefix") or "", _tag_pairs(rule_filter.get("Tag")), True


def _enabled(element: Any) -> bool:
    return isinstance(element, dict) and element.get("Status") == "Enabled"


def _destination_bucket(rule: dict) -> str:
    return rule["Destination"]["Bucket"].split(":::")[-1]


def _applicable_rules(write: _Write) -> list[dict]:
    """The rule to follow for each destination: enabled, matching the object, the highest priority first."""
    bucket = write.backend.get_bucket(write.bucket_name)
    configuration = getattr(bucket, "replication", None)
    if not configuration:
        return []
    is_marker = isinstance(write.key, FakeDeleteMarker)
    object_tags = set() if is_marker else set(write.backend.tagger.get_tag_dict_for_resource(write.key.arn).items())
    chosen: dict[str, dict] = {}
    rules = sorted(_as_list(configuration.get("Rule")), key=lambda rule: -int(rule.get("Priority") or 0))
    for rule in rules:
        if rule.get("Status") != "Enabled" or _destination_bucket(rule) in chosen:
            continue
        prefix, tags, is_v2 = _rule_filter(rule)
        if not write.key.name.startswith(prefix) or not tags <= object_tags:
            continue
        if is_marker and is_v2 and (tags or not _enabled(rule.get("DeleteMarkerReplication"))):
            continue
        if not is_marker and write.key.encryption in SSE_KMS and not _enabled(
                (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects")):
            continue
        chosen[_destination_bucket(rule)] = rule
    return list(chosen.values())


def _schedule(write: _Write) -> None:
    global _worker
    if isinstance(write.key, FakeKey) and getattr(write.key, "replication_status", None) == REPLICA:
        return
    rules = _applicable_rules(write)
    if not rules:
        return
    if isinstance(write.key, FakeKey):
        write.key.replication_status = PENDING
    with _worker_lock:
        if _worker is None:
            _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="s3-replication")
        _worker.submit(_replicate, write, rules).add_done_callback(_log_unexpected_error)


def _log_unexpected_error(future) -> None:
    """A bug in the copy leaves the source PENDING; the executor would otherwise keep the error to itself."""
    if not future.cancelled() and future.exception() is not None:
        log.error("S3 replication failed unexpectedly", exc_info=future.exception())


@on_reset
def _forget_pending() -> None:
    global _worker
    with _worker_lock:
        worker, _worker = _worker, None
        _sessions.clear()
    if worker is not None:
        worker.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------- copying

def _replicate(write: _Write, rules: list[dict]) -> None:
    failed = False
    for rule in rules:
        try:
            if isinstance(write.key, FakeDeleteMarker):
                _replicate_delete_marker(write, rule)
            else:
                _replicate_object(write, rule)
        except (LookupError, ReplicationDenied) as error:  # the source shows FAILED, as S3 does; the reason
            # only in the server log (and a denial in the trail)
            log.warning("replication of s3://%s/%s to %s failed: %s", write.bucket_name, write.key.name,
                        rule["Destination"]["Bucket"], error)
            failed = True
    if isinstance(write.key, FakeKey):
        write.key.replication_status = FAILED if failed else COMPLETED


def _destination_backend(rule: dict) -> tuple[S3Backend, str]:
    name = _destination_bucket(rule)
    if name not in s3_backends.bucket_accounts:
        raise LookupError(f"destination bucket {name} does not exist")
    partition, account_id = s3_backends.bucket_accounts[name]
    return s3_backends[account_id][partition], name


def _key_arn(key_id: str, account_id: str, region: str) -> str | None:
    """The ARN of a key named by id, ARN, alias or alias ARN; None when there is none (moto raises KeyError for an
    unknown key and AttributeError for an unknown alias)."""
    try:
        return kms_backends[account_id][region].describe_key(key_id).arn
    except (KeyError, AttributeError):
        return None


def _replica_key_arn(rule: dict, account_id: str, region: str) -> str:
    key_id = (rule["Destination"].get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")
    if not key_id:
        raise LookupError("the rule replicates SSE-KMS objects but names no ReplicaKmsKeyID")
    arn = _key_arn(key_id, account_id, region)
    if arn is None:
        raise LookupError(f"replica key {key_id} does not exist in account {account_id}, {region}")
    return arn


def _object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _kms_check(action: str, key_arn: str, region: str, object_arn: str) -> Check:
    """A KMS action S3 takes on the role's behalf for an object: through S3, with the object's ARN as context."""
    return Check(action, key_arn, {"kms:ViaService": f"s3.{region}.amazonaws.com",
                                   "kms:EncryptionContext:aws:s3:arn": object_arn})


def _authorize(write: _Write, checks: list[Check]) -> None:
    """Raise ReplicationDenied unless the bucket's replication role may do `checks` (when IAM is enforced)."""
    if enforcement.settings.mode == "off" or not inprocess.is_installed():
        return
    source = write.backend.get_bucket(write.bucket_name)
    role_arn = (source.replication or {}).get("Role") or ""
    key = (source.account_id, source.region_name, role_arn, write.bucket_name)
    with _worker_lock:
        made, credentials = _sessions.get(key, (0.0, None))
    if credentials is None or time.monotonic() - made > SESSION_REUSE_SECONDS:
        try:
            session = inprocess.session(source.account_id, source.region_name, role_arn=role_arn,
                                        service=inprocess.S3_PRINCIPAL, source_arn=f"arn:aws:s3:::{write.bucket_name}")
        except (ClientError, BotoCoreError) as error:
            raise ReplicationDenied(f"S3 cannot assume the replication role {role_arn}: {error}") from None
        credentials = session.get_credentials()
        with _worker_lock:
            _sessions[key] = (time.monotonic(), credentials)
    frozen = credentials.get_frozen_credentials()
    denial = enforcement.service_acting(frozen.access_key, frozen.token, checks, source.region_name, USER_AGENT)
    if denial is not None:
        raise ReplicationDenied(denial)


def _object_checks(write: _Write, bucket: Any, replica_key_arn: str | None) -> list[Check]:
    """What replicating the object takes of the role, as AWS documents it for a replication role."""
    source: FakeKey = write.key
    tagged = bool(write.backend.tagger.get_tag_dict_for_resource(source.arn))
    source_arn, replica_arn = _object_arn(write.bucket_name, source.name), _object_arn(bucket.name, source.name)
    checks = [Check("s3:GetObjectVersionForReplication", source_arn)]
    if tagged:
        checks.append(Check("s3:GetObjectVersionTagging", source_arn))
    if source.encryption in SSE_KMS:
        origin = write.backend.get_bucket(write.bucket_name)
        key_arn = _key_arn(source.kms_key_id or "", origin.account_id, origin.region_name) or source.kms_key_id
        checks.append(_kms_check("kms:Decrypt", key_arn, origin.region_name, source_arn))
    checks.append(Check("s3:ReplicateObject", replica_arn))
    if tagged:
        checks.append(Check("s3:ReplicateTags", replica_arn))
    if replica_key_arn is not None:
        checks.append(_kms_check("kms:Encrypt", replica_key_arn, bucket.region_name, replica_arn))
    return checks


def _replicate_object(write: _Write, rule: dict) -> None:
    source: FakeKey = write.key
    backend, bucket_name = _destination_backend(rule)
    bucket = backend.get_bucket(bucket_name)
    encryption, kms_key_arn = source.encryption, None
    if source.encryption in SSE_KMS:
        kms_key_arn = _replica_key_arn(rule, bucket.account_id, bucket.region_name)
    _authorize(write, _object_checks(write, bucket, kms_key_arn))
    storage = rule["Destination"].get("StorageClass") or source.storage_class
    replica = _original_put_object(backend, bucket_name, source.name, source.value, storage=storage,
                                   etag=source._etag, encryption=encryption, kms_key_id=kms_key_arn,
                                   disable_notification=True)
    replica._version_id = source._version_id
    replica.last_modified = source.last_modified
    replica.set_metadata(dict(source.metadata), replace=True)
    if source.encryption not in SSE_KMS and replica.kms_key_id is not None:
        # An SSE-S3 or unencrypted source: the destination's default key, named by ARN as S3 returns it.
        replica.kms_key_id = _key_arn(replica.kms_key_id, bucket.account_id, bucket.region_name) or replica.kms_key_id
    replica.checksum_algorithm, replica.checksum_value = source.checksum_algorithm, source.checksum_value
    replica.checksum_type = source.checksum_type
    tags = write.backend.tagger.get_tag_dict_for_resource(source.arn)
    if tags:
        backend.put_object_tagging(replica, tags)
    replica.replication_status = REPLICA


def _replicate_delete_marker(write: _Write, rule: dict) -> None:
    backend, bucket_name = _destination_backend(rule)
    bucket = backend.get_bucket(bucket_name)
    current = bucket.keys.get(write.key.name)
    if current is None or isinstance(current, FakeDeleteMarker):
        return  # nothing (or already nothing) to hide
    _authorize(write, [Check("s3:ReplicateDelete", _object_arn(bucket_name, write.key.name))])
    marker = FakeDeleteMarker(key=current)
    marker._version_id = write.key.version_id
    marker.last_modified = write.key.last_modified
    bucket.keys[write.key.name] = marker


# ---------------------------------------------------------------------- the configuration API

def _put_bucket_replication_checking_destinations(self: S3Backend, bucket_name: str, replication: dict) -> None:
    for rule in _as_list(replication.get("Rule")):
        name = _destination_bucket(rule)
        if name in s3_backends.bucket_accounts:
            partition, account_id = s3_backends.bucket_accounts[name]
            if not s3_backends[account_id][partition].get_bucket(name).is_versioned:
                raise DestinationNotVersioned()
    _original_put_bucket_replication(self, bucket_name, replication)


def _response_dict_with_replication_status(self: FakeKey) -> dict[str, Any]:
    headers = _original_response_dict.fget(self)
    status = getattr(self, "replication_status", None)
    if status is not None:
        headers["x-amz-replication-status"] = status
    return headers


def _minutes(element: dict | None, path: tuple[str, ...]) -> None:
    """Turn the XML text of a Minutes element into the integer the API model declares."""
    *parents, last = path
    for name in parents:
        element = (element or {}).get(name)
    if isinstance(element, dict) and element.get(last) is not None:
        element[last] = int(element[last])


def _filter_as_put(rule_filter: dict | None) -> dict:
    if not rule_filter:
        return {"Prefix": ""}
    if "And" in rule_filter:
        both = rule_filter["And"] or {}
        shaped = {"Tags": [{"Key": t["Key"], "Value": t.get("Value") or ""} for t in _as_list(both.get("Tag"))]}
        if "Prefix" in both:
            shaped["Prefix"] = both["Prefix"] or ""
        return {"And": shaped}
    if "Tag" in rule_filter:
        return {"Tag": {"Key": rule_filter["Tag"]["Key"], "Value": rule_filter["Tag"].get("Value") or ""}}
    return {"Prefix": rule_filter.get("Prefix") or ""}


def _rule_as_put(rule: dict) -> dict:
    shaped: dict[str, Any] = {"ID": rule["ID"], "Status": rule["Status"]}
    if rule.get("Priority") is not None:
        shaped["Priority"] = int(rule["Priority"])
    if "Filter" in rule:
        shaped["Filter"] = _filter_as_put(rule["Filter"])
    elif "Prefix" in rule:
        shaped["Prefix"] = rule["Prefix"] or ""
    for element in ("SourceSelectionCriteria", "ExistingObjectReplication", "DeleteMarkerReplication"):
        if rule.get(element):
            shaped[element] = rule[element]
    destination = dict(rule["Destination"])
    _minutes(destination, ("ReplicationTime", "Time", "Minutes"))
    _minutes(destination, ("Metrics", "EventThreshold", "Minutes"))
    shaped["Destination"] = destination
    return shaped


def _get_bucket_replication_as_put(self: S3Response):
    self.data["Action"] = "GetBucketReplication"
    replication = self.backend.get_bucket_replication(self.bucket_name)
    if not replication:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
    rules = [_rule_as_put(rule) for rule in _as_list(replication["Rule"])]
    return self.serialized(ActionResult({"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}}))
