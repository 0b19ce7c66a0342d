"""The accounts of the platform: which environments (accounts) there are, and `accounts`, their ids."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.config.fields import Fields
from pipelines.errors import ConfigError

# The one list of environments: each has its own environments/<env>.tfvars.json and Terraform state.
ENVIRONMENTS = ("registry", "dev", "prod")
# The accounts that run the pipelines and serve the endpoints (the registry account only holds the models).
WORKLOAD_ENVIRONMENTS = ("dev", "prod")
ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)


@dataclass(frozen=True)
class Accounts:
    tooling: str
    registry: str
    dev: str
    prod: str


def parse_accounts(fields: Fields) -> Accounts:
    roles = ("tooling", *ENVIRONMENTS)
    hint = "an AWS account id is exactly 12 digits, as a string"
    accounts = Accounts(**{role: fields.get(role, str, ACCOUNT_ID, hint) for role in roles})
    by_id: dict[str, list[str]] = {}
    for role in roles:
        by_id.setdefault(getattr(accounts, role), []).append(f"accounts.{role}")
    shared = [names for names in by_id.values() if len(names) > 1]
    if shared:
        raise ConfigError(f"{fields.path}: fields {' and '.join(shared[0])} are the same account: tooling, registry, "
                          "dev and prod must be four different accounts (the cross-account policies rely on it)")
    return accounts
