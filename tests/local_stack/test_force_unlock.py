"""A state lock left by a crashed run: the error names `mlops-infra force-unlock` with the lock's real ID
(not the S3 request id printed above it), and that command releases it. Real terraform, real S3 backend
(use_lockfile) on the local stack; the crashed run's lock is the object terraform itself writes - also when the
crash is the stack's own (SIGKILL in the middle of an apply): its durable state keeps the lock."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from support import wait_for

from localaws.persistence import layout
from localaws.tools.stack import LocalAwsStack
from pipelines.aws import Target
from pipelines.config import load_config
from pipelines.errors import InfraError, UsageError
from pipelines.infra.terraform import LOCK_ID, TerraformRunner

ACCOUNTS = load_config("dev").accounts

# What terraform prints (stderr, -no-color) when the S3 lock file is held: the request id comes first.
LOCK_ERROR_TEXT = f"""
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, https response error StatusCode: 412, RequestID:
7DZ8Q1XG6K3M2B9A, HostID: YWJjZGVm, api error PreconditionFailed: At least one of the pre-conditions you
specified did not hold
Lock Info:
  ID:        0c1c6b9e-5d4f-7a1e-2b3c-9f8e7d6c5b4a
  Path:      mammo-tfstate-{ACCOUNTS.dev}/mlops-infra/dev.tfstate
  Operation: OperationTypeApply
  Who:       jenkins@build-7
  Version:   1.9.8
  Created:   2026-11-20 10:00:00.000000000 +0000 UTC
  Info:


Terraform acquires a state lock to protect the state from being written
by multiple users at the same time.
"""


def test_the_lock_id_is_the_one_under_lock_info():
    assert LOCK_ID.search(LOCK_ERROR_TEXT).group(1) == "0c1c6b9e-5d4f-7a1e-2b3c-9f8e7d6c5b4a"
    boxed = "\n".join(f"│ {line}" for line in LOCK_ERROR_TEXT.splitlines())  # terraform's colour-less box
    assert LOCK_ID.search(boxed).group(1) == "0c1c6b9e-5d4f-7a1e-2b3c-9f8e7d6c5b4a"


@pytest.mark.terraform
def test_a_crashed_runs_lock_is_named_and_released_by_force_unlock(require_tool, aws, tmp_path):
    require_tool("terraform")
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text('terraform {\n  backend "s3" {\n    use_lockfile = true\n  }\n}\n')
    config = load_config("registry")
    target = Target.local_stack(aws.endpoint)
    runner = TerraformRunner(config, work_dir=tmp_path / "work", root=root, target=target)
    s3 = target.session(config.account_id, config.aws_region).client("s3")
    s3.create_bucket(Bucket=config.terraform_state_bucket)
    lock_id = str(uuid.uuid4())
    s3.put_object(Bucket=config.terraform_state_bucket, Key=f"{config.state_key}.tflock", Body=json.dumps({
        "ID": lock_id, "Operation": "OperationTypeApply", "Info": "", "Who": "jenkins@build-7", "Version": "1.9.8",
        "Created": "2026-11-20T10:00:00Z", "Path": f"{config.terraform_state_bucket}/{config.state_key}"}))

    with pytest.raises(InfraError) as held:
        runner.plan()
    assert f"release it with `mlops-infra force-unlock --env registry --local --lock-id {lock_id}`" in str(held.value)

    assert runner.force_unlock() == lock_id  # the ID read from the lock file
    assert s3.list_objects_v2(Bucket=config.terraform_state_bucket).get("KeyCount") == 0
    assert runner.plan() is False  # the lock is gone: terraform runs
    with pytest.raises(UsageError, match=rf"registry: no state lock is held \(s3://mammo-tfstate-{ACCOUNTS.registry}/"
                                         r"mlops-infra/registry\.tfstate\.tflock does not exist\): nothing to unlock"):
        runner.force_unlock()


def test_the_command_the_hint_names_parses():
    from pipelines.cli.mlops_infra import build_parser

    args = build_parser().parse_args(["force-unlock", "--env", "dev", "--local", "--lock-id", "0c1c6b9e"])
    assert (args.command, args.env, args.local, args.lock_id) == ("force-unlock", "dev", True, "0c1c6b9e")
    assert build_parser().parse_args(["force-unlock", "--env", "prod"]).lock_id is None


# Topics created one at a time (TF_CLI_ARGS_apply=-parallelism=1): the apply holds its lock for many requests,
# long enough to kill the stack in its middle. CreateTopic of an existing topic returns it, as in AWS: a second
# apply adopts the topics the killed one created but never recorded.
TOPICS = 40
CRASH_ROOT = """terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws" }}
  }}
  backend "s3" {{
    use_lockfile = true
  }}
}}

