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


def _role_session_environment(endpoint: str, account: str) -> dict[str, str]:
    """What withAWS exports in a Jenkins stage run against the local stack: a role session of `account`."""
    iam = session_for_account(account, REGION).client("iam")
    trust = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", '
             f'"Principal": {{"AWS": "arn:aws:iam::{TOOLING}:root"}}}}]}}')
    role_arn = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    credentials = Target.local_stack(endpoint).base_session(REGION).client("sts").assume_role(
        RoleArn=role_arn, RoleSessionName="build-7")["Credentials"]
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"], "AWS_SESSION_TOKEN": credentials["SessionToken"]}


def test_a_role_session_in_the_environment_acts_as_that_role_not_as_the_local_admin(aws):
    env = _role_session_environment(aws.endpoint, PROD)
    target = Target.from_environment(env)
    identity = target.session(PROD, REGION).client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{PROD}:assumed-role/deployer/build-7"
    child = target.child_environment({"PATH": "/bin"})
    assert {name: child[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")} == {
        name: env[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}


def test_a_role_session_in_the_environment_is_not_swapped_for_the_admin_of_another_account(aws):
    # As on AWS: credentials of prod cannot act in dev; the stack's administrator is no fallback.
    target = Target.from_environment(_role_session_environment(aws.endpoint, PROD))
    with pytest.raises(UsageError) as excinfo:
        target.session(DEV, REGION)
    assert PROD in str(excinfo.value)
    assert DEV in str(excinfo.value)


def test_the_stacks_fake_keys_in_the_environment_are_its_administrator(aws):
    target = Target.from_environment({"AWS_ENDPOINT_URL": aws.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                                      "AWS_SECRET_ACCESS_KEY": "testing"})
    assert target.credentials is None
    assert ":assumed-role/mlops-local-admin/" in _identity_arn(target.session(DEV, REGION))


def _identity_arn(session: boto3.Session) -> str:
    return session.client("sts").get_caller_identity()["Arn"]


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
