"""Shared by the enforced apply tests: AWS's access denials read back, and a statement taken out of a copy of
the Terraform and applied to one account."""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from botocore.exceptions import ClientError

from pipelines.infra.terraform import TERRAFORM_ROOT, TerraformRunner

SESSION_NAME = "authorization-test"


def session_arn(account_id: str, role_name: str, session_name: str = SESSION_NAME) -> str:
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def denial(principal: str, action: str, resource: str | None = None) -> str:
    """The start of AWS's message: `User: <principal> is not authorized to perform: <action> on resource: <arn>`."""
    text = f"User: {principal} is not authorized to perform: {action}"
    return f"{text} on resource: {resource}" if resource else text


def assert_denied(error: ClientError, code: str, principal: str, action: str, resource: str | None,
                  because: str) -> None:
    """`error` is AWS's access denial of `action` on `resource` for `principal`, with the reason `because`
    (e.g. "because no identity-based policy allows the s3:GetObject action", "with an explicit deny in ...")."""
    assert error.response["Error"]["Code"] == code, error.response["Error"]
    message = error.response["Error"]["Message"]
    assert message.startswith(denial(principal, action, resource) + " "), message
    assert because in message, message


def remove_statement(text: str, sid: str) -> str:
    """`text` (a module's HCL) without the `statement { ... }` block whose `sid` is `sid`."""
    sids = list(re.finditer(rf'^\s*sid\s*=\s*"{re.escape(sid)}"\s*$', text, re.MULTILINE))
    if len(sids) != 1:
        raise ValueError(f"expected one statement with sid {sid!r}, found {len(sids)}")
    found = sids[0]
    opening = list(re.finditer(r"^[ \t]*statement\s*\{", text[:found.start()], re.MULTILINE))
    if not opening:
        raise ValueError(f"sid {sid!r} is not inside a statement block")
    start, depth = opening[-1].start(), 0
    for index in range(text.index("{", start), len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            end = index + 1
            break
    else:
        raise ValueError(f"the statement with sid {sid!r} is not closed")
    if end < found.end():
        raise ValueError(f"sid {sid!r} is not in a plain statement block (a dynamic one?)")
    return text[:start] + text[end:].removeprefix("\n")


@contextlib.contextmanager
def statement_removed(runner: TerraformRunner, module_file: str, sid: str, address: str,
                      scratch: Path) -> Iterator[None]:
    """Apply `address` (a resource of `runner`'s account) from a copy of the Terraform root without the
    statement `sid` of `module_file`; apply it from the committed root again on the way out.

    Only that resource is applied (-target): it is all the removal changes, and a whole account takes minutes.
    """
    copy = scratch / "mlops-infra"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(TERRAFORM_ROOT, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*_override.tf"))
    path = copy / module_file
    path.write_text(remove_statement(path.read_text(), sid))
    mutated = TerraformRunner(runner.config, work_dir=runner.work_dir, root=copy, target=runner.target)
    mutated.apply(targets=(address,))
    try:
        yield
    finally:
        runner.apply(targets=(address,))
