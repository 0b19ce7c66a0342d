"""Fixtures for the terraform apply tests: ONE apply per account per test module, on a stack of their own.

Why a dedicated stack: the shared `aws` fixture resets the session's moto server before each test, which
would wipe what Terraform applied (and its S3 state) between two tests of this package. So these tests never
touch `local_stack`/`aws`: `applied_platform` starts its own LocalAwsStack, puts the process in local mode
for it (restoring the environment afterwards), bootstraps and applies registry, dev and prod - in parallel,
since each waits ~55 s per bucket in the AWS provider's S3 lifecycle waiter (the bootstrap's wait
overlapping the apply: TerraformRunner.bootstrap_and_apply) - and yields the runners and outputs.
Tests run in file order; the last test of test_apply.py destroys and checks that nothing is left. The
stack is discarded and the environment restored at the end of the module in any case (module scope, so
tests elsewhere never see this stack).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from shell_environment import local_environment

from pipelines.aws import Target
from pipelines.config import EnvConfig
from pipelines.infra.terraform import TerraformRunner, runner_for
from pipelines.local.stack import LocalAwsStack

log = logging.getLogger(__name__)

ACCOUNT_ENVIRONMENTS = ("registry", "dev", "prod")


@dataclass
class AppliedAccount:
    runner: TerraformRunner
    outputs: dict

    @property
    def config(self) -> EnvConfig:
        return self.runner.config


def _bootstrap_and_apply(runner: TerraformRunner) -> AppliedAccount:
    runner.bootstrap_and_apply()
    return AppliedAccount(runner, runner.output())


@pytest.fixture(scope="module")
def terraform_stack(require_tool, tmp_path_factory) -> Iterator[LocalAwsStack]:
    require_tool("terraform")
    with LocalAwsStack(log_path=tmp_path_factory.mktemp("terraform-stack") / "server.log") as stack:
        with local_environment(stack.endpoint):
            yield stack


@pytest.fixture(scope="module")
def applied_platform(terraform_stack, tmp_path_factory) -> dict[str, AppliedAccount]:
    work_dir: Path = tmp_path_factory.mktemp("terraform")
    target = Target.local_stack(terraform_stack.endpoint)
    runners = [runner_for(environment, target, work_dir=work_dir / environment)
               for environment in ACCOUNT_ENVIRONMENTS]
    with ThreadPoolExecutor(max_workers=len(runners)) as pool:
        applied = list(pool.map(_bootstrap_and_apply, runners))
    return {account.config.environment: account for account in applied}
