"""The principal behind an access key id, found in moto's IAM and STS backends, with its policies.

Credentials of the stack
------------------------
* The bootstrap administrator: access key id `testing`, secret `testing` (what `mlops-local env`, Terraform, the
  demo and the tests are given; `pipelines.aws.FAKE_ACCESS_KEY_ID`), acting in moto's default account 123456789012.
  It stands in for the account's root user and for the AWS services themselves (the stack's executors act
  through it): it is the one all-powerful principal, never denied, and the trail records it like any other.
* Sessions of `mlops-local-admin` in any account: how the tools reach the other accounts (`Target.session`,
  `inprocess.session`). The role exists in no IAM backend; only the bootstrap administrator may assume it, and
  its sessions are all-powerful in their account, as an administrator role would be.
* Every other key must be a user's access key (IAM) or an assumed-role session (STS) that moto knows; anything
  else is an invalid token. Their requests are evaluated with their policies.
"""

from __future__ import annotations

import functools
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse

from localaws.authorization.policy import Policy, PolicyKind, parse_policy

ADMIN_ACCESS_KEY_ID = "testing"
ADMIN_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - the local stack's documented fake secret
ADMIN_ACCOUNT_ID = "123456789012"
ADMIN_ARN = f"arn:aws:iam::{ADMIN_ACCOUNT_ID}:user/moto"  # what moto's GetCallerIdentity answers for these keys
ADMIN_ROLE_NAME = "mlops-local-admin"
PARTITION = "aws"


@dataclass(frozen=True)
class Principal:
    arn: str
    account: str
    kind: str  # root | user | assumed-role | service | anonymous
    secret_key: str | None
    session_token: str | None = None
    is_admin: bool = False
    role_arn: str | None = None
    user_id: str = ""
    identity_policies: tuple[Policy, ...] = ()
    permission_boundary: Policy | None = None
    session_policies: tuple[Policy, ...] = field(default=())
    tags: tuple[tuple[str, str], ...] = ()  # the user's or the role's tags (aws:PrincipalTag/<key>)
    expiration: datetime | None = None  # temporary credentials: when they stop working

    @property
    def user_name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


ANONYMOUS = Principal(arn="anonymous", account="", kind="anonymous", secret_key=None)


def service(name: str) -> Principal:
    """A service principal (sagemaker.amazonaws.com, ...), as which the stack's services assume roles."""
    return Principal(arn=name, account="", kind="service", secret_key=None)


class UnknownAccessKey(LookupError):
    """No principal has this access key id (or the session token does not belong to it)."""


def resolve(access_key_id: str, session_token: str | None) -> Principal:
    if access_key_id == ADMIN_ACCESS_KEY_ID:
        return Principal(arn=ADMIN_ARN, account=ADMIN_ACCOUNT_ID, kind="user", secret_key=ADMIN_SECRET_ACCESS_KEY,
                         is_admin=True, user_id="AKIAIOSFODNN7EXAMPLE")
    for account_id, account in list(iam_backends.items()):
        iam = account[PARTITION]
        key = iam.access_keys.get(access_key_id)
        if key is not None and key.role_arn:
            return _session(account_id, access_key_id, session_token)
        for user in list(iam.users.values()):
            for user_key in user.access_keys:
                if user_key.access_key_id == access_key_id and user_key.status == "Active":
                    if session_token is not None:
                        raise UnknownAccessKey(access_key_id)
                    return _user(iam, user, user_key.secret_access_key)
    raise UnknownAccessKey(access_key_id)


def _session(account_id: str, access_key_id: str, session_token: str | None) -> Principal:
    sts = sts_backends[account_id][PARTITION]
    session = sts.get_assumed_role_from_access_key(access_key_id)
    if session is None or session.session_token != session_token:
        raise UnknownAccessKey(access_key_id)
    role_name = session.role_arn.rsplit("/", 1)[-1]
    base = dict(arn=session.arn, account=account_id, kind="assumed-role", secret_key=session.secret_access_key,
                session_token=session.session_token, role_arn=session.role_arn, user_id=session.user_id,
                expiration=session.expiration.replace(tzinfo=UTC))  # moto stamps it in naive UTC
    if role_name == ADMIN_ROLE_NAME:
        return Principal(**base, is_admin=True)
    iam = iam_backends[account_id][PARTITION]
    role = next((r for r in list(iam.roles.values()) if r.arn == session.role_arn), None)
    identity, boundary = ([], None) if role is None else (_policies_of(iam, role), _boundary(iam, role))
    session_policies = [_policy(session.policy, "session")] if session.policy else []
    session_policies += [_managed(iam, arn) for arn in _session_policy_arns.get(access_key_id, ())]
    return Principal(**base, identity_policies=tuple(identity), permission_boundary=boundary,
                     session_policies=tuple(p for p in session_policies if p is not None),
                     tags=() if role is None else _tags(role))


