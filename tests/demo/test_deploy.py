"""The demo's deploy-prod step (mlops_demo.deploy), read back from the stack's trail: the stage scripts' Terraform
and upsert act as the Jenkins role the step assumed, never as the stack's administrator that applied prod first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from localaws.authorization import trail
from localaws.tools.access_report import summarize
from mlops_demo.deploy import deploy
from pipelines.aws import LOCAL_ADMIN_ROLE_NAME, Target
from pipelines.config import REPO_ROOT, load_config
from pipelines.infra.terraform import runner_for

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

PROD = load_config("prod")
JENKINS_ROLE_ARN = PROD.role_arn(PROD.jenkins.role_name)


@pytest.fixture(scope="module")
def applied_prod(platform_snapshot, tmp_path_factory) -> Iterator[tuple[Target, Path]]:
    """A stack of this module's own on a copy of the run's applied platform (prod applied by the administrator),
    recording a trail (its decisions need soft or enforce)."""
    folder = tmp_path_factory.mktemp("deploy-stack")
    with pytest.MonkeyPatch.context() as patch, \
            platform_snapshot.restored_stack(folder, authorization="enforce") as stack:
        patch.setenv("MLOPS_LOCAL_DIR", str(folder / "local"))
        target = Target.local_stack(stack.endpoint)
        # The default work dir, initialised: the stage scripts' mlops-infra finds it (and its init) as the demo's
        # own apply leaves it.
        runner_for("prod", target).init()
        yield target, stack.state_dir / trail.FOLDER


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def test_the_deploy_stages_act_in_prod_as_the_jenkins_role_alone(applied_prod, tmp_path):
    target, folder = applied_prod
    prod_trail = folder / f"{PROD.account_id}.jsonl"
    before = len(_records(prod_trail))

    said = deploy(PROD, REPO_ROOT, tmp_path, target)

    assert said[-1].startswith("Upsert pipelines: ")
    window = _records(prod_trail)[before:]
    callers = {record["userIdentity"].get("arn", "") for record in window}
    # In prod only the role's session acts (the tooling account's AssumeRole is recorded in both accounts).
    assert not [arn for arn in callers if f"/{LOCAL_ADMIN_ROLE_NAME}/" in arn]
    assert {arn.split("/")[1] for arn in callers if ":assumed-role/" in arn} == {PROD.jenkins.role_name}
    access = summarize(window)[JENKINS_ROLE_ARN]
    state = f"arn:aws:s3:::{PROD.terraform_state_bucket}/{PROD.state_key}"
    assert {state, f"{state}.tflock"} <= access.used["s3:PutObject"]  # terraform's state and lock writes
    assert PROD.pipeline_arn(PROD.workload.train_pipeline_name) in access.used["sagemaker:CreatePipeline"]
    # Refresh: terraform read the role's own policy, as the role.
    assert f"arn:aws:iam::{PROD.account_id}:role/{PROD.jenkins.role_name}" in access.used["iam:GetRole"]
    assert access.denied == []
