"""A state lock left by a crashed run: the error names `mlops-infra force-unlock` with the lock's real ID
(not the S3 request id printed above it), and that command releases it. Real terraform, real S3 backend
(use_lockfile) on the local stack; the crashed run's lock is the object terraform itself writes."""

from __future__ import annotations

import json
import uuid

import pytest

from pipelines.aws import Target
from pipelines.config import load_config
from pipelines.errors import InfraError, UsageError
from pipelines.infra.terraform import LOCK_ID, TerraformRunner

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

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
