"""IAM's decision for one request: allow or deny, and why.

The logic follows "Policy evaluation logic", "How AWS enforcement code logic evaluates requests" and
"Cross-account policy evaluation logic" of the IAM User Guide, and "Key policies in AWS KMS":
1. An explicit Deny in any policy that applies (resource-based, identity-based, permissions boundary, session)
   is final.
2. Within one account, an Allow in an identity-based policy OR in the resource-based policy grants access; the
   identity-based allow is limited by the permissions boundary and the session policies (intersection), and a
   resource-based allow is limited according to how its Principal names the requester (see principals.Match).
3. Across accounts, the principal's account (identity-based policy, boundary, session policies) AND the resource
   policy must both allow.
4. The account root user has full access to its own account's resources, except that explicit denies still
   apply and a KMS key's key policy must still allow it ("No AWS principal, including the account root user ...
   has any permissions to a KMS key unless they are explicitly allowed").
5. KMS key policies and role trust policies are required: IAM policies count only when the key (trust) policy
   allows the principal's account, which delegates to IAM; a statement naming the principal itself is enough.
6. Service principals, identity providers and anonymous requesters have no identity-based policies: only the
   resource-based (or trust) policy can allow them, typically with aws:SourceAccount / aws:SourceArn conditions.
SCPs, RCPs and VPC endpoint policies are not modelled.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from localaws.authorization.conditions import ContextValue, RequestContext, evaluate_conditions
from localaws.authorization.kms import Grant, works_across_accounts
from localaws.authorization.matching import action_matches, arn_matches
from localaws.authorization.policy import Effect, Policy, PolicyKind, Statement
from localaws.authorization.principals import Match, Principal, PrincipalType, match_principal, not_principal_excludes


class ResourceKind(Enum):
    """Which resource-based policy rules apply: ordinary, a KMS key policy, or a role trust policy."""

    GENERIC = "generic"
    KMS_KEY = "kms_key"
    ROLE_TRUST = "role_trust"


class PolicyType(Enum):
    """The policy types a decision can point at; the value is how access denied messages name them."""

    IDENTITY = "identity-based policy"
    RESOURCE = "resource-based policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"
    KEY_POLICY = "key policy"
    TRUST_POLICY = "role trust policy"


class Reason(Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit_deny"
    NO_IDENTITY_ALLOW = "no_identity_allow"
    NO_RESOURCE_ALLOW = "no_resource_allow"
    NO_BOUNDARY_ALLOW = "no_boundary_allow"
    NO_SESSION_ALLOW = "no_session_allow"
    NO_KEY_POLICY_ALLOW = "no_key_policy_allow"
    NO_TRUST_POLICY_ALLOW = "no_trust_policy_allow"
    KMS_CROSS_ACCOUNT_UNSUPPORTED = "kms_cross_account_unsupported"


class Basis(Enum):
    """What granted an allowed request."""

    ROOT = "root"
    IDENTITY = "identity"
    RESOURCE = "resource"
    GRANT = "grant"


@dataclass(frozen=True)
class StatementRef:
    """Where a statement is: its policy's type, name and ARN, its Sid and its index."""

    policy_type: PolicyType
    policy_name: str | None
    policy_arn: str | None
    sid: str | None
    index: int


@dataclass(frozen=True)
class Request:
    """One authorization question: may `principal` perform `action` on `resource`?

    `resource_account` defaults to the principal's account. `context` holds the request context keys (those
    derived from the principal, aws:PrincipalArn and the like, are added unless given).
    """

    principal: Principal
    action: str
    resource: str = "*"
    resource_account: str | None = None
    resource_policy: Policy | None = None
    resource_kind: ResourceKind = ResourceKind.GENERIC
    grants: tuple[Grant, ...] = ()
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    @property
    def account(self) -> str | None:
        return self.resource_account or self.principal.account

    @property
    def cross_account(self) -> bool:
        return self.principal.account is not None and self.account != self.principal.account


