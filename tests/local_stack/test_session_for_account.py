"""`session_for_account`: the current credentials when they fit, an assumed role locally, else a clear error."""

from __future__ import annotations

import boto3
import pytest

import pipelines.aws
from pipelines.aws import session_for_account
from pipelines.errors import LocalStackError, UsageError

REGION = "us-east-1"
TOOLING, REGISTRY, DEV, PROD = "123456789012", "111111111111", "222222222222", "333333333333"


def _account(session: boto3.Session) -> str:
    return session.client("sts").get_caller_identity()["Account"]


def test_current_credentials_are_used_as_they_are_in_their_own_account(aws):
    session = session_for_account(TOOLING, REGION)
    assert session.get_credentials().access_key == "testing"
    assert session.region_name == REGION


@pytest.mark.parametrize("account", [REGISTRY, DEV, PROD])
def test_local_mode_assumes_the_local_admin_role_in_the_account(aws, account):
    session = session_for_account(account, REGION)
    identity = session.client("sts").get_caller_identity()
    assert identity["Account"] == account
    assert ":assumed-role/mlops-local-admin/" in identity["Arn"]


def test_resources_are_created_in_the_sessions_account(aws):
    dev, prod = session_for_account(DEV, REGION), session_for_account(PROD, REGION)
    dev.client("sns").create_topic(Name="alerts")
    dev.client("s3").create_bucket(Bucket="mammo-data-222222222222")
    assert [t["TopicArn"] for t in dev.client("sns").list_topics()["Topics"]] == [
        f"arn:aws:sns:{REGION}:{DEV}:alerts"]
    assert prod.client("sns").list_topics()["Topics"] == []
    assert [b["Name"] for b in dev.client("s3").list_buckets()["Buckets"]] == ["mammo-data-222222222222"]
    assert prod.client("s3").list_buckets()["Buckets"] == []


def test_buckets_are_reachable_across_accounts_as_in_aws(aws):
    # Bucket names are global: moto 5.2 serves another account's bucket by name (it enforces no bucket policy).
    registry, dev = session_for_account(REGISTRY, REGION), session_for_account(DEV, REGION)
    registry.client("s3").create_bucket(Bucket="mammo-model-artifacts-111111111111")
    dev.client("s3").put_object(Bucket="mammo-model-artifacts-111111111111", Key="dev/model.tar.gz", Body=b"model")
    body = registry.client("s3").get_object(Bucket="mammo-model-artifacts-111111111111", Key="dev/model.tar.gz")
    assert body["Body"].read() == b"model"
    assert [b["Name"] for b in dev.client("s3").list_buckets()["Buckets"]] == []


def test_wrong_account_outside_local_mode_names_both_accounts(aws, monkeypatch):
    # Pretend the moto server is remote AWS: same credentials, but not in local mode.
    monkeypatch.setattr(pipelines.aws, "is_local_mode", lambda: False)
    with pytest.raises(UsageError) as excinfo:
        session_for_account(PROD, REGION)
    message = str(excinfo.value)
    assert TOOLING in message
    assert PROD in message
    assert excinfo.value.exit_code == 2
    assert _account(session_for_account(TOOLING, REGION)) == TOOLING


def test_no_credentials_is_a_usage_error(aws, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(UsageError, match="no AWS credentials found"):
        session_for_account(DEV, REGION)


def test_a_stopped_local_stack_is_a_local_stack_error(aws, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(LocalStackError, match="mlops-local up"):
        session_for_account(DEV, REGION)