provider "aws" {{
  region = "{region}"
}}

resource "aws_sns_topic" "kept" {{
  count = {topics}
  name  = "apply-crash-${{count.index}}"
}}
"""


def _topics(sns) -> list[str]:
    return [topic["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for topic in page["Topics"]]


def _lock_held(s3, config, runner) -> bool:
    return s3.list_objects_v2(Bucket=config.terraform_state_bucket, Prefix=runner.lock_file_key)["KeyCount"] == 1


@pytest.mark.terraform
def test_an_apply_killed_with_the_stack_keeps_its_lock_which_force_unlock_releases_and_a_second_apply_converges(
        require_tool, tmp_path, monkeypatch):
    require_tool("terraform")
    monkeypatch.setenv("TF_CLI_ARGS_apply", "-parallelism=1")
    config = load_config("registry")
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(CRASH_ROOT.format(region=config.aws_region, topics=TOPICS))
    state = tmp_path / "state"
    stack = LocalAwsStack(state_dir=state, log_path=tmp_path / "first.log").start()
    try:
        target = Target.local_stack(stack.endpoint)
        runner = TerraformRunner(config, work_dir=tmp_path / "work", root=root, target=target)
        session = target.session(config.account_id, config.aws_region)
        s3, sns = session.client("s3"), session.client("sns")
        s3.create_bucket(Bucket=config.terraform_state_bucket)
        s3.put_bucket_versioning(Bucket=config.terraform_state_bucket,
                                 VersioningConfiguration={"Status": "Enabled"})
        with ThreadPoolExecutor(max_workers=1) as pool:
            applying = pool.submit(runner.apply)
            wait_for(lambda: applying.done() or (_lock_held(s3, config, runner) and len(_topics(sns)) >= 3),
                     "the apply to create its first topics", timeout=300)
            assert not applying.done(), "the apply ended before the stack could be killed in its middle"
            lock_id = runner.held_lock_id()
            # The stack writes its state at most a second after a mutating request: one made now is followed by
            # a write holding the lock and the topics created so far.
            marked = time.time()
            s3.put_object(Bucket=config.terraform_state_bucket, Key="crash-marker", Body=b"")
            wait_for(lambda: layout.state_file(state).stat().st_mtime > marked, "the state written", timeout=30)
            os.kill(stack.pid, signal.SIGKILL)
            stack.process.wait()
            stack.process = None
            with pytest.raises(InfraError):
                applying.result(timeout=600)
        monkeypatch.delenv("TF_CLI_ARGS_apply")  # the second apply need not be slow
        stack = LocalAwsStack(state_dir=state, port=stack.port, log_path=tmp_path / "second.log").start()

        assert 3 <= len(_topics(sns)) < TOPICS  # killed in the middle: what it had created is kept
        assert runner.held_lock_id() == lock_id  # the killed apply's lock outlived the stack
        with pytest.raises(InfraError, match=f"--lock-id {lock_id}"):
            runner.plan()
        assert runner.force_unlock() == lock_id
        runner.apply()
        assert runner.plan() is False
        assert sorted(_topics(sns)) == sorted(f"arn:aws:sns:{config.aws_region}:{config.account_id}:apply-crash-{index}"
                                              for index in range(TOPICS))
        assert not _lock_held(s3, config, runner)
    finally:
        stack.stop()
