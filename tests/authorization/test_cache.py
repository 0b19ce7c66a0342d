"""The decision cache's rules (which calls invalidate, what is never kept) and the signature time rules, without a
stack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from localaws.authorization import cache, signatures
from localaws.authorization.policy import PolicyKind, parse_policy

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("service", "operation"), [
    ("iam", "PutUserPolicy"), ("iam", "DetachRolePolicy"), ("iam", "UpdateAssumeRolePolicy"),
    ("iam", "PutRolePermissionsBoundary"), ("iam", "TagRole"), ("iam", "UntagUser"), ("s3", "PutBucketPolicy"),
    ("s3", "DeleteBucketPolicy"), ("s3", "PutBucketTagging"), ("s3", "CreateBucket"), ("kms", "PutKeyPolicy"),
    ("kms", "CreateGrant"), ("kms", "RetireGrant"), ("kms", "TagResource"), ("kms", "CreateAlias"),
    ("sns", "SetTopicAttributes"), ("sqs", "SetQueueAttributes"), ("lambda", "AddPermission"),
    ("sagemaker", "PutModelPackageGroupPolicy"), ("sagemaker", "AddTags"), ("events", "PutPermission"),
    ("secretsmanager", "PutResourcePolicy"),
])
def test_a_call_that_changes_policies_grants_or_tags_invalidates(service: str, operation: str) -> None:
    assert cache.changes_authorization(service, operation)


@pytest.mark.parametrize(("service", "operation"), [
    ("s3", "GetObject"), ("s3", "PutObject"), ("s3", "DeleteObject"), ("s3", "CompleteMultipartUpload"),
    ("kms", "Decrypt"), ("kms", "GenerateDataKey"), ("sagemaker", "DescribePipelineExecution"),
    ("sagemaker", "ListModelPackages"), ("sqs", "SendMessage"), ("sns", "Publish"), ("lambda", "Invoke"),
    ("sts", "AssumeRole"), ("cloudwatch", "PutMetricData"), ("logs", "PutLogEvents"),
])
def test_a_call_that_reads_or_touches_only_data_keeps_the_cache(service: str, operation: str) -> None:
    assert not cache.changes_authorization(service, operation)


def test_an_entry_of_an_older_generation_is_never_answered() -> None:
    remembered = cache.GenerationCache()
    generation = remembered.generation
    remembered.put("key", generation, "allowed")
    assert remembered.get("key", generation) == "allowed"
    remembered.bump()
    assert remembered.get("key", generation) is None
    assert remembered.get("key", remembered.generation) is None


def test_a_decision_computed_while_a_change_landed_is_not_kept() -> None:
    remembered = cache.GenerationCache()
    read_before = remembered.generation
    remembered.bump()  # the change lands while the decision is computed from the older state
    remembered.put("key", read_before, "allowed")
    assert remembered.get("key", remembered.generation) is None


def test_the_cache_is_bounded() -> None:
    remembered = cache.GenerationCache(max_entries=2)
    for key in ("a", "b", "c"):
        remembered.put(key, remembered.generation, key)
    assert [remembered.get(key, remembered.generation) for key in ("a", "b", "c")] == [None, "b", "c"]


def test_a_policy_on_the_time_is_volatile_and_the_time_is_not_part_of_a_key() -> None:
    timed = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}]}, PolicyKind.IDENTITY)
    plain = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}, PolicyKind.IDENTITY)
    assert cache.reads_volatile([plain, None, timed])
    assert not cache.reads_volatile([plain, None])
    assert cache.context_key({"aws:CurrentTime": "a", "aws:SourceIp": "127.0.0.1"}) == \
        cache.context_key({"aws:CurrentTime": "b", "aws:SourceIp": "127.0.0.1"})
    assert cache.context_key({"aws:TagKeys": ["a", "b"]}) != cache.context_key({"aws:TagKeys": ["a"]})


def _signature(timestamp: datetime, presigned: bool = False, expires: str = "") -> signatures.Signature:
    return signatures.Signature(access_key_id="AKID", date=timestamp.strftime("%Y%m%d"), region="us-east-1",
                                service="sts", signed_headers=("host",), signature="0" * 64,
                                timestamp=timestamp.strftime(signatures.TIMESTAMP_FORMAT), session_token=None,
                                presigned=presigned, expires=expires)


def test_a_signature_is_current_for_15_minutes_either_side() -> None:
    assert signatures.lateness(_signature(NOW - timedelta(minutes=14, seconds=59)), NOW) is None
    assert signatures.lateness(_signature(NOW + timedelta(minutes=15)), NOW) is None
    late = signatures.lateness(_signature(NOW - timedelta(minutes=15, seconds=1)), NOW)
    assert late == signatures.Lateness(
        "expired", "Signature expired: 20260501T114459Z is now earlier than 20260501T114500Z "
                   "(20260501T120000Z - 15 min.)")
    early = signatures.lateness(_signature(NOW + timedelta(minutes=16)), NOW)
    assert early == signatures.Lateness(
        "not-yet-current", "Signature not yet current: 20260501T121600Z is still later than 20260501T121500Z "
                           "(20260501T120000Z + 15 min.)")


def test_a_presigned_url_lasts_its_x_amz_expires_and_a_version_2_one_its_expires() -> None:
    signed = NOW - timedelta(hours=2)
    assert signatures.lateness(_signature(signed, presigned=True, expires="7200"), NOW) is None
    assert signatures.lateness(_signature(signed, presigned=True, expires="7199"), NOW).kind == "presigned-expired"
    version_2 = signatures.Signature(access_key_id="AKID", date="", region="us-east-1", service="s3",
                                     signed_headers=(), signature="x", timestamp="", session_token=None,
                                     presigned=True, version=2, expires=str(int(NOW.timestamp()) - 1))
    assert signatures.lateness(version_2, NOW).kind == "presigned-expired"
