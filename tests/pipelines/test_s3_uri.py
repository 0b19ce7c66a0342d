"""The one S3 URI helper: split, join and recognise `s3://bucket/key`."""

import pytest

from pipelines import s3_uri


@pytest.mark.parametrize(("uri", "parts"), [
    ("s3://bucket/some/key.csv", ("bucket", "some/key.csv")),
    ("s3://bucket/prefix/", ("bucket", "prefix/")),
    ("s3://bucket", ("bucket", "")),
])
def test_split(uri, parts):
    assert s3_uri.split(uri) == parts


@pytest.mark.parametrize("value", ["bucket/key", "s3://", "s3:///key", "https://bucket/key", None, 3])
def test_what_is_not_an_s3_uri_is_refused_naming_it(value):
    assert not s3_uri.is_s3_uri(value)
    with pytest.raises(s3_uri.InvalidS3Uri, match=r"is not an S3 URI \(s3://bucket/key\)") as error:
        s3_uri.split(value)
    assert repr(value) in str(error.value)


def test_join_trims_slashes_and_drops_empty_parts():
    assert s3_uri.join("bucket", "/monitoring/", "", "pipe", "run/", "file.json") == \
        "s3://bucket/monitoring/pipe/run/file.json"
    assert s3_uri.split(s3_uri.join("bucket", "a", "b")) == ("bucket", "a/b")


@pytest.mark.parametrize("bucket", ["", "bucket/key"])
def test_join_refuses_what_is_not_a_bucket_name(bucket):
    with pytest.raises(s3_uri.InvalidS3Uri, match="is not a bucket name"):
        s3_uri.join(bucket, "key")
