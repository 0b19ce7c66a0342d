"""Who makes a request, and how a resource-based policy's Principal element reaches them.

A request principal has a chain of identities a policy can name: a role session is also its role and its
account; an IAM user is also its account. How the Principal element reaches the principal decides which implicit
denies still apply ("Policy evaluation logic", same-account resource-based policies):
- DIRECT: the policy names this very user, role session or federated user session (or every principal with
  `*`): an implicit deny in identity-based policies, permissions boundaries or session policies does not matter.
- ROLE: the policy names the role of a role session (or the IAM user a federated session came from): the grant is
  limited by an implicit deny in the permissions boundary or the session policy.
- ACCOUNT: the policy names the principal's account: authority is delegated to the account, whose identity-based
  policies must allow the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum

from localaws.authorization.policy import Policy, PrincipalSpec, account_root_arn

__all__ = ["Match", "Principal", "PrincipalType", "match_principal", "not_principal_excludes"]


class PrincipalType(Enum):
    ROOT = "root"
    USER = "user"
    ROLE_SESSION = "role_session"
    FEDERATED_USER = "federated_user"
    SERVICE = "service"
    WEB_IDENTITY = "web_identity"  # a federated identity provider asking to assume a role (trust policies)
    ANONYMOUS = "anonymous"


class Match(IntEnum):
    """How a Principal element reached the requester; a higher value is a more direct grant."""

    ACCOUNT = 1
    ROLE = 2
    DIRECT = 3


# aws:PrincipalType values (IAM User Guide, principal key values table).
_PRINCIPAL_TYPE_VALUES = {
    PrincipalType.ROOT: "Account",
    PrincipalType.USER: "User",
    PrincipalType.ROLE_SESSION: "AssumedRole",
    PrincipalType.FEDERATED_USER: "FederatedUser",
    PrincipalType.ANONYMOUS: "Anonymous",
}


def _partition(arn: str | None) -> str:
    if arn and arn.startswith("arn:"):
        return arn.split(":", 2)[1]
    return "aws"


@dataclass(frozen=True)
class Principal:
    """The requester with the policies that apply to it.

    `arn` is the user ARN, the role session ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), the federated
    user ARN, the account root ARN, or the service principal / identity provider name. `role_arn` is the role of a
    session (with its path); `source_user_arn` is the IAM user a federated user session came from.
    """

    type: PrincipalType
    arn: str | None = None
    account: str | None = None
    role_arn: str | None = None
    source_user_arn: str | None = None
    user_id: str | None = None
    identity_policies: tuple[Policy, ...] = ()
    permissions_boundary: Policy | None = None
    session_policies: tuple[Policy, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def root(cls, account: str, **kwargs: object) -> Principal:
        return cls(PrincipalType.ROOT, arn=account_root_arn(account), account=account, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(PrincipalType.ANONYMOUS)

    @classmethod
    def service(cls, name: str) -> Principal:
        return cls(PrincipalType.SERVICE, arn=name)

    @classmethod
    def role_session(cls, role_arn: str, session_name: str, **kwargs: object) -> Principal:
        """A session of `role_arn`; its ARN drops the role's path, as STS writes it."""
        prefix, _, resource = role_arn.partition(":role/")
        partition, account = prefix.split(":")[1], prefix.split(":")[4]
        role_name = resource.rsplit("/", 1)[-1]
        session_arn = f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session_name}"
        return cls(PrincipalType.ROLE_SESSION, arn=session_arn, account=account, role_arn=role_arn, **kwargs)  # type: ignore[arg-type]

    @property
    def is_iam(self) -> bool:
        """Principals whose own account's policies (identity-based, boundary, session) take part."""
        return self.type in (PrincipalType.USER, PrincipalType.ROLE_SESSION, PrincipalType.FEDERATED_USER)

    @property
    def display(self) -> str:
        """How access denied messages name the principal."""
        if self.type is PrincipalType.ANONYMOUS:
            return "anonymous"
        return self.arn or "anonymous"

    def chain(self) -> tuple[tuple[str, Match], ...]:
        """The ARNs a Principal element can name to reach this principal, with how each reaches it."""
        if self.type in (PrincipalType.SERVICE, PrincipalType.WEB_IDENTITY, PrincipalType.ANONYMOUS):
            return ((self.arn, Match.DIRECT),) if self.arn else ()
        links: list[tuple[str, Match]] = []
        if self.arn:
            links.append((self.arn, Match.DIRECT))
        if self.type is PrincipalType.ROLE_SESSION and self.role_arn:
            links.append((self.role_arn, Match.ROLE))
        if self.type is PrincipalType.FEDERATED_USER and self.source_user_arn:
            links.append((self.source_user_arn, Match.ROLE))
        if self.account and self.type is not PrincipalType.ROOT:
            links.append((account_root_arn(self.account, _partition(self.arn)), Match.ACCOUNT))
        return tuple(links)

    def context_defaults(self) -> dict[str, str]:
        """Request context keys that follow from the principal (the caller's explicit context wins)."""
        keys: dict[str, str] = {}
        if self.type in _PRINCIPAL_TYPE_VALUES:
            keys["aws:PrincipalType"] = _PRINCIPAL_TYPE_VALUES[self.type]
        if self.type is PrincipalType.SERVICE and self.arn:
            keys["aws:PrincipalServiceName"] = self.arn
        keys["aws:PrincipalIsAWSService"] = "true" if self.type is PrincipalType.SERVICE else "false"
        if self.account and self.type not in (PrincipalType.SERVICE, PrincipalType.ANONYMOUS):
            keys["aws:PrincipalAccount"] = self.account
        # aws:PrincipalArn of a role session is the role's ARN, not the session's.
        principal_arn = self.role_arn if self.type is PrincipalType.ROLE_SESSION else self.arn
        if principal_arn and (self.is_iam or self.type is PrincipalType.ROOT):
            keys["aws:PrincipalArn"] = principal_arn
        if self.type is PrincipalType.USER and self.arn:
            keys["aws:username"] = self.arn.rsplit("/", 1)[-1]
        if self.user_id:
            keys["aws:userid"] = self.user_id
        elif self.type is PrincipalType.ROOT and self.account:
            keys["aws:userid"] = self.account
        for tag, value in self.tags.items():
            keys[f"aws:PrincipalTag/{tag}"] = value
        return keys


