"""Fixtures for the terraform apply tests.

- `terraform_stack` (module): an empty stack of the module's own, this process in local mode for it.
- `platform_stack` (module): a stack of the module's own on a copy of the run's applied platform
  (`platform_snapshot`: registry, dev and prod bootstrapped and applied once per run), this process in local
  mode for it.
- `applied_platform` (module): the three accounts' runners on that stack, each with its bootstrap state, and
  their outputs: test_platform.py reads it, then changes it and destroys it last.

None of them uses `local_stack`/`aws`: the `aws` fixture resets the session's server before each test, which
would wipe what Terraform applied (and its S3 state). Applies bootstrap and apply the accounts side by side,
each account's apply starting as soon as its state bucket is versioned
(TerraformRunner.bootstrap_and_apply): the AWS provider's S3 lifecycle waits (~55 s per bucket) overlap.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from shell_environment import local_environment

from localaws.tools.stack import LocalAwsStack
from pipelines.aws import Target
from pipelines.config import EnvConfig
from pipelines.infra.terraform import TerraformRunner, runner_for

ACCOUNT_ENVIRONMENTS = ("registry", "dev", "prod")


@dataclass
class AppliedAccount:
    runner: TerraformRunner
    outputs: dict

    @property
    def config(self) -> EnvConfig:
        return self.runner.config


@pytest.fixture(scope="module")
def terraform_stack(require_tool, tmp_path_factory) -> Iterator[LocalAwsStack]:
    require_tool("terraform")
    with LocalAwsStack(log_path=tmp_path_factory.mktemp("terraform-stack") / "server.log") as stack:
        with local_environment(stack.endpoint):
            yield stack


@pytest.fixture(scope="module")
def platform_stack(platform_snapshot, tmp_path_factory) -> Iterator[LocalAwsStack]:
    with platform_snapshot.restored_stack(tmp_path_factory.mktemp("platform-stack")) as stack, \
            local_environment(stack.endpoint):
        yield stack


@pytest.fixture(scope="module")
def applied_platform(platform_snapshot, platform_stack, tmp_path_factory) -> dict[str, AppliedAccount]:
    target, work_dir = Target.local_stack(platform_stack.endpoint), tmp_path_factory.mktemp("terraform")
    runners = [platform_snapshot.place_bootstrap_state(runner_for(environment, target, work_dir=work_dir / environment))
               for environment in ACCOUNT_ENVIRONMENTS]
    # The outputs as the restored state gives them (each runner initialises its data dir first).
    with ThreadPoolExecutor(max_workers=len(runners)) as pool:
        applied = list(pool.map(lambda runner: AppliedAccount(runner, runner.output()), runners))
    return {account.config.environment: account for account in applied}
