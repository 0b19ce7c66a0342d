"""Fixtures for the terraform apply tests.

- `applied_platform` (module): the session's shared platform (tests/applied_platform.py: registry, dev and
  prod bootstrapped and applied once per run), this process in local mode for its stack during the module.
  For tests that only read it: test_platform.py.
- `own_platform` (module): the same three accounts applied on a stack of the module's own, for tests that
  change resources (test_lifecycle.py: drift repaired, a held lock, destroy), so they never disturb readers.
- `terraform_stack` (module): an empty stack of the module's own, this process in local mode for it.

None of them uses `local_stack`/`aws`: the `aws` fixture resets the session's server before each test, which
would wipe what Terraform applied (and its S3 state). Applies bootstrap and apply the accounts side by side,
each account's apply starting as soon as its state bucket is versioned
(TerraformRunner.bootstrap_and_apply): the AWS provider's S3 lifecycle waits (~55 s per bucket) overlap.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from applied_platform import AppliedAccount, AppliedPlatform, bootstrap_and_apply_accounts
from shell_environment import local_environment

from pipelines.aws import Target
from pipelines.local.stack import LocalAwsStack


@pytest.fixture(scope="module")
def applied_platform(shared_platform: AppliedPlatform) -> Iterator[dict[str, AppliedAccount]]:
    with local_environment(shared_platform.endpoint):
        yield shared_platform.accounts


@pytest.fixture(scope="module")
def terraform_stack(require_tool, tmp_path_factory) -> Iterator[LocalAwsStack]:
    require_tool("terraform")
    with LocalAwsStack(log_path=tmp_path_factory.mktemp("terraform-stack") / "server.log") as stack:
        with local_environment(stack.endpoint):
            yield stack


@pytest.fixture(scope="module")
def own_platform(terraform_stack, tmp_path_factory) -> dict[str, AppliedAccount]:
    return bootstrap_and_apply_accounts(Target.local_stack(terraform_stack.endpoint),
                                        tmp_path_factory.mktemp("terraform"))
