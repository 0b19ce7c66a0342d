"""`s3://bucket/key` URIs: split, build and recognise them in one place.

Imports only the standard library: the Lambda deployment package carries this file (see
pipelines.lambdas.package), and the local stack's executor uses it as well as the client code.
"""

from __future__ import annotations

from typing import Any

SCHEME = "s3://"


class InvalidS3Uri(ValueError):
    """A value that is not `s3://bucket[/key]`."""


def is_s3_uri(value: Any) -> bool:
    """Whether `value` is a string `s3://<bucket>[/<key>]` with a bucket."""
    return isinstance(value, str) and value.startswith(SCHEME) and bool(value[len(SCHEME):].partition("/")[0])


def split(uri: Any) -> tuple[str, str]:
    """`s3://bucket/some/key` -> ("bucket", "some/key"); the key is "" for `s3://bucket` or `s3://bucket/`."""
    if not is_s3_uri(uri):
        raise InvalidS3Uri(f"{uri!r} is not an S3 URI (s3://bucket/key)")
    bucket, _, key = uri[len(SCHEME):].partition("/")
    return bucket, key


def join(bucket: str, *parts: str) -> str:
    """`s3://bucket/part/part`: empty parts are dropped, each part's outer slashes trimmed."""
    if not bucket or "/" in bucket:
        raise InvalidS3Uri(f"{bucket!r} is not a bucket name")
    return SCHEME + "/".join([bucket, *(part.strip("/") for part in parts if part and part.strip("/"))])
