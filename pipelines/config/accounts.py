"""The accounts of the platform: `accounts` (the ids of tooling, registry and every workload environment) and
`promotion` (the order the workload environments are promoted through), both from the environment files.

A workload environment is any `environments/<name>.tfvars.json` with a `workload` section; the registry file
lists every one of them in `accounts` and orders them in `promotion`. Nothing here names one: adding an
environment is adding its file and its entries in the registry file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipelines.config.fields import Fields
from pipelines.errors import ConfigError

ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
# The account that holds the central model registry, and the one Jenkins runs in (no environment file of its own).
REGISTRY = "registry"
TOOLING = "tooling"
# An environment's name: it names its file, its Terraform state key, its prefix in the artifacts bucket and
# (with the project name) IAM names, so lower-case letters, digits and single hyphens, short.
ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", re.ASCII)
ENVIRONMENT_NAME_MAX = 20
ENVIRONMENT_HINT = ("use 1-20 lower-case letters, digits and single hyphens, starting with a letter "
                    "(the name of its file environments/<name>.tfvars.json)")


def valid_environment_name(name: str) -> bool:
    return len(name) <= ENVIRONMENT_NAME_MAX and ENVIRONMENT_NAME.fullmatch(name) is not None and name != TOOLING


@dataclass(frozen=True)
class Accounts:
    tooling: str
    registry: str
    workloads: Mapping[str, str] = field(default_factory=dict)
    """Workload environment name -> its account id, as the file lists them."""

    def of(self, environment: str) -> str:
        """The account of `environment` (registry, or a workload environment the file lists)."""
        if environment == REGISTRY:
            return self.registry
        if environment not in self.workloads:
            raise ConfigError(f"no account for environment {environment!r} in 'accounts' (it lists "
                              f"{', '.join((TOOLING, REGISTRY, *self.workloads))})")
        return self.workloads[environment]

    def __getattr__(self, name: str) -> str:
        # A workload account by its environment's name, as the file spells it (accounts.staging).
        workloads = self.__dict__.get("workloads", {})
        if name in workloads:
            return workloads[name]
        raise AttributeError(name)


def parse_accounts(fields: Fields, environment: str) -> Accounts:
    """`accounts`: tooling, registry and workload environments -> 12-digit ids, all different, naming the file's
    own environment."""
    hint = "an AWS account id is exactly 12 digits, as a string"
    for name in fields.data:
        if name not in (TOOLING, REGISTRY) and not valid_environment_name(name):
            raise fields.fail(name, f"names an invalid environment: {ENVIRONMENT_HINT}")
    ids = {name: fields.get(name, str, ACCOUNT_ID, hint) for name in (TOOLING, REGISTRY, *fields.data)}
    if environment not in ids:
        raise fields.fail(environment, f"is missing: the file's own account ({environment}) must be listed")
    by_id: dict[str, list[str]] = {}
    for name, account in ids.items():
        by_id.setdefault(account, []).append(f"accounts.{name}")
    shared = [names for names in by_id.values() if len(names) > 1]
    if shared:
        raise ConfigError(f"{fields.path}: fields {' and '.join(shared[0])} are the same account: each environment "
                          "(and tooling) must be an account of its own (the cross-account policies rely on it)")
    return Accounts(tooling=ids[TOOLING], registry=ids[REGISTRY],
                    workloads={name: account for name, account in ids.items() if name not in (TOOLING, REGISTRY)})


def parse_promotion(top: Fields, environment: str, accounts: Accounts) -> tuple[str, ...] | None:
    """`promotion` (registry file only): every workload environment of `accounts`, each once, in the order a model
    and a change are promoted through them."""
    if environment != REGISTRY:
        if top.get("promotion", list, optional=True) is not None:
            raise top.fail("promotion", f"must be null in the {environment} file: the registry file orders the "
                                        "environments")
        return None
    names = top.string_list("promotion", ENVIRONMENT_NAME, ENVIRONMENT_HINT)
    for index, name in enumerate(names):
        if name not in accounts.workloads:
            raise top.fail(f"promotion[{index}]", f"names {name!r}, which has no account in 'accounts': add "
                                                  f"accounts.{name} (and environments/{name}.tfvars.json)")
        if name in names[:index]:
            raise top.fail(f"promotion[{index}]", f"names {name!r} twice: list each environment once")
    missing = [name for name in accounts.workloads if name not in names]
    if missing:
        raise top.fail("promotion", f"does not list {', '.join(missing)}: every workload account of 'accounts' "
                                    "is promoted to; add it where it belongs in the order")
    return names
