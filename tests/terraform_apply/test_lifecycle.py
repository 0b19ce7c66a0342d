"""Tests that change an applied platform: drift repaired from a saved plan, a plan refused while an apply holds
the state lock, and destroy. Registry, dev and prod are applied on a stack of this module's own (`own_platform`
in conftest.py), so the readers of the session's shared platform (test_platform.py) never see these changes.
Tests run in file order; the last one destroys.
"""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipelines.aws import session_for_account
from pipelines.errors import EXIT_PLAN_HAS_CHANGES, InfraError

from .accounts import account_client, account_root, mlops_infra, policy_statements

pytestmark = [pytest.mark.terraform, pytest.mark.slow]


# ---------------------------------------------------------------------- the CLI, drift and saved plans

def test_cli_plans_drift_to_a_file_and_applies_that_plan(own_platform, tmp_path):
    registry = own_platform["registry"]
    sagemaker = account_client(registry, "sagemaker")
    group = registry.config.model_registry.model_package_group_name
    original = json.loads(sagemaker.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"])
    # Someone edits the policy by hand: prod loses its access.
    drifted = {**original, "Statement": [{**statement, "Principal": {"AWS": account_root(registry.config.accounts.dev)}}
                                         for statement in policy_statements(original)]}
    sagemaker.put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy=json.dumps(drifted))

    plan_file = tmp_path / "registry.tfplan"
    planned = mlops_infra("plan", "--env", "registry", "--out", str(plan_file), "--detailed-exitcode",
                          local_dir=tmp_path)
    assert planned.returncode == EXIT_PLAN_HAS_CHANGES, planned.stderr[-3000:]
    assert "registry: the plan has changes" in planned.stdout
    assert plan_file.is_file()

    applied = mlops_infra("apply", "--env", "registry", "--plan", str(plan_file), local_dir=tmp_path)
    assert applied.returncode == 0, applied.stderr[-3000:]
    restored = json.loads(sagemaker.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"])
    assert restored == original

    replanned = mlops_infra("plan", "--env", "registry", "--detailed-exitcode", local_dir=tmp_path)
    assert replanned.returncode == 0, replanned.stderr[-3000:]
    assert "registry: no changes" in replanned.stdout
    output = mlops_infra("output", "--env", "registry", "model_package_group_arn", local_dir=tmp_path)
    assert json.loads(output.stdout) == registry.config.model_package_group_arn


# ---------------------------------------------------------------------- locking

def test_a_plan_fails_on_the_lock_held_by_a_running_apply_and_the_state_survives(own_platform, tmp_path):
    dev = own_platform["dev"]
    runner = dev.runner
    before = runner.state_pull()
    # An interactive apply holds the state lock while it waits for its "yes": a real, long-lived holder.
    env = runner.environment(runner.root)
    env.pop("TF_INPUT")
    holder = subprocess.Popen(
        runner.command(runner.root, "apply", "-no-color", "-replace=module.notifications[0].aws_sns_topic.alerts",
                       *runner._variables()),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        _wait_for_prompt(holder)
        with pytest.raises(InfraError) as excinfo:
            runner.plan()
        message = str(excinfo.value)
        assert "state lock" in message
        assert f"s3://{dev.config.terraform_state_bucket}/{dev.config.state_key}" in message
        assert "force-unlock" in message
        assert excinfo.value.exit_code == 4
    finally:
        holder.communicate("no\n", timeout=120)
    assert holder.returncode != 0  # "Apply cancelled."
    after = runner.state_pull()
    assert (after["lineage"], after["serial"]) == (before["lineage"], before["serial"])
    assert after["resources"] == before["resources"]
    assert runner.plan() is False


def _wait_for_prompt(process: subprocess.Popen, timeout: float = 300) -> None:
    """Read the apply's output until it asks for approval (the lock is held from before the plan to the end)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "Only 'yes' will be accepted" in line:
            process.stdout.readline()  # the blank line before "Enter a value:"
            return
    raise AssertionError("the apply never asked for approval:\n" + "".join(seen[-30:]))


# ---------------------------------------------------------------------- destroy (keep last)

def _empty_bucket(s3, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                  for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed})


def test_destroy_leaves_nothing(own_platform):
    # The stack delivers S3 server access logs as AWS does, on every request to the artifacts bucket (Terraform's
    # own reads during destroy included). The log bucket deliberately has no force_destroy, so - as an operator
    # would - stop the logging and empty the log bucket first; Terraform then finds the logging gone.
    registry = own_platform["registry"]
    s3 = account_client(registry, "s3")
    s3.put_bucket_logging(Bucket=registry.config.model_registry.artifacts_bucket_name, BucketLoggingStatus={})
    _empty_bucket(s3, registry.config.model_registry.access_log_bucket_name)
    # The buckets have no force_destroy: empty the artifacts bucket and its replica in the second region too.
    secondary = registry.config.require_secondary_region()
    _empty_bucket(s3, registry.config.model_registry.artifacts_bucket_name)
    replica_session = session_for_account(registry.config.account_id, secondary.region)
    _empty_bucket(replica_session.client("s3"), secondary.replica_artifacts_bucket_name)
    with ThreadPoolExecutor(max_workers=len(own_platform)) as pool:
        list(pool.map(lambda account: account.runner.destroy(), own_platform.values()))
    for account in own_platform.values():
        config = account.config
        s3 = account_client(account, "s3")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [config.terraform_state_bucket]
        kms = account_client(account, "kms")
        live_keys = [k for k in kms.list_keys()["Keys"]
                     if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"]
        assert live_keys == []
        if config.secondary_region is not None and config.environment == "registry":
            replica_kms = session_for_account(config.account_id, config.secondary_region.region).client("kms")
            assert [k for k in replica_kms.list_keys()["Keys"]
                    if replica_kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"] == []
        assert account_client(account, "iam").list_roles()["Roles"] == []
        assert account_client(account, "sns").list_topics()["Topics"] == []
        assert account_client(account, "secretsmanager").list_secrets()["SecretList"] == []
        assert account_client(account, "events").list_rules()["Rules"] == []
        assert account_client(account, "cloudwatch").describe_alarms()["MetricAlarms"] == []
        if config.secondary_region is not None:
            assert session_for_account(config.account_id, config.secondary_region.region).client(
                "cloudwatch").describe_alarms()["MetricAlarms"] == []
        assert account_client(account, "lambda").list_functions()["Functions"] == []
        assert account_client(account, "logs").describe_log_groups()["logGroups"] == []
        assert account_client(account, "sagemaker").list_model_package_groups()["ModelPackageGroupSummaryList"] == []
        assert account.runner.output() == {}