def _user(iam, user, secret_key: str) -> Principal:
    policies = _policies_of(iam, user)
    for group in _groups_of(iam, user):
        policies += _policies_of(iam, group)
    return Principal(arn=user.arn, account=user.account_id, kind="user", secret_key=secret_key, user_id=user.id,
                     identity_policies=tuple(policies), permission_boundary=_boundary(iam, user), tags=_tags(user))


def _tags(holder) -> tuple[tuple[str, str], ...]:
    return tag_pairs(holder.tags)


def tag_pairs(tags) -> tuple[tuple[str, str], ...]:
    """An IAM user's or role's tags as moto keeps them (a user's a dict by key, a role's a list, or None)."""
    tags = tags or ()
    return tuple((tag["Key"], tag["Value"]) for tag in (tags.values() if isinstance(tags, dict) else tags))


class UnknownEntity(LookupError):
    """No user, group or role has this ARN; the message is IAM's NoSuchEntity message."""


def entity_policies(arn: str) -> tuple[str, list[tuple[Policy, str]], Policy | None]:
    """(kind: user|group|role, identity policies each with the kind of entity it is attached to, permissions
    boundary) of the IAM entity `arn`, as a request it signs would be evaluated with (a user's groups' too)."""
    account_id, resource = arn.split(":", 5)[4:] if arn.count(":") >= 5 else ("", "")
    kind, _, path_name = resource.partition("/")
    name = path_name.rsplit("/", 1)[-1]
    iam = iam_backends[account_id][PARTITION] if account_id in iam_backends else None
    holders = {"user": lambda: iam.users.values(), "group": lambda: iam.groups.values(),
               "role": lambda: iam.roles.values()}
    found = None
    if iam is not None and kind in holders:
        found = next((h for h in list(holders[kind]()) if h.arn == arn), None)
    if found is None:
        raise UnknownEntity(f"The {kind or 'entity'} with name {name or arn} cannot be found.")
    policies = [(policy, kind) for policy in _policies_of(iam, found)]
    if kind == "user":
        policies += [(policy, "group") for group in _groups_of(iam, found) for policy in _policies_of(iam, group)]
    return kind, policies, _boundary(iam, found) if kind != "group" else None


def _groups_of(iam, user) -> list:
    return [group for group in list(iam.groups.values()) if any(member.name == user.name for member in group.users)]


def _policies_of(iam, holder) -> list[Policy]:
    """Inline and attached managed policies of a user, group or role (managed ones carry their ARN, which AWS's
    explicit-deny messages name)."""
    policies = [_policy(text, name) for name, text in holder.policies.items()]
    policies += [_version_policy(policy) for policy in holder.managed_policies.values()]
    return policies


def _boundary(iam, holder) -> Policy | None:
    arn = getattr(holder, "permissions_boundary_arn", None)
    return _managed(iam, arn) if arn else None


def _managed(iam, arn: str) -> Policy | None:
    policy = iam.managed_policies.get(arn)
    return None if policy is None else _version_policy(policy)


def _version_policy(policy) -> Policy:
    version = next((v for v in policy.versions if v.is_default), policy.versions[-1])
    return _policy(version.document, policy.name, policy.arn)


def _policy(text: str | dict, name: str, arn: str | None = None) -> Policy:
    """A stored identity policy, parsed (IAM validated it when it was put; PolicyError here is a stack bug and
    fails the call closed)."""
    if isinstance(text, dict):
        return parse_policy(text, PolicyKind.IDENTITY, name=name, arn=arn)
    return _parsed(text, name, arn)


@functools.lru_cache(maxsize=1024)
def _parsed(text: str, name: str, arn: str | None) -> Policy:
    if text.lstrip().startswith("%"):
        text = urllib.parse.unquote(text)
    return parse_policy(text, PolicyKind.IDENTITY, name=name, arn=arn)


# ------------------------------------------------------------------------------------- session policy ARNs
# moto keeps an AssumeRole's inline `Policy` on the session but drops `PolicyArns`: they are kept here.
_session_policy_arns: dict[str, tuple[str, ...]] = {}
_lock = threading.Lock()


def install() -> None:
    original = TokenResponse.assume_role

    def assume_role(self):
        result = original(self)
        arns = tuple(a.get("arn") if isinstance(a, dict) else a for a in self._get_param("PolicyArns") or ())
        if arns:
            with _lock:
                _session_policy_arns[result.result["Credentials"].access_key_id] = arns
        return result

    TokenResponse.assume_role = assume_role


def reset() -> None:
    with _lock:
        _session_policy_arns.clear()


def session_policy_arns() -> dict[str, tuple[str, ...]]:
    """The PolicyArns of every live session, by access key id (the durable state keeps them with moto's STS)."""
    with _lock:
        return dict(_session_policy_arns)


def restore_session_policy_arns(saved: dict[str, tuple[str, ...]]) -> None:
    with _lock:
        _session_policy_arns.update(saved)
