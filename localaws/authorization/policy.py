"""Policy documents: parsed, normalized and checked for the shape IAM accepts.

A document may be a JSON string or a dict; `Statement` may be one object or a list; `Action`, `Resource` and
the principal lists may be a string or a list. Identity-based policies name no principal (the principal is the
identity they are attached to); resource-based policies must name one with `Principal` or `NotPrincipal`, and
may leave out `Resource` (it is then the resource the policy is attached to, as in role trust policies).
The account-ID shorthand `"123456789012"` in a principal is the account ARN `arn:aws:iam::123456789012:root`
("AWS JSON policy elements: Principal"); `"*"` and `{"AWS": "*"}` both mean every principal, anonymous included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from localaws.authorization.conditions import Condition, ConditionError, parse_condition_block

VERSION_2012 = "2012-10-17"
_VERSIONS = {"2008-10-17", VERSION_2012}
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_PRINCIPAL_KINDS = {"AWS", "Service", "Federated", "CanonicalUser"}


class PolicyError(ValueError):
    """A malformed policy document; the message says which element is wrong and why."""


class PolicyKind(Enum):
    """Whether a policy is attached to an identity or to a resource (which decides the Principal rules)."""

    IDENTITY = "identity"
    RESOURCE = "resource"


class Effect(Enum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True)
class PrincipalSpec:
    """The principals a `Principal`/`NotPrincipal` element names, normalized.

    `everyone` is `"*"` (or `{"AWS": "*"}`). Account IDs are stored as root ARNs so that both spellings compare
    equal; service and federated names are stored as written (they are compared case-insensitively).
    """

    everyone: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()


@dataclass(frozen=True)
class Statement:
    """One statement; `not_*` flags say the list is an exception list (NotAction, NotResource, NotPrincipal)."""

    effect: Effect
    actions: tuple[str, ...]
    not_action: bool = False
    resources: tuple[str, ...] | None = None  # None: no Resource element (the attached resource)
    not_resource: bool = False
    principal: PrincipalSpec | None = None
    not_principal: bool = False
    conditions: tuple[Condition, ...] = ()
    sid: str | None = None


@dataclass(frozen=True)
class Policy:
    """A parsed policy. `name` and `arn` identify it in decisions and messages (an inline policy has no ARN)."""

    statements: tuple[Statement, ...]
    kind: PolicyKind = PolicyKind.IDENTITY
    version: str | None = None
    id: str | None = None
    name: str | None = None
    arn: str | None = None
    document: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are substituted only under Version 2012-10-17 (literal text otherwise)."""
        return self.version == VERSION_2012


