"""Reading an applied account back, shared by the apply tests: its clients, its policy documents, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipelines.aws import session_for_account


def account_client(account, service: str):
    """A client in the account, through the local stack the process is activated for."""
    return session_for_account(account.config.account_id, account.config.aws_region).client(service)


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def policy_statements(policy) -> list[dict]:
    document = json.loads(policy) if isinstance(policy, str) else policy
    return as_list(document["Statement"])


def account_root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def mlops_infra(*args: str, local_dir) -> subprocess.CompletedProcess:
    # The process is in local mode for the platform's stack; MLOPS_LOCAL_DIR keeps the CLI's work dir private.
    return subprocess.run([str(Path(sys.executable).parent / "mlops-infra"), *args], capture_output=True, text=True,
                          timeout=600, check=False, env={**os.environ, "MLOPS_LOCAL_DIR": str(local_dir)})
