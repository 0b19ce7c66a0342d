"""S3 bodies of a durable stack are stored once and read where they lie: a snapshot reads only the bodies it has
not stored, a loaded object's body is read from its blob file when it is asked for (byte-identical, ranges,
versions and multipart uploads included), the blobs live keys read survive garbage collection, and a missing blob
is refused with the fix named."""

from __future__ import annotations

import gc
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from moto.s3.models import FakeKey

from localaws.persistence import bodies, layout, snapshots
from localaws.tools.stack import LocalAwsStack, call_route
from pipelines.errors import EXIT_USAGE

from .pipeline_api import client

BUCKET = "stored-bodies"
VERSIONED = "stored-versions"
S3_PART = "moto.s3.models:s3_backends"
PART_SIZE = 5 * 1024 * 1024  # S3's smallest part but the last


def _blob(state: Path, body: bytes) -> Path:
    return layout.blob_path(state, hashlib.sha256(body).hexdigest())


def _snapshot(endpoint: str) -> int:
    """Write the state now; how many bodies the server's snapshots have read so far."""
    return call_route(endpoint, "state", body={})["bodies_read"]


def test_a_snapshot_reads_only_the_bodies_it_has_not_stored(tmp_path):
    state = tmp_path / "state"
    objects = {f"data/{number}.bin": os.urandom(1000 + number) for number in range(20)}
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as first:
        s3 = client(first.endpoint, "s3")
        s3.create_bucket(Bucket=BUCKET)
        for key, body in objects.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        stored = _snapshot(first.endpoint)
        assert stored >= len(objects)
        # S3 touched (the part pickled again), no body changed: nothing read.
        s3.put_object_tagging(Bucket=BUCKET, Key="data/0.bin", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        assert _snapshot(first.endpoint) == stored
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "second.log") as second:
        s3 = client(second.endpoint, "s3")
        pickled = call_route(second.endpoint, "state")["parts_pickled"].get(S3_PART, 0)
        s3.create_bucket(Bucket="another")
        s3.put_object_tagging(Bucket=BUCKET, Key="data/1.bin", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        assert _snapshot(second.endpoint) == 0  # every loaded body is known by its blob
        assert call_route(second.endpoint, "state")["parts_pickled"][S3_PART] > pickled
        s3.put_object(Bucket=BUCKET, Key="data/2.bin", Body=b"changed")  # a changed body is stored again
        assert _snapshot(second.endpoint) == 1
        assert _blob(state, b"changed").read_bytes() == b"changed"
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "third.log") as third:
        s3 = client(third.endpoint, "s3")
        assert s3.get_object(Bucket=BUCKET, Key="data/2.bin")["Body"].read() == b"changed"
        assert s3.get_object(Bucket=BUCKET, Key="data/3.bin")["Body"].read() == objects["data/3.bin"]


def test_a_key_s_digest_is_forgotten_when_moto_sets_its_value(tmp_path):
    """moto changes a body through FakeKey.value's setter: the digest known before must not name the new body, and
    a loaded key's blob file is left as it is."""
    bodies.install()
    key = FakeKey("k", b"first", account_id="123456789012", region_name="us-east-1")
    assert bodies.digest(key) == (hashlib.sha256(b"first").hexdigest(), b"first")
    assert bodies.digest(key) == (hashlib.sha256(b"first").hexdigest(), None)  # known: not read
    key.value = b"other"
    assert bodies.digest(key) == (hashlib.sha256(b"other").hexdigest(), b"other")

    blob = _blob(tmp_path, b"stored")
    layout.atomic_write(blob, [b"stored"])
    state = bodies.key_state(key)
    state["contentsize"] = len(b"stored")
    loaded = FakeKey.__new__(FakeKey)
    bodies.restore(loaded, state, bodies.stored_body(tmp_path, blob.name))
    assert loaded.value == b"stored"
    assert loaded.etag == f'"{hashlib.md5(b"stored").hexdigest()}"'  # noqa: S324 (S3's ETag)
    assert bodies.digest(loaded) == (blob.name, None)
    loaded.value = b"new value"
    assert loaded.value == b"new value"
    assert blob.read_bytes() == b"stored"
    assert bodies.digest(loaded) == (hashlib.sha256(b"new value").hexdigest(), b"new value")


