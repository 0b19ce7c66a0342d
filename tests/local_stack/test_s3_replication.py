"""S3 replication in the local stack, with real boto3: the registry's artifacts bucket replicated to a bucket of
its own account in another region (and to another account), re-encrypted with the destination's key."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from pipelines.aws import session_for_account

REGISTRY, PROD = "111111111111", "333333333333"
PRIMARY, SECONDARY = "us-east-1", "us-west-2"
SOURCE = "mammo-model-artifacts-111111111111"
REPLICA = "mammo-model-artifacts-replica-111111111111"
ROLE = f"arn:aws:iam::{REGISTRY}:role/mammo-artifacts-replication"
POLL_SECONDS, POLL_LIMIT = 0.02, 500


def _versioned_bucket(s3, name: str, region: str, kms_key_arn: str) -> None:
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_arn},
        "BucketKeyEnabled": True}]})


def _rule(destination: str, replica_key_arn: str, *, rule_id="artifacts", prefix="", delete_markers="Disabled",
          sse_kms="Enabled", priority=1, status="Enabled", account=None) -> dict:
    rule = {
        "ID": rule_id, "Priority": priority, "Status": status, "Filter": {"Prefix": prefix},
        "DeleteMarkerReplication": {"Status": delete_markers},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": sse_kms}},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}", "StorageClass": "STANDARD",
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key_arn}},
    }
    if account:
        rule["Destination"]["Account"] = account
    return rule


def _replication_role(iam) -> None:
    """ROLE, which S3 replicates as (with authorization enforced, its policy decides): reads the source's
    versions, writes replicas to the test's buckets, and uses the keys through S3."""
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "s3.amazonaws.com"}}]}
    name = ROLE.rsplit("/", 1)[1]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=name, PolicyName="replicate", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"],
             "Resource": f"arn:aws:s3:::{SOURCE}/*"},
            {"Effect": "Allow", "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
             "Resource": "arn:aws:s3:::mammo-*/*"},
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*",
             "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}}]}))


@pytest.fixture
def buckets(aws):
    """The artifacts bucket (registry key) in us-east-1 and its replica (own key) in us-west-2, both versioned."""
    primary = session_for_account(REGISTRY, PRIMARY)
    secondary = session_for_account(REGISTRY, SECONDARY)
    source_key = primary.client("kms").create_key()["KeyMetadata"]["Arn"]
    replica_key = secondary.client("kms").create_key()["KeyMetadata"]["Arn"]
    secondary.client("kms").create_alias(AliasName="alias/mammo-model-artifacts-replica", TargetKeyId=replica_key)
    _versioned_bucket(primary.client("s3"), SOURCE, PRIMARY, source_key)
    _versioned_bucket(secondary.client("s3"), REPLICA, SECONDARY, replica_key)
    _replication_role(primary.client("iam"))
    return {"source": primary.client("s3"), "replica": secondary.client("s3"), "source_key": source_key,
            "replica_key": replica_key}


def _configure(s3, *rules: dict) -> None:
    s3.put_bucket_replication(Bucket=SOURCE, ReplicationConfiguration={"Role": ROLE, "Rules": list(rules)})


def _settled(s3, bucket: str, key: str, **kwargs) -> dict:
    """HeadObject once the replication status is no longer PENDING (S3 replicates asynchronously)."""
    for _ in range(POLL_LIMIT):
        head = s3.head_object(Bucket=bucket, Key=key, **kwargs)
        if head.get("ReplicationStatus") != "PENDING":
            return head
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"s3://{bucket}/{key} stayed PENDING")


def _missing(s3, bucket: str, key: str, **kwargs) -> int:
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key=key, **kwargs)
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_an_sse_kms_object_is_replicated_re_encrypted_with_the_replica_key(buckets):
    source, replica = buckets["source"], buckets["replica"]
    _configure(source, _rule(REPLICA, buckets["replica_key"]))
    written = source.put_object(Bucket=SOURCE, Key="dev/job-1/model.tar.gz", Body=b"model bytes",
                                ContentType="application/gzip", Metadata={"trained-by": "dev"},
                                Tagging="stage=candidate")
    assert "ReplicationStatus" not in written  # PutObject does not answer with it

    head = _settled(source, SOURCE, "dev/job-1/model.tar.gz")
    assert head["ReplicationStatus"] == "COMPLETED"
    assert head["SSEKMSKeyId"] == buckets["source_key"]

    copy = replica.get_object(Bucket=REPLICA, Key="dev/job-1/model.tar.gz")
    assert copy["ReplicationStatus"] == "REPLICA"
    assert copy["Body"].read() == b"model bytes"
    assert (copy["ServerSideEncryption"], copy["SSEKMSKeyId"]) == ("aws:kms", buckets["replica_key"])
    assert copy["VersionId"] == written["VersionId"]
    assert (copy["ContentType"], copy["Metadata"]) == ("application/gzip", {"trained-by": "dev"})
    assert replica.get_object_tagging(Bucket=REPLICA, Key="dev/job-1/model.tar.gz")["TagSet"] == [
        {"Key": "stage", "Value": "candidate"}]
    assert replica.head_object(Bucket=REPLICA, Key="dev/job-1/model.tar.gz")["ReplicationStatus"] == "REPLICA"


