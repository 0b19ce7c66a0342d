"""S3 transfers the way SageMaker jobs do them: S3Prefix inputs into a local folder, outputs back up.

Errors name the URI and end the step (StepFailed) rather than the execution, like a job failing on input.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from botocore.exceptions import ClientError

from localaws.sagemaker_pipelines.errors import StepFailed
from pipelines import s3_uri

# One GetObject/PutObject per object: the local stack (in the same process) answers a single request faster
# than boto3's managed transfers, which start a thread pool per file and go multipart/ranged from 8 MB.
COPY_BUFFER_BYTES = 1024 * 1024
# run-pipeline uploads each script to code/<sha256 of its bytes>/<file> at the data bucket's root: such an object
# must hold those bytes. (The SageMaker SDK's own uploads, <prefix>/code/<its hash>/..., hash something else.)
CONTENT_ADDRESSED_KEY = re.compile(r"code/([0-9a-f]{64})/[^/]+")


def split_uri(uri: str) -> tuple[str, str]:
    try:
        return s3_uri.split(uri)
    except s3_uri.InvalidS3Uri as error:
        raise StepFailed(f"ClientError: {error}") from None


def read_bytes(client, uri: str) -> bytes:
    bucket, key = split_uri(uri)
    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        raise StepFailed(f"ClientError: cannot read {uri}: {_reason(error)}") from None


def list_keys(client, uri: str) -> list[str]:
    """Keys under an S3Prefix URI (the prefix is a plain string prefix, as in SageMaker), sorted."""
    bucket, prefix = split_uri(uri)
    keys: list[str] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []) if not item["Key"].endswith("/"))
    except ClientError as error:
        raise StepFailed(f"ClientError: cannot list {uri}: {_reason(error)}") from None
    return sorted(keys)


def download_prefix(client, uri: str, local_dir: Path) -> list[Path]:
    """Every object under `uri` into `local_dir`, keeping its path relative to the prefix (see `relative_key`).

    An empty prefix fails like SageMaker's "no S3 objects found under S3 URL".
    """
    bucket, prefix = split_uri(uri)
    keys = list_keys(client, uri)
    if not keys:
        raise StepFailed(f"ClientError: no S3 objects found under S3 URL {uri}")
    local_dir.mkdir(parents=True, exist_ok=True)
    downloaded = []
    for key in keys:
        target = local_dir / relative_key(prefix, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            body = client.get_object(Bucket=bucket, Key=key)["Body"]
            with target.open("wb") as stream:
                while chunk := body.read(COPY_BUFFER_BYTES):
                    digest.update(chunk)
                    stream.write(chunk)
        except ClientError as error:
            raise StepFailed(f"ClientError: cannot download s3://{bucket}/{key}: {_reason(error)}") from None
        addressed = CONTENT_ADDRESSED_KEY.fullmatch(key)
        if addressed and digest.hexdigest() != addressed.group(1):
            target.unlink()
            raise StepFailed(f"ClientError: s3://{bucket}/{key} does not hold the code its key names: its SHA-256 "
                             f"is {digest.hexdigest()}; upload the code again with run-pipeline")
        downloaded.append(target)
    return downloaded


def relative_key(prefix: str, key: str) -> str:
    """Where an object under an S3Prefix lands below the local path, as SageMaker places it.

    prefix data/train/ or data/train: data/train/part1/x.csv -> part1/x.csv; prefix = the key: its file name;
    a partial name (data/tr): the path below the prefix's last '/' (train/part1/x.csv).
    """
    if key == prefix:
        return key.rsplit("/", 1)[-1]
    if prefix.endswith("/") or key.startswith(prefix + "/"):
        return key[len(prefix):].lstrip("/")
    return key[prefix.rfind("/") + 1:]


def upload_file(client, path: Path, uri: str, kms_key_id: str | None = None) -> None:
    bucket, key = split_uri(uri)
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
    try:
        with path.open("rb") as body:
            client.put_object(Bucket=bucket, Key=key, Body=body, **extra)
    except ClientError as error:
        raise StepFailed(f"ClientError: cannot upload to {uri}: {_reason(error)}") from None


def upload_dir(client, local_dir: Path, uri: str, kms_key_id: str | None = None) -> list[str]:
    """Every file under `local_dir` to `uri`/<relative path>; returns the URIs written."""
    written = []
    for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
        target = f"{uri.rstrip('/')}/{path.relative_to(local_dir).as_posix()}"
        upload_file(client, path, target, kms_key_id)
        written.append(target)
    return written


def _reason(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', str(error))}"