def test_a_loaded_body_is_read_from_its_blob_byte_identical(tmp_path):
    state = tmp_path / "state"
    plain, first, second = os.urandom(300_000), b"first version", os.urandom(2000)
    parts = [os.urandom(PART_SIZE), os.urandom(1234)]
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as stack:
        s3 = client(stack.endpoint, "s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="plain.bin", Body=plain)
        s3.create_bucket(Bucket=VERSIONED)
        s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
        versions = [s3.put_object(Bucket=VERSIONED, Key="v.bin", Body=body)["VersionId"] for body in (first, second)]
        multipart = s3.create_multipart_upload(Bucket=BUCKET, Key="multi.bin")["UploadId"]
        etags = [s3.upload_part(Bucket=BUCKET, Key="multi.bin", UploadId=multipart, PartNumber=1,
                                Body=parts[0])["ETag"]]
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "second.log") as stack:
        s3 = client(stack.endpoint, "s3")
        assert s3.get_object(Bucket=BUCKET, Key="plain.bin")["Body"].read() == plain
        ranged = s3.get_object(Bucket=BUCKET, Key="plain.bin", Range="bytes=1000-1999")
        assert ranged["Body"].read() == plain[1000:2000]
        assert ranged["ContentRange"] == f"bytes 1000-1999/{len(plain)}"
        for version_id, body in zip(versions, (first, second), strict=True):
            assert s3.get_object(Bucket=VERSIONED, Key="v.bin", VersionId=version_id)["Body"].read() == body
        assert sorted(v["VersionId"] for v in s3.list_object_versions(Bucket=VERSIONED)["Versions"]) == sorted(
            versions)
        s3.put_object_tagging(Bucket=BUCKET, Key="plain.bin", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        assert _snapshot(stack.endpoint) == 0  # read from their blobs, not into the keys: known by their digests
        # The upload's first part was loaded: completing it reads the part from its blob.
        etags.append(s3.upload_part(Bucket=BUCKET, Key="multi.bin", UploadId=multipart, PartNumber=2,
                                    Body=parts[1])["ETag"])
        s3.complete_multipart_upload(Bucket=BUCKET, Key="multi.bin", UploadId=multipart, MultipartUpload={
            "Parts": [{"ETag": etag, "PartNumber": number} for number, etag in enumerate(etags, 1)]})
        assert s3.get_object(Bucket=BUCKET, Key="multi.bin")["Body"].read() == b"".join(parts)
        s3.put_object(Bucket=BUCKET, Key="plain.bin", Body=b"overwritten")  # a loaded object written again
        assert s3.get_object(Bucket=BUCKET, Key="plain.bin")["Body"].read() == b"overwritten"
        s3.put_object(Bucket=VERSIONED, Key="v.bin", Body=b"third")
        _snapshot(stack.endpoint)
        assert not _blob(state, plain).exists()  # no key reads it any more: collected
        assert _blob(state, first).exists()
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "third.log") as stack:
        s3 = client(stack.endpoint, "s3")
        assert s3.get_object(Bucket=BUCKET, Key="plain.bin")["Body"].read() == b"overwritten"
        assert s3.get_object(Bucket=BUCKET, Key="multi.bin")["Body"].read() == b"".join(parts)
        assert s3.get_object(Bucket=VERSIONED, Key="v.bin", VersionId=versions[0])["Body"].read() == first
        assert s3.get_object(Bucket=VERSIONED, Key="v.bin")["Body"].read() == b"third"


def test_garbage_collection_keeps_the_blobs_live_keys_read(tmp_path):
    """A key deleted while something still reads it (a replication queued from it, a GET in flight) keeps its
    blob, though the state written last no longer names it."""
    read, unread = b"still read", b"read by none"
    for body in (read, unread):
        layout.atomic_write(_blob(tmp_path, body), [body])
    reader = bodies.stored_body(tmp_path, _blob(tmp_path, read).name)
    blobs = snapshots._Blobs(tmp_path)

    assert blobs.collect_garbage(used=set()) == 1
    assert _blob(tmp_path, read).exists()
    assert not _blob(tmp_path, unread).exists()
    assert reader.read() == read
    del reader
    gc.collect()
    assert blobs.collect_garbage(used=set()) == 1
    assert not _blob(tmp_path, read).exists()


def test_a_missing_body_is_refused_with_the_fix_named(tmp_path):
    state = tmp_path / "state"
    body = os.urandom(5000)
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log") as stack:
        s3 = client(stack.endpoint, "s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="kept.bin", Body=body)
        s3.put_object(Bucket=BUCKET, Key="lost.bin", Body=b"lost under the running stack")
    # Deleted under a running stack: the loaded key reads its body from the blob file, which is gone.
    lost = _blob(state, b"lost under the running stack")
    with LocalAwsStack(state_dir=state, log_path=tmp_path / "second.log") as stack:
        s3 = client(stack.endpoint, "s3")
        lost.unlink()
        with pytest.raises(ClientError) as refused:
            s3.get_object(Bucket=BUCKET, Key="lost.bin")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert s3.get_object(Bucket=BUCKET, Key="kept.bin")["Body"].read() == body
        s3.delete_object(Bucket=BUCKET, Key="lost.bin")  # what the fix can be, short of a reset
    # Deleted before `up`: refused before anything is loaded, the state left as it is.
    _blob(state, body).unlink()
    before = {path: path.read_bytes() for path in state.rglob("*") if path.is_file()}
    result = subprocess.run([sys.executable, "-m", "localaws.server", "--port", "1", "--state-dir", str(state)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert str(_blob(state, body)) in result.stderr
    assert "mlops-local reset" in result.stderr
    assert {path: path.read_bytes() for path in state.rglob("*") if path.is_file()} == before