def test_the_replica_key_may_be_named_by_its_alias_arn(buckets):
    source, replica = buckets["source"], buckets["replica"]
    alias_arn = f"arn:aws:kms:{SECONDARY}:{REGISTRY}:alias/mammo-model-artifacts-replica"
    _configure(source, _rule(REPLICA, alias_arn))
    source.put_object(Bucket=SOURCE, Key="prod/model.tar.gz", Body=b"m")
    assert _settled(source, SOURCE, "prod/model.tar.gz")["ReplicationStatus"] == "COMPLETED"
    assert replica.head_object(Bucket=REPLICA, Key="prod/model.tar.gz")["SSEKMSKeyId"] == buckets["replica_key"]


def test_sse_kms_objects_stay_behind_unless_the_rule_selects_them(buckets):
    source, replica = buckets["source"], buckets["replica"]
    _configure(source, _rule(REPLICA, buckets["replica_key"], sse_kms="Disabled"))
    source.put_object(Bucket=SOURCE, Key="dev/kms.bin", Body=b"k")  # the bucket default: SSE-KMS
    source.put_object(Bucket=SOURCE, Key="dev/s3-managed.bin", Body=b"s", ServerSideEncryption="AES256")

    assert _settled(source, SOURCE, "dev/s3-managed.bin")["ReplicationStatus"] == "COMPLETED"
    assert replica.head_object(Bucket=REPLICA, Key="dev/s3-managed.bin")["ServerSideEncryption"] == "AES256"
    assert "ReplicationStatus" not in source.head_object(Bucket=SOURCE, Key="dev/kms.bin")
    assert _missing(replica, REPLICA, "dev/kms.bin") == 404


def test_an_object_outside_the_rules_filter_or_under_a_disabled_rule_is_not_replicated(buckets):
    source, replica = buckets["source"], buckets["replica"]
    _configure(source, _rule(REPLICA, buckets["replica_key"], prefix="prod/"),
               _rule(REPLICA, buckets["replica_key"], prefix="staging/", rule_id="paused", priority=2,
                     status="Disabled"))
    for key in ("dev/model.tar.gz", "staging/model.tar.gz", "prod/model.tar.gz"):
        source.put_object(Bucket=SOURCE, Key=key, Body=b"m")

    assert _settled(source, SOURCE, "prod/model.tar.gz")["ReplicationStatus"] == "COMPLETED"
    for key in ("dev/model.tar.gz", "staging/model.tar.gz"):
        assert "ReplicationStatus" not in source.head_object(Bucket=SOURCE, Key=key)
        assert _missing(replica, REPLICA, key) == 404


def test_a_delete_marker_is_replicated_only_when_the_rule_says_so(buckets):
    source, replica = buckets["source"], buckets["replica"]
    _configure(source, _rule(REPLICA, buckets["replica_key"], prefix="kept/", rule_id="kept", priority=1),
               _rule(REPLICA, buckets["replica_key"], prefix="mirrored/", rule_id="mirrored", priority=2,
                     delete_markers="Enabled"))
    for key in ("kept/model.tar.gz", "mirrored/model.tar.gz"):
        source.put_object(Bucket=SOURCE, Key=key, Body=b"m")
        assert _settled(source, SOURCE, key)["ReplicationStatus"] == "COMPLETED"
    deleted = source.delete_object(Bucket=SOURCE, Key="mirrored/model.tar.gz")
    source.delete_objects(Bucket=SOURCE, Delete={"Objects": [{"Key": "kept/model.tar.gz"}]})
    # The next write is replicated after both deletes (in order): once it is done, so are they.
    source.put_object(Bucket=SOURCE, Key="kept/last.bin", Body=b"x")
    _settled(source, SOURCE, "kept/last.bin")

    assert replica.head_object(Bucket=REPLICA, Key="kept/model.tar.gz")["ReplicationStatus"] == "REPLICA"
    assert _missing(replica, REPLICA, "mirrored/model.tar.gz") == 404
    markers = replica.list_object_versions(Bucket=REPLICA, Prefix="mirrored/")["DeleteMarkers"]
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in markers] == [
        ("mirrored/model.tar.gz", deleted["VersionId"], True)]