def match_principal(spec: PrincipalSpec, principal: Principal) -> Match | None:
    """How a Principal element reaches the requester (the most direct way), or None when it does not."""
    if spec.everyone:
        return Match.DIRECT
    if principal.type is PrincipalType.SERVICE:
        names = {s.lower() for s in spec.service}
        return Match.DIRECT if principal.arn and principal.arn.lower() in names else None
    if principal.type is PrincipalType.WEB_IDENTITY:
        names = {f.lower() for f in spec.federated}
        return Match.DIRECT if principal.arn and principal.arn.lower() in names else None
    best: Match | None = None
    named = set(spec.aws)
    for arn, how in principal.chain():
        if arn in named and (best is None or how > best):
            best = how
    return best


def not_principal_excludes(spec: PrincipalSpec, principal: Principal) -> bool:
    """Whether a NotPrincipal element leaves the requester out, for a Deny statement.

    "AWS might validate the account first, then the role, and then the assumed-role user": a principal escapes
    the deny only when every identity of its chain is listed (the session, its role and its account). Principals
    with a permissions boundary are never left out ("Permissions boundaries for IAM entities").
    """
    if spec.everyone:
        return True
    if principal.permissions_boundary is not None:
        return False
    if principal.type in (PrincipalType.SERVICE, PrincipalType.WEB_IDENTITY, PrincipalType.ANONYMOUS):
        return match_principal(spec, principal) is not None
    chain = principal.chain()
    named = set(spec.aws)
    return bool(chain) and all(arn in named for arn, _ in chain)
