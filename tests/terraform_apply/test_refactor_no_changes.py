"""Applying the current Terraform code to a platform built by the earlier code changes nothing.

The earlier code is the last commit before every bucket became a call of modules/secure-bucket and the policies
aws_iam_policy_document data sources. Its mlops-infra tree is taken from git, bootstrapped and applied to the
registry and dev accounts of a local stack of this module's own; then the runner plans bootstrap and the main
root of the current tree on the same states. The `moved` blocks must carry every address, and the rendered
policies, tags and bucket settings must be equivalent: every planned resource change is a no-op (a move is
a no-op with its previous address). Registry and dev together use every module (prod differs from dev only
in its values).
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest

from pipelines.config import REPO_ROOT, load_config
from pipelines.infra.terraform import TerraformRunner

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

EARLIER_COMMIT = "c762e24"
ACCOUNTS = ("registry", "dev")
ZIP_DIR = "-var=lambda_zip_dir="


@dataclass(frozen=True)
class Replan:
    environment: str
    bootstrap: dict
    main: dict


@pytest.fixture(scope="module")
def earlier_tree(require_tool, tmp_path_factory) -> Path:
    """The earlier commit's mlops-infra and environments/ (its files' shape: the accounts map names dev and prod),
    as `git archive` writes them; the mlops-infra folder."""
    require_tool("git")
    known = subprocess.run(["git", "-C", str(REPO_ROOT), "cat-file", "-e", f"{EARLIER_COMMIT}^{{commit}}"],
                           capture_output=True, check=False)
    if known.returncode != 0:
        reason = f"commit {EARLIER_COMMIT} is not in this clone (a shallow clone): fetch the history to run this"
        if os.environ.get("MLOPS_REQUIRE_ALL_TOOLS") == "1":
            pytest.fail(f"{reason}; MLOPS_REQUIRE_ALL_TOOLS=1 forbids skipping")
        pytest.skip(reason)
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", EARLIER_COMMIT, "mlops-infra",
                              "environments"],
                             capture_output=True, check=True).stdout
    target = tmp_path_factory.mktemp("earlier")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "mlops-infra"


class EarlierRunner(TerraformRunner):
    """The runner as the earlier code called terraform: with the earlier environment file, and one zip,
    `lambda_zip_path`, for its root (the zips became one per function, in `lambda_zip_dir`, later)."""

    @property
    def var_file(self) -> Path:
        return self.root.parent / "environments" / super().var_file.name

    def _variables(self) -> list[str]:
        return [f"-var=lambda_zip_path={argument.removeprefix(ZIP_DIR)}/latest_approved_model.zip"
                if argument.startswith(ZIP_DIR) else argument for argument in super()._variables()]


def _the_earlier_environments(earlier: Path, folder: Path) -> Path:
    """Today's environment files of the environments the earlier commit had (its registry granted those: an
    environment added since, such as staging, would rightly change the registry's policies); their folder."""
    earlier_names = {path.name.removesuffix(".tfvars.json")
                     for path in (earlier.parent / "environments").glob("*.tfvars.json")}
    folder.mkdir(parents=True)
    for path in (REPO_ROOT / "environments").glob("*.tfvars.json"):
        name = path.name.removesuffix(".tfvars.json")
        if name not in earlier_names:
            continue
        document = json.loads(path.read_text())
        if document.get("promotion"):
            document["promotion"] = [entry for entry in document["promotion"] if entry in earlier_names]
            document["accounts"] = {role: account for role, account in document["accounts"].items()
                                    if role in ("tooling", "registry") or role in earlier_names}
        (folder / path.name).write_text(json.dumps(document, indent=2))
    return folder


def _apply_earlier_then_plan_current(earlier: Path, work_dir: Path, environment: str) -> Replan:
    config = load_config(environment, _the_earlier_environments(earlier, work_dir / "environments"))
    earlier_runner = EarlierRunner(config, work_dir=work_dir, root=earlier, bootstrap_root=earlier / "bootstrap")
    earlier_runner.bootstrap()
    earlier_runner.apply()
    current_runner = TerraformRunner(config, work_dir=work_dir)
    bootstrap = current_runner.bootstrap_plan(work_dir / "bootstrap.tfplan")
    current_runner.plan(out=work_dir / "main.tfplan")
    return Replan(environment, bootstrap, current_runner.show_plan(work_dir / "main.tfplan"))


def _changes(plan: dict) -> list[str]:
    return [f"{change['address']}: {change['change']['actions']}" for change in plan.get("resource_changes", [])
            if change["change"]["actions"] != ["no-op"]]


def _removed(plan: dict) -> list[str]:
    return [f"{change['address']}: {change['change']['actions']}" for change in plan.get("resource_changes", [])
            if "delete" in change["change"]["actions"]]


def _moved_and_changed(plan: dict) -> list[str]:
    return [f"{change['address']}: {change['change']['actions']}" for change in plan.get("resource_changes", [])
            if "previous_address" in change and change["change"]["actions"] != ["no-op"]]


def _moves(plan: dict) -> dict[str, str]:
    return {change["previous_address"]: change["address"] for change in plan.get("resource_changes", [])
            if "previous_address" in change}


@pytest.fixture(scope="module")
def replans(terraform_stack, earlier_tree, tmp_path_factory) -> dict[str, Replan]:
    work_dir = tmp_path_factory.mktemp("replan")
    with ThreadPoolExecutor(max_workers=len(ACCOUNTS)) as pool:
        results = pool.map(lambda environment: _apply_earlier_then_plan_current(
            earlier_tree, work_dir / environment, environment), ACCOUNTS)
        return {replan.environment: replan for replan in results}


def test_the_current_code_keeps_every_resource_of_a_platform_applied_with_the_earlier_code(replans):
    # At the refactor's own commit the main plans were empty too; features added since then may create or update
    # resources, but nothing the earlier code created may be destroyed or replaced, and every resource the moved
    # blocks carry must stay as it is.
    assert {environment: {"bootstrap": _changes(replan.bootstrap), "removed or replaced": _removed(replan.main),
                          "moved and changed": _moved_and_changed(replan.main)}
            for environment, replan in replans.items()} == {
        environment: {"bootstrap": [], "removed or replaced": [], "moved and changed": []} for environment in ACCOUNTS}


def test_the_moved_blocks_carry_the_earlier_bucket_addresses(replans):
    for environment, replan in replans.items():
        assert _moves(replan.bootstrap)["aws_s3_bucket_policy.state"] == "module.state_bucket.aws_s3_bucket_policy.this"
        assert len(_moves(replan.bootstrap)) == 7, environment
    registry_moves = _moves(replans["registry"].main)
    assert registry_moves["module.model_registry[0].aws_s3_bucket_logging.artifacts"] == (
        "module.model_registry[0].module.artifacts_bucket.aws_s3_bucket_logging.this[0]")
    assert len(registry_moves) == 15  # 7 resources of each bucket and the artifacts bucket's logging
    # The data bucket's module call kept its name and its resources theirs: nothing to move.
    assert _moves(replans["dev"].main) == {}
