"""IAM's policy simulator, SimulatePrincipalPolicy and SimulateCustomPolicy, which moto lacks.

Both are answered by the engine that decides the stack's own calls (localaws.authorization.evaluation), so a
simulation and the call it simulates cannot disagree. As in AWS ("IAM policy simulator"):
- SimulatePrincipalPolicy evaluates the policies of a user (its groups' included), group or role, plus
  PolicyInputList; SimulateCustomPolicy evaluates PolicyInputList alone. PermissionsBoundaryPolicyInputList
  replaces the entity's own boundary. Only the policies given or attached are evaluated: resource policies are
  not fetched, ResourcePolicy is the one resource-based policy, evaluated with every resource.
- One EvaluationResult per action: with one resource its EvalResourceName is that ARN; with several, the top-level
  decision is the most restrictive one and ResourceSpecificResults gives each resource's decision. Without
  ResourceArns the resource is `*`.
- MatchedStatements: the explicit Deny alone, or every applicable Allow (identity and resource policies);
  MissingContextValues: condition keys of the statements covering the action and resource that ContextEntries
  does not supply. Statement positions (StartPosition/EndPosition) are not reported.
- MaxItems/Marker page the results; Marker is the index of the next action.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.iam.exceptions import InvalidInput, NoSuchEntity
from moto.iam.responses import IamResponse

from localaws.authorization import identities
from localaws.authorization.evaluation import (
    Decision,
    PolicyType,
    Reason,
    Request,
    StatementRef,
    boundary_allows,
    evaluate,
    matched_statements,
    missing_context_keys,
)
from localaws.authorization.policy import Policy, PolicyError, PolicyKind, parse_policy
from localaws.authorization.principals import Principal, PrincipalType

DEFAULT_MAX_ITEMS = 100
ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"
_RESTRICTIVENESS = {ALLOWED: 0, IMPLICIT_DENY: 1, EXPLICIT_DENY: 2}
_LIST_TYPES = {"stringList", "numericList", "booleanList", "ipList", "binaryList", "dateList"}


def install() -> None:
    IamResponse.simulate_principal_policy = _simulate_principal_policy
    IamResponse.simulate_custom_policy = _simulate_custom_policy


def _simulate_principal_policy(self: IamResponse) -> ActionResult:
    source_arn = self._get_param("PolicySourceArn")
    try:
        kind, attached, boundary = identities.entity_policies(source_arn)
    except identities.UnknownEntity as error:
        raise NoSuchEntity(str(error)) from None
    return _simulate(self, attached, boundary, source_arn, kind)


def _simulate_custom_policy(self: IamResponse) -> ActionResult:
    return _simulate(self, [], None, None, None)


def _parsed(documents: list[str], field: str, kind: PolicyKind = PolicyKind.IDENTITY) -> list[Policy]:
    policies = []
    for index, text in enumerate(documents, start=1):
        try:
            policies.append(parse_policy(text, kind, name=f"{field}.{index}"))
        except PolicyError as error:
            raise InvalidInput(f"{field}.{index}: {error}") from None
    return policies


def _simulate(self: IamResponse, attached: list[tuple[Policy, str]], boundary: Policy | None,
              source_arn: str | None, source_kind: str | None) -> ActionResult:
    inputs = _parsed(self._get_param("PolicyInputList", []), "PolicyInputList")
    if source_arn is None and not inputs:
        raise InvalidInput("PolicyInputList must contain at least one policy document.")
    boundaries = _parsed(self._get_param("PermissionsBoundaryPolicyInputList", []),
                         "PermissionsBoundaryPolicyInputList")
    if len(boundaries) > 1:
        raise InvalidInput("PermissionsBoundaryPolicyInputList accepts only one permissions boundary policy.")
    boundary = boundaries[0] if boundaries else boundary
    resource_policy_text = self._get_param("ResourcePolicy")
    resource_policy = (_parsed([resource_policy_text], "ResourcePolicy", PolicyKind.RESOURCE)[0]
                       if resource_policy_text else None)
    caller_arn = self._get_param("CallerArn")
    if resource_policy is not None and caller_arn is None and source_kind != "user":
        raise InvalidInput("CallerArn is required when a ResourcePolicy is given and PolicySourceArn is not the "
                           "ARN of an IAM user.")
    actions = self._get_param("ActionNames", [])
    if not actions:
        raise InvalidInput("ActionNames must contain at least one action.")
    principal = _principal([p for p, _ in attached] + inputs, boundary, source_arn, source_kind, caller_arn,
                           self.current_account)
    resources = self._get_param("ResourceArns", []) or ["*"]
    owner = self._get_param("ResourceOwner")
    context = _context(self._get_param("ContextEntries", []))
    sources = {id(p): source for p, source in attached}
    sources.update({id(p): "none" for p in inputs})

    results = []
    for action in actions:
        per_resource = [_evaluate(Request(principal=principal, action=action, resource=resource,
                                          resource_account=owner, resource_policy=resource_policy, context=context),
                                  sources)
                        for resource in resources]
        results.append(_result(action, resources, per_resource))
    return ActionResult(_page(self, results))


def _principal(policies: list[Policy], boundary: Policy | None, source_arn: str | None, source_kind: str | None,
               caller_arn: str | None, account: str) -> Principal:
    """The simulated caller: CallerArn (an IAM user) when given, else the entity itself (a role as its session)."""
    arn = caller_arn or source_arn or f"arn:aws:iam::{account}:user/simulated"
    arn_account = arn.split(":")[4] if arn.count(":") >= 5 else account
    common = dict(identity_policies=tuple(policies), permissions_boundary=boundary)
    if caller_arn is None and source_kind == "role":
        return Principal(PrincipalType.ROLE_SESSION, arn=arn, account=arn_account, role_arn=arn, **common)
    return Principal(PrincipalType.USER, arn=arn, account=arn_account, **common)


def _context(entries: list[dict[str, Any]]) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for entry in entries:
        values = entry.get("ContextKeyValues") or []
        key_type = entry.get("ContextKeyType", "string")
        context[entry["ContextKeyName"]] = list(values) if key_type in _LIST_TYPES else (values[0] if values else "")
    return context


def _decision_name(decision: Decision) -> str:
    if decision.allowed:
        return ALLOWED
    return EXPLICIT_DENY if decision.reason is Reason.EXPLICIT_DENY else IMPLICIT_DENY


def _statement(ref: StatementRef, sources: dict[int, str], request: Request) -> dict[str, str]:
    if ref.policy_type in (PolicyType.RESOURCE, PolicyType.KEY_POLICY, PolicyType.TRUST_POLICY):
        return {"SourcePolicyId": "ResourcePolicy", "SourcePolicyType": "resource"}
    policies = [*request.principal.identity_policies, request.principal.permissions_boundary]
    policy = next((p for p in policies if p is not None and (p.name, p.arn) == (ref.policy_name, ref.policy_arn)),
                  None)
    source_type = sources.get(id(policy), "none")
    if ref.policy_arn is not None:
        # A managed policy: AWS's own (arn:aws:iam::aws:policy/...) or the account's.
        source_type = "aws-managed" if ":aws:policy/" in ref.policy_arn else "user-managed"
    return {"SourcePolicyId": ref.policy_name or ref.policy_arn or "", "SourcePolicyType": source_type}


def _evaluate(request: Request, sources: dict[int, str]) -> dict[str, Any]:
    decision = evaluate(request)
    result: dict[str, Any] = {
        "EvalResourceName": request.resource,
        "EvalResourceDecision": _decision_name(decision),
        "MatchedStatements": [_statement(ref, sources, request)
                              for ref in matched_statements(request, decision)],
        "MissingContextValues": list(missing_context_keys(request)),
    }
    if request.resource_policy is not None:
        result["EvalDecisionDetails"] = {}
    allowed_by_boundary = boundary_allows(request)
    if allowed_by_boundary is not None:
        result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": allowed_by_boundary}
    return result


def _result(action: str, resources: list[str], per_resource: list[dict[str, Any]]) -> dict[str, Any]:
    """One EvaluationResult for `action`: the most restrictive decision of its resources on top."""
    worst = max(per_resource, key=lambda r: _RESTRICTIVENESS[r["EvalResourceDecision"]])
    result: dict[str, Any] = {
        "EvalActionName": action,
        "EvalResourceName": resources[0] if len(resources) == 1 else "*",
        "EvalDecision": worst["EvalResourceDecision"],
        "MatchedStatements": worst["MatchedStatements"],
        "MissingContextValues": list(dict.fromkeys(k for r in per_resource for k in r["MissingContextValues"])),
    }
    for key in ("EvalDecisionDetails", "PermissionsBoundaryDecisionDetail"):
        if key in worst:
            result[key] = worst[key]
    if resources != ["*"]:
        result["ResourceSpecificResults"] = per_resource
    return result


def _page(self: IamResponse, results: list[dict[str, Any]]) -> dict[str, Any]:
    max_items = int(self._get_param("MaxItems") or DEFAULT_MAX_ITEMS)
    marker = self._get_param("Marker")
    if marker is not None and not str(marker).isdigit():
        raise InvalidInput("Invalid Marker.")
    start = int(marker or 0)
    page = results[start:start + max_items]
    answer: dict[str, Any] = {"EvaluationResults": page, "IsTruncated": start + max_items < len(results)}
    if answer["IsTruncated"]:
        answer["Marker"] = str(start + max_items)
    return answer