def account_root_arn(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:root"


def _strings(value: object, element: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items and not allow_empty:
        raise PolicyError(f"{element} must not be empty")
    for item in items:
        if not isinstance(item, str) or not item:
            raise PolicyError(f"{element} must be a non-empty string or a list of them, got {item!r}")
    return tuple(items)


def _principal_spec(value: object, element: str) -> PrincipalSpec:
    if value == "*":
        return PrincipalSpec(everyone=True)
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f'{element} must be "*" or an object such as {{"AWS": ...}}, got {value!r}')
    unknown = set(value) - _PRINCIPAL_KINDS
    if unknown:
        raise PolicyError(f"{element} has unknown principal types {sorted(unknown)}")
    aws = _strings(value.get("AWS", []), f"{element}.AWS", allow_empty=True)
    if "*" in aws:
        if len(aws) > 1:
            raise PolicyError(f'{element}.AWS mixes "*" with other principals')
        return PrincipalSpec(everyone=True)
    for entry in aws:
        if "*" in entry or "?" in entry:
            # "You cannot use a wildcard to match part of a principal name or ARN."
            raise PolicyError(f"{element}.AWS {entry!r}: a principal cannot be matched with a wildcard")
    return PrincipalSpec(
        aws=tuple(account_root_arn(a) if _ACCOUNT_ID.match(a) else a for a in aws),
        service=_strings(value.get("Service", []), f"{element}.Service", allow_empty=True),
        federated=_strings(value.get("Federated", []), f"{element}.Federated", allow_empty=True),
        canonical_user=_strings(value.get("CanonicalUser", []), f"{element}.CanonicalUser", allow_empty=True),
    )


def _action(value: str, element: str) -> str:
    if value != "*" and (":" not in value or not value.split(":", 1)[0] or not value.split(":", 1)[1]):
        raise PolicyError(f'{element} {value!r} is neither "*" nor service:action')
    return value


def parse_statement(raw: object, kind: PolicyKind, index: int) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where} must be an object")
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise PolicyError(f"{where} has unknown elements {sorted(unknown)}")
    sid = raw.get("Sid")
    where = f"{where} ({sid})" if sid else where
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}: Sid must be a string")
    try:
        effect = Effect(raw.get("Effect"))
    except ValueError:
        raise PolicyError(f'{where}: Effect must be "Allow" or "Deny", got {raw.get("Effect")!r}') from None

    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError(f"{where} needs exactly one of Action and NotAction")
    action_key = "Action" if "Action" in raw else "NotAction"
    actions = tuple(_action(a, f"{where}.{action_key}") for a in _strings(raw[action_key], f"{where}.{action_key}"))

    if "Resource" in raw and "NotResource" in raw:
        raise PolicyError(f"{where} has both Resource and NotResource")
    resource_key = "Resource" if "Resource" in raw else "NotResource" if "NotResource" in raw else None
    if resource_key is None and kind is PolicyKind.IDENTITY:
        raise PolicyError(f"{where} needs Resource or NotResource")
    resources = _strings(raw[resource_key], f"{where}.{resource_key}") if resource_key else None

    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyError(f"{where} has both Principal and NotPrincipal")
    principal_key = "Principal" if "Principal" in raw else "NotPrincipal" if "NotPrincipal" in raw else None
    if kind is PolicyKind.IDENTITY and principal_key:
        raise PolicyError(f"{where}: an identity-based policy cannot name a {principal_key}")
    if kind is PolicyKind.RESOURCE and not principal_key:
        raise PolicyError(f"{where}: a resource-based policy must name a Principal or NotPrincipal")
    principal = _principal_spec(raw[principal_key], f"{where}.{principal_key}") if principal_key else None

    try:
        conditions = parse_condition_block(raw["Condition"]) if "Condition" in raw else ()
    except ConditionError as error:
        raise PolicyError(f"{where}.Condition: {error}") from None

    return Statement(
        effect=effect,
        actions=actions,
        not_action=action_key == "NotAction",
        resources=resources,
        not_resource=resource_key == "NotResource",
        principal=principal,
        not_principal=principal_key == "NotPrincipal",
        conditions=conditions,
        sid=sid,
    )


def parse_policy(
    document: str | Mapping[str, object] | Policy,
    kind: PolicyKind = PolicyKind.IDENTITY,
    *,
    name: str | None = None,
    arn: str | None = None,
) -> Policy:
    """Parse a policy document (JSON text or dict); raise PolicyError when IAM would reject its shape."""
    if isinstance(document, Policy):
        return document
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise PolicyError(f"policy document is not JSON: {error}") from None
    if not isinstance(document, Mapping):
        raise PolicyError("policy document must be a JSON object")
    unknown = set(document) - {"Version", "Id", "Statement"}
    if unknown:
        raise PolicyError(f"policy document has unknown elements {sorted(unknown)}")
    version = document.get("Version")
    if version is not None and version not in _VERSIONS:
        raise PolicyError(f"Version {version!r} is not 2012-10-17 or 2008-10-17")
    if "Statement" not in document:
        raise PolicyError("policy document has no Statement")
    raw_statements = document["Statement"]
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise PolicyError("Statement must be an object or a list of objects")
    policy_id = document.get("Id")
    return Policy(
        statements=tuple(parse_statement(s, kind, i) for i, s in enumerate(raw_statements)),
        kind=kind,
        version=version if isinstance(version, str) else None,
        id=policy_id if isinstance(policy_id, str) else None,
        name=name,
        arn=arn,
        document=document,
    )
