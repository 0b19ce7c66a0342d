"""`Target`: where calls go, chosen explicitly; its sessions use the current credentials when they fit, an
assumed role on the local stack, else a clear error; nothing it does changes the process environment."""

from __future__ import annotations

import os

import boto3
import pytest

from pipelines.aws import Target, botocore_session, session_for_account
from pipelines.config import load_config
from pipelines.errors import LocalStackError, UsageError

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

REGION = "us-east-1"
TOOLING, REGISTRY, DEV, PROD = ACCOUNTS.tooling, ACCOUNTS.registry, ACCOUNTS.dev, ACCOUNTS.prod


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
    dev.client("s3").create_bucket(Bucket=f"mammo-data-{DEV}")
    assert [t["TopicArn"] for t in dev.client("sns").list_topics()["Topics"]] == [
        f"arn:aws:sns:{REGION}:{DEV}:alerts"]
    assert prod.client("sns").list_topics()["Topics"] == []
    assert [b["Name"] for b in dev.client("s3").list_buckets()["Buckets"]] == [f"mammo-data-{DEV}"]
    assert prod.client("s3").list_buckets()["Buckets"] == []


def test_buckets_are_reachable_across_accounts_as_in_aws(aws):
    # Bucket names are global: moto 5.2 serves another account's bucket by name (it enforces no bucket policy).
    registry, dev = session_for_account(REGISTRY, REGION), session_for_account(DEV, REGION)
    bucket = f"mammo-model-artifacts-{REGISTRY}"
    registry.client("s3").create_bucket(Bucket=bucket)
    dev.client("s3").put_object(Bucket=bucket, Key="dev/model.tar.gz", Body=b"model")
    body = registry.client("s3").get_object(Bucket=bucket, Key="dev/model.tar.gz")
    assert body["Body"].read() == b"model"
    assert [b["Name"] for b in dev.client("s3").list_buckets()["Buckets"]] == []


def test_wrong_account_on_aws_names_both_accounts(aws):
    # AWS (not a local target): boto3 reads the test stack's endpoint from the environment as it would a real
    # one, and the caller's credentials are the tooling account's.
    remote = Target(None)
    with pytest.raises(UsageError) as excinfo:
        remote.session(PROD, REGION)
    message = str(excinfo.value)
    assert TOOLING in message
    assert PROD in message
    assert excinfo.value.exit_code == 2
    assert _account(remote.session(TOOLING, REGION)) == TOOLING


def test_an_explicit_local_target_needs_no_environment(aws, monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    before = dict(os.environ)
    session = Target.local_stack(aws.endpoint).session(DEV, REGION)
    assert _account(session) == DEV
    assert dict(os.environ) == before


def test_for_cli_local_finds_the_recorded_stack_and_names_the_fix_when_none_runs(aws, tmp_path):
    env = {"MLOPS_LOCAL_DIR": str(tmp_path)}
    with pytest.raises(LocalStackError, match="mlops-local up"):
        Target.for_cli(True, env)
    (tmp_path / "stack.json").write_text(f'{{"endpoint": "{aws.endpoint}", "pid": 1}}')
    assert Target.for_cli(True, env).endpoint == aws.endpoint
    assert Target.for_cli(False, {}).is_local is False
    assert Target.for_cli(False, {"AWS_ENDPOINT_URL": aws.endpoint}).endpoint == aws.endpoint
    assert Target.for_cli(False, {"AWS_ENDPOINT_URL": "https://sagemaker.example.com"}).is_local is False


def test_child_environment_points_children_at_the_target_without_real_credentials(aws):
    base = {"AWS_PROFILE": "production-admin", "AWS_ENDPOINT_URL_S3": "https://s3.example.com", "PATH": "/bin"}
    child = Target.local_stack(aws.endpoint).child_environment(base)
    assert child["AWS_ENDPOINT_URL"] == aws.endpoint
    assert child["AWS_ACCESS_KEY_ID"] == "testing"
    assert "AWS_PROFILE" not in child
    assert "AWS_ENDPOINT_URL_S3" not in child
    assert child["PATH"] == "/bin"
    assert Target(None).child_environment(base) == base


def test_no_credentials_is_a_usage_error(aws, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(UsageError, match="no AWS credentials found"):
        Target(None).session(DEV, REGION)


def test_a_stopped_local_stack_is_a_local_stack_error(aws):
    with pytest.raises(LocalStackError, match="mlops-local up"):
        Target.local_stack("http://127.0.0.1:9").session(DEV, REGION)  # discard port: nothing listens


def test_sessions_share_the_parsed_service_models_but_not_their_credentials(aws):
    dev, prod = session_for_account(DEV, REGION), session_for_account(PROD, REGION)
    dev_s3, prod_s3 = dev.client("s3"), prod.client("s3")
    assert dev_s3.meta.service_model._service_description is prod_s3.meta.service_model._service_description
    assert dev.get_credentials().access_key != prod.get_credentials().access_key
    assert (_account(dev), _account(prod)) == (DEV, PROD)
    # boto3 adds its data folder once per session; the shared loader keeps one copy of it.
    loader = botocore_session().get_component("data_loader")
    assert len(loader.search_paths) == len(set(loader.search_paths))


def test_the_shared_loader_reads_aws_data_path(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    assert str(tmp_path) in botocore_session().get_component("data_loader").search_paths