def test_deleting_a_version_is_never_replicated(buckets):
    source, replica = buckets["source"], buckets["replica"]
    _configure(source, _rule(REPLICA, buckets["replica_key"], delete_markers="Enabled"))
    written = source.put_object(Bucket=SOURCE, Key="dev/model.tar.gz", Body=b"m")
    _settled(source, SOURCE, "dev/model.tar.gz")
    source.delete_object(Bucket=SOURCE, Key="dev/model.tar.gz", VersionId=written["VersionId"])
    source.put_object(Bucket=SOURCE, Key="dev/last.bin", Body=b"x")
    _settled(source, SOURCE, "dev/last.bin")
    assert replica.head_object(Bucket=REPLICA, Key="dev/model.tar.gz",
                               VersionId=written["VersionId"])["ReplicationStatus"] == "REPLICA"


def test_a_replica_in_another_account_and_a_missing_destination_fail_visibly(buckets):
    source = buckets["source"]
    prod = session_for_account(PROD, SECONDARY)
    prod_key = prod.client("kms").create_key()["KeyMetadata"]["Arn"]
    _versioned_bucket(prod.client("s3"), "mammo-prod-replica-333333333333", SECONDARY, prod_key)
    # Another account's bucket and key must let the role in themselves, as in AWS.
    prod.client("s3").put_bucket_policy(Bucket="mammo-prod-replica-333333333333", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ROLE},
                                                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete"],
                                                "Resource": "arn:aws:s3:::mammo-prod-replica-333333333333/*"}]}))
    prod.client("kms").put_key_policy(KeyId=prod_key, PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Encrypt", "Resource": "*"}]}))
    _configure(source, _rule("mammo-prod-replica-333333333333", prod_key, prefix="prod/", account=PROD),
               _rule("mammo-gone-bucket", buckets["replica_key"], prefix="dev/", rule_id="gone", priority=2))
    source.put_object(Bucket=SOURCE, Key="prod/model.tar.gz", Body=b"p")
    source.put_object(Bucket=SOURCE, Key="dev/model.tar.gz", Body=b"d")

    assert _settled(source, SOURCE, "prod/model.tar.gz")["ReplicationStatus"] == "COMPLETED"
    copy = prod.client("s3").head_object(Bucket="mammo-prod-replica-333333333333", Key="prod/model.tar.gz")
    assert (copy["ReplicationStatus"], copy["SSEKMSKeyId"]) == ("REPLICA", prod_key)
    assert _settled(source, SOURCE, "dev/model.tar.gz")["ReplicationStatus"] == "FAILED"


def test_an_unversioned_destination_is_refused_as_s3_does(buckets):
    source = buckets["source"]
    session_for_account(REGISTRY, SECONDARY).client("s3").create_bucket(
        Bucket="mammo-unversioned", CreateBucketConfiguration={"LocationConstraint": SECONDARY})
    with pytest.raises(ClientError) as excinfo:
        _configure(source, _rule("mammo-unversioned", buckets["replica_key"]))
    error = excinfo.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidRequest", "Destination bucket must have versioning enabled.")


def test_the_configuration_reads_back_as_it_was_put(buckets):
    source = buckets["source"]
    rules = [_rule(REPLICA, buckets["replica_key"], delete_markers="Enabled"),
             {"ID": "tagged", "Priority": 2, "Status": "Enabled",
              "Filter": {"And": {"Prefix": "prod/", "Tags": [{"Key": "stage", "Value": "approved"}]}},
              "DeleteMarkerReplication": {"Status": "Disabled"},
              "Destination": {"Bucket": f"arn:aws:s3:::{REPLICA}"}}]
    _configure(source, *rules)
    assert source.get_bucket_replication(Bucket=SOURCE)["ReplicationConfiguration"] == {"Role": ROLE, "Rules": rules}