@dataclass(frozen=True)
class Decision:
    """The outcome. For a denial, `policy_type` is the policy type the access denied message names."""

    allowed: bool
    reason: Reason
    policy_type: PolicyType | None = None
    statement: StatementRef | None = None
    granted_by: tuple[Basis, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


def _resource_policy_type(kind: ResourceKind) -> PolicyType:
    return {
        ResourceKind.KMS_KEY: PolicyType.KEY_POLICY,
        ResourceKind.ROLE_TRUST: PolicyType.TRUST_POLICY,
    }.get(kind, PolicyType.RESOURCE)


def _no_resource_allow(kind: ResourceKind) -> Reason:
    return {
        ResourceKind.KMS_KEY: Reason.NO_KEY_POLICY_ALLOW,
        ResourceKind.ROLE_TRUST: Reason.NO_TRUST_POLICY_ALLOW,
    }.get(kind, Reason.NO_RESOURCE_ALLOW)


class _Evaluator:
    """The state of one evaluation: the request, its context, and statement matching."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.context = RequestContext(request.principal.context_defaults())
        for key, value in request.context.items():
            self.context.set(key, value)

    def applies(self, statement: Statement, policy: Policy) -> bool:
        """Action, Resource and Condition (not the principal) cover the request."""
        lookup = self.context.single if policy.variables_enabled else None
        action_hit = any(action_matches(p, self.request.action) for p in statement.actions)
        if action_hit == statement.not_action:
            return False
        if statement.resources is not None:
            resource_hit = any(arn_matches(p, self.request.resource, lookup) for p in statement.resources)
            if resource_hit == statement.not_resource:
                return False
        return evaluate_conditions(statement.conditions, self.context, lookup)

    def principal_match(self, statement: Statement) -> Match | None:
        """How a resource-based statement's Principal/NotPrincipal reaches the requester."""
        principal = self.request.principal
        if statement.principal is None:
            return None
        if statement.not_principal:
            if statement.effect is Effect.DENY:
                return None if not_principal_excludes(statement.principal, principal) else Match.DIRECT
            return None if match_principal(statement.principal, principal) is not None else Match.DIRECT
        return match_principal(statement.principal, principal)

    def statements(self, effect: Effect, policy: Policy | None, policy_type: PolicyType) -> Iterator[StatementRef]:
        """The statements of `policy` with `effect` that apply to the request (principal included)."""
        if policy is None:
            return
        for index, statement in enumerate(policy.statements):
            if statement.effect is not effect or not self.applies(statement, policy):
                continue
            if policy.kind is PolicyKind.RESOURCE and self.principal_match(statement) is None:
                continue
            yield StatementRef(policy_type, policy.name, policy.arn, statement.sid, index)

    def resource_match(self) -> tuple[Match | None, bool]:
        """The most direct way the resource policy or a grant allows the requester, and whether a grant did."""
        best: Match | None = None
        policy = self.request.resource_policy
        if policy is not None:
            for statement in policy.statements:
                if statement.effect is Effect.ALLOW and self.applies(statement, policy):
                    match = self.principal_match(statement)
                    if match is not None and (best is None or match > best):
                        best = match
        by_grant = False
        for grant in self.request.grants:
            match = grant.allows(self.request.principal, self.request.action, self.context)
            if match is not None and (best is None or match >= best):
                best, by_grant = match, True
        return best, by_grant

    def explicit_deny(self) -> StatementRef | None:
        """The first applicable Deny, looking at the resource policy, then identity, boundary, session."""
        request, principal = self.request, self.request.principal
        sources: list[tuple[Policy | None, PolicyType]] = [
            (request.resource_policy, _resource_policy_type(request.resource_kind))
        ]
        if principal.is_iam:
            sources += [(p, PolicyType.IDENTITY) for p in principal.identity_policies]
            sources.append((principal.permissions_boundary, PolicyType.BOUNDARY))
            sources += [(p, PolicyType.SESSION) for p in principal.session_policies]
        for policy, policy_type in sources:
            for ref in self.statements(Effect.DENY, policy, policy_type):
                return ref
        return None

    def allows(self, policies: tuple[Policy, ...], policy_type: PolicyType) -> bool:
        return any(next(self.statements(Effect.ALLOW, p, policy_type), None) for p in policies)


def evaluate(request: Request) -> Decision:
    """Decide a request as AWS does (see the module docstring for the rules and their sources)."""
    evaluator = _Evaluator(request)
    principal = request.principal
    kind = request.resource_kind

    denied_by = evaluator.explicit_deny()
    if denied_by is not None:
        return Decision(False, Reason.EXPLICIT_DENY, denied_by.policy_type, denied_by)

    resource_match, by_grant = evaluator.resource_match()
    resource_basis = (Basis.GRANT,) if by_grant else (Basis.RESOURCE,)
    required = kind is not ResourceKind.GENERIC

    if principal.type in (PrincipalType.SERVICE, PrincipalType.WEB_IDENTITY, PrincipalType.ANONYMOUS):
        if resource_match is not None:
            return Decision(True, Reason.ALLOWED, granted_by=resource_basis)
        return Decision(False, _no_resource_allow(kind), _resource_policy_type(kind))

    if kind is ResourceKind.KMS_KEY and request.cross_account and not works_across_accounts(request.action):
        return Decision(False, Reason.KMS_CROSS_ACCOUNT_UNSUPPORTED, PolicyType.KEY_POLICY)

    if principal.type is PrincipalType.ROOT:
        identity_ok = boundary_ok = session_ok = True
    else:
        identity_ok = evaluator.allows(principal.identity_policies, PolicyType.IDENTITY)
        boundary_ok = principal.permissions_boundary is None or evaluator.allows(
            (principal.permissions_boundary,), PolicyType.BOUNDARY
        )
        # Several session policies (inline and managed) together form the session's limit: any may allow.
        session_ok = not principal.session_policies or evaluator.allows(principal.session_policies, PolicyType.SESSION)
    identity_effective = identity_ok and boundary_ok and session_ok

    def identity_failure(needs_identity: bool = True) -> Decision:
        if needs_identity and not identity_ok:
            return Decision(False, Reason.NO_IDENTITY_ALLOW, PolicyType.IDENTITY)
        if not boundary_ok:
            return Decision(False, Reason.NO_BOUNDARY_ALLOW, PolicyType.BOUNDARY)
        return Decision(False, Reason.NO_SESSION_ALLOW, PolicyType.SESSION)

    if request.cross_account:
        # Both accounts must allow; the trusting (resource) account is reported first when it does not.
        if resource_match is None:
            return Decision(False, _no_resource_allow(kind), _resource_policy_type(kind))
        if by_grant and resource_match is Match.DIRECT:
            return Decision(True, Reason.ALLOWED, granted_by=(Basis.GRANT,))
        if not identity_effective:
            return identity_failure()
        identity_basis = Basis.ROOT if principal.type is PrincipalType.ROOT else Basis.IDENTITY
        return Decision(True, Reason.ALLOWED, granted_by=(identity_basis, *resource_basis))

    if principal.type is PrincipalType.ROOT:
        if required and resource_match is None:
            return Decision(False, _no_resource_allow(kind), _resource_policy_type(kind))
        return Decision(True, Reason.ALLOWED, granted_by=(Basis.ROOT,))

    # Same account: the resource side grants according to how its Principal names the requester.
    if resource_match is Match.DIRECT:
        return Decision(True, Reason.ALLOWED, granted_by=resource_basis)
    if resource_match is Match.ROLE and boundary_ok and session_ok:
        return Decision(True, Reason.ALLOWED, granted_by=resource_basis)
    if required:
        if resource_match is None:
            return Decision(False, _no_resource_allow(kind), _resource_policy_type(kind))
        if resource_match is Match.ROLE:
            return identity_failure(needs_identity=False)
        if identity_effective:  # the key (trust) policy delegates to the account's IAM policies
            return Decision(True, Reason.ALLOWED, granted_by=(Basis.IDENTITY, *resource_basis))
        return identity_failure()
    if identity_effective:
        return Decision(True, Reason.ALLOWED, granted_by=(Basis.IDENTITY,))
    return identity_failure(needs_identity=resource_match is not Match.ROLE)


def matched_statements(request: Request, decision: Decision) -> tuple[StatementRef, ...]:
    """The statements that decided `decision`, as the IAM policy simulator lists them: the explicit Deny alone
    when one applies; for an allow, every applicable Allow of the identity-based and resource-based policies; none
    for an implicit deny."""
    if decision.reason is Reason.EXPLICIT_DENY and decision.statement is not None:
        return (decision.statement,)
    if not decision.allowed:
        return ()
    evaluator = _Evaluator(request)
    identity = request.principal.identity_policies if request.principal.is_iam else ()
    refs = [ref for policy in identity for ref in evaluator.statements(Effect.ALLOW, policy, PolicyType.IDENTITY)]
    refs += evaluator.statements(Effect.ALLOW, request.resource_policy, _resource_policy_type(request.resource_kind))
    return tuple(refs)


def boundary_allows(request: Request) -> bool | None:
    """Whether the principal's permissions boundary allows the request (None: it has none)."""
    boundary = request.principal.permissions_boundary
    if boundary is None:
        return None
    return _Evaluator(request).allows((boundary,), PolicyType.BOUNDARY)


def missing_context_keys(request: Request) -> tuple[str, ...]:
    """Condition keys that statements covering the request's action and resource test but the request context
    lacks (keys derived from the principal are always present), in policy order."""
    evaluator = _Evaluator(request)
    principal = request.principal
    policies = [request.resource_policy]
    if principal.is_iam:
        policies += [*principal.identity_policies, principal.permissions_boundary, *principal.session_policies]
    missing: dict[str, None] = {}
    for policy in policies:
        for statement in policy.statements if policy is not None else ():
            # Resource `*` stands for every resource (a simulation without ResourceArns): any Resource covers it.
            unconditional = replace(statement, conditions=(),
                                    resources=None if request.resource == "*" else statement.resources)
            if not evaluator.applies(unconditional, policy):
                continue
            for condition in statement.conditions:
                if evaluator.context.get(condition.key) is None:
                    missing.setdefault(condition.key)
    return tuple(missing)
