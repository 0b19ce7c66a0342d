"""TEMPORARY stand-in for helper (a)'s policy-evaluation engine (`localaws.authorization.evaluation`).

DELETE THIS MODULE when `evaluation.evaluate(request) -> Decision` lands on main: `enforcement.py` imports only
`EvaluationRequest`, `PrincipalInfo`, `Decision` and `evaluate` from here, with the call shape agreed for that engine.
It knows Allow/Deny, Action/NotAction, Resource/NotResource, Principal, a few condition operators, permission
boundaries, session policies, cross-account resource policies, KMS key policies and role trust policies: enough to
exercise the wiring, not the engine.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PrincipalInfo:
    arn: str
    account: str
    kind: str  # root | user | assumed-role | service | anonymous
    identity_policies: tuple[dict, ...] = ()
    permission_boundary: dict | None = None
    session_policies: tuple[dict, ...] = ()
    role_arn: str | None = None  # the role of an assumed-role session (resource policies may name the role)


@dataclass(frozen=True)
class EvaluationRequest:
    principal: PrincipalInfo
    action: str
    resource: str
    resource_account: str | None
    resource_policy: dict | None
    context: dict[str, Any] = field(default_factory=dict)
    is_kms_key: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    request: EvaluationRequest

    def message(self) -> str:
        principal = self.request.principal
        kind = "User" if principal.kind != "anonymous" else "Anonymous"
        return (f"{kind}: {principal.arn} is not authorized to perform: {self.request.action} on resource: "
                f"{self.request.resource} {self.reason}")


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(patterns: list[str], value: str, case_sensitive: bool = True) -> bool:
    if not case_sensitive:
        value = value.lower()
    for pattern in patterns:
        pattern = pattern if case_sensitive else pattern.lower()
        if fnmatch.fnmatchcase(value, pattern.replace("[", "[[]")):
            return True
    return False


def _principal_matches(element: Any, principal: PrincipalInfo) -> bool:
    if element == "*":
        return True
    names = {principal.arn, f"arn:aws:iam::{principal.account}:root", principal.account}
    if principal.role_arn:
        names.add(principal.role_arn)
    for kind, values in (element or {}).items():
        for value in _as_list(values):
            if value == "*" or (kind == "AWS" and value in names) or (kind == "Service" and value == principal.arn):
                return True
    return False


def _condition_holds(conditions: dict, context: dict[str, Any]) -> bool:
    for operator, entries in (conditions or {}).items():
        base = operator.removeprefix("ForAnyValue:").removeprefix("ForAllValues:").removesuffix("IfExists")
        for key, expected in entries.items():
            actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            if actual is None:
                if base == "Null":
                    if str(expected).lower() != "true":
                        return False
                    continue
                if operator.endswith("IfExists"):
                    continue
                return False
            actual_values, expected_values = [str(v) for v in _as_list(actual)], [str(v) for v in _as_list(expected)]
            if base == "Null":
                if str(expected).lower() == "true":
                    return False
            elif base in ("StringEquals", "ArnEquals", "Bool", "NumericEquals"):
                if not any(a.lower() == e.lower() if base == "Bool" else a == e
                           for a in actual_values for e in expected_values):
                    return False
            elif base in ("StringLike", "ArnLike"):
                if not any(_matches(expected_values, a) for a in actual_values):
                    return False
            elif base in ("StringNotEquals", "ArnNotEquals"):
                if any(a == e for a in actual_values for e in expected_values):
                    return False
            elif base in ("StringNotLike", "ArnNotLike"):
                if any(_matches(expected_values, a) for a in actual_values):
                    return False
            else:
                return False  # an operator this stand-in does not know never holds
    return True


def _statement_effects(policy: dict | None, request: EvaluationRequest, resource_based: bool) -> set[str]:
    effects = set()
    if not policy:
        return effects
    if isinstance(policy, str):
        policy = json.loads(policy)
    for statement in _as_list(policy.get("Statement")):
        if resource_based:
            if "Principal" in statement and not _principal_matches(statement["Principal"], request.principal):
                continue
            if "NotPrincipal" in statement and _principal_matches(statement["NotPrincipal"], request.principal):
                continue
        if "Action" in statement and not _matches(_as_list(statement["Action"]), request.action, False):
            continue
        if "NotAction" in statement and _matches(_as_list(statement["NotAction"]), request.action, False):
            continue
        if "Resource" in statement and not _matches(_as_list(statement["Resource"]), request.resource):
            continue
        if "NotResource" in statement and _matches(_as_list(statement["NotResource"]), request.resource):
            continue
        if not _condition_holds(statement.get("Condition"), request.context):
            continue
        effects.add(statement.get("Effect", "Deny"))
    return effects


def evaluate(request: EvaluationRequest) -> Decision:
    identity = set().union(*(_statement_effects(p, request, False) for p in request.principal.identity_policies))
    resource = _statement_effects(request.resource_policy, request, True)
    boundary = (_statement_effects(request.principal.permission_boundary, request, False)
                if request.principal.permission_boundary is not None else {"Allow"})
    sessions = (set().union(*(_statement_effects(p, request, False) for p in request.principal.session_policies))
                if request.principal.session_policies else {"Allow"})
    action = request.action
    if "Deny" in identity:
        return Decision(False, "with an explicit deny in an identity-based policy", request)
    if "Deny" in resource:
        return Decision(False, "with an explicit deny in a resource-based policy", request)
    if "Allow" not in boundary:
        return Decision(False, f"because no permissions boundary allows the {action} action", request)
    if "Allow" not in sessions:
        return Decision(False, f"because no session policy allows the {action} action", request)
    trust_required = request.is_kms_key or action.lower().startswith("sts:assumerole")
    cross_account = request.resource_account not in (None, request.principal.account)
    if trust_required or cross_account:
        if "Allow" not in resource:
            return Decision(False, f"because no resource-based policy allows the {action} action", request)
        if cross_account and "Allow" not in identity:
            return Decision(False, f"because no identity-based policy allows the {action} action", request)
        return Decision(True, "allowed", request)
    if "Allow" in identity or "Allow" in resource:
        return Decision(True, "allowed", request)
    return Decision(False, f"because no identity-based policy allows the {action} action", request)
