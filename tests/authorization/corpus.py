"""Loading of the decision corpus (tests/authorization/cases/*.yaml) into Requests and expectations.

A case file has optional `defaults` (keys every case starts from) and `cases`. A case names its inputs:
- principal: {type: user|role_session|federated_user|root|service|web_identity|anonymous, arn, role, session,
  account, name, source_user, user_id, tags}
- identity_policies, session_policies: lists of policies; boundary, resource_policy: one policy. A policy is a
  document (with Statement), a list of statements (Version 2012-10-17 is implied), or {name, arn, document}.
- action, resource, resource_account, resource_kind (generic|kms_key|role_trust), grants, context
- expect: "allow", or {decision: allow|deny, reason, policy_type, granted_by, message}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from localaws.authorization import (
    Grant,
    Policy,
    PolicyKind,
    Principal,
    PrincipalType,
    Request,
    ResourceKind,
    parse_policy,
)

CASES_DIR = Path(__file__).parent / "cases"


@dataclass(frozen=True)
class Case:
    name: str
    category: str
    request: Request
    expect: dict[str, Any]


def _policy(raw: Any, kind: PolicyKind, default_name: str) -> Policy:
    if isinstance(raw, list):
        return parse_policy({"Version": "2012-10-17", "Statement": raw}, kind, name=default_name)
    if isinstance(raw, dict) and "document" in raw:
        return parse_policy(raw["document"], kind, name=raw.get("name", default_name), arn=raw.get("arn"))
    return parse_policy(raw, kind, name=default_name)


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def _principal(raw: dict[str, Any], case: dict[str, Any]) -> Principal:
    kind = PrincipalType(raw["type"])
    policies = {
        "identity_policies": tuple(
            _policy(p, PolicyKind.IDENTITY, f"identity-{i}") for i, p in enumerate(case.get("identity_policies", []))
        ),
        "permissions_boundary": _policy(case["boundary"], PolicyKind.IDENTITY, "boundary")
        if "boundary" in case
        else None,
        "session_policies": tuple(
            _policy(p, PolicyKind.IDENTITY, f"session-{i}") for i, p in enumerate(case.get("session_policies", []))
        ),
        "tags": raw.get("tags", {}),
        "user_id": raw.get("user_id"),
    }
    if kind is PrincipalType.ROOT:
        return Principal.root(str(raw["account"]), **policies)
    if kind is PrincipalType.ROLE_SESSION:
        return Principal.role_session(raw["role"], raw["session"], **policies)
    if kind in (PrincipalType.SERVICE, PrincipalType.WEB_IDENTITY):
        return Principal(kind, arn=raw["name"])
    if kind is PrincipalType.ANONYMOUS:
        return Principal.anonymous()
    return Principal(
        kind,
        arn=raw["arn"],
        account=str(raw.get("account") or _account_of(raw["arn"])),
        source_user_arn=raw.get("source_user"),
        **policies,
    )


def _grant(raw: dict[str, Any]) -> Grant:
    return Grant(
        grantee_principal=raw.get("grantee_principal"),
        grantee_service_principal=raw.get("grantee_service_principal"),
        operations=tuple(raw["operations"]),
        encryption_context_subset=raw.get("encryption_context_subset"),
        encryption_context_equals=raw.get("encryption_context_equals"),
        source_arn=raw.get("source_arn"),
    )


def build_case(raw: dict[str, Any], category: str) -> Case:
    principal = _principal(raw["principal"], raw)
    resource_policy = raw.get("resource_policy")
    request = Request(
        principal=principal,
        action=raw["action"],
        resource=raw.get("resource", "*"),
        resource_account=str(raw["resource_account"]) if raw.get("resource_account") else None,
        resource_policy=_policy(resource_policy, PolicyKind.RESOURCE, "resource") if resource_policy else None,
        resource_kind=ResourceKind(raw.get("resource_kind", "generic")),
        grants=tuple(_grant(g) for g in raw.get("grants", [])),
        context=raw.get("context", {}),
    )
    expect = raw["expect"]
    if isinstance(expect, str):
        expect = {"decision": expect}
    return Case(name=raw["name"], category=category, request=request, expect=expect)


def load_raw_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every case as (category, merged raw mapping), in file order; the category is the file's stem."""
    loaded = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        defaults = document.get("defaults", {})
        for raw in document["cases"]:
            loaded.append((path.stem, {**defaults, **raw}))
    return loaded


def load_cases() -> list[Case]:
    return [build_case(raw, category) for category, raw in load_raw_cases()]
