"""What is particular to KMS keys: grants, and the operations that work across accounts.

From the AWS KMS Developer Guide:
- "Grants in AWS KMS": a grant allows (never denies) its grantee principal the grant operations on one key, when
  its constraints hold; the grantee uses it "just as they would if the permissions came from a key policy or IAM
  policy". Constraints: EncryptionContextSubset (the request's encryption context includes every listed pair),
  EncryptionContextEquals (it is exactly the listed pairs), and SourceArn (the aws:SourceArn of the request);
  a grantee service principal requires a SourceArn constraint.
- "Allowing users in other accounts to use a KMS key": cross-account permission is effective only for the
  cryptographic operations, CreateGrant, DescribeKey, GetKeyRotationStatus, GetPublicKey, ListGrants,
  RetireGrant and RevokeGrant; a permission for any other operation given to another account has no effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from localaws.authorization.conditions import RequestContext
from localaws.authorization.matching import arn_matches
from localaws.authorization.principals import Match, Principal, PrincipalType

_CRYPTOGRAPHIC_OPERATIONS = (
    "Decrypt",
    "DeriveSharedSecret",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "VerifyMac",
)
CROSS_ACCOUNT_OPERATIONS = frozenset(
    op.lower()
    for op in (
        *_CRYPTOGRAPHIC_OPERATIONS,
        "CreateGrant",
        "DescribeKey",
        "GetKeyRotationStatus",
        "GetPublicKey",
        "ListGrants",
        "RetireGrant",
        "RevokeGrant",
    )
)
_ENCRYPTION_CONTEXT = "kms:EncryptionContext:"


def works_across_accounts(action: str) -> bool:
    """Whether a KMS action (kms:Decrypt) can be used on a key of another account."""
    service, _, name = action.partition(":")
    return service.lower() == "kms" and name.lower() in CROSS_ACCOUNT_OPERATIONS


@dataclass(frozen=True)
class Grant:
    """A KMS grant: who (a principal ARN, or a service principal), which operations, and its constraints."""

    grantee_principal: str | None = None
    grantee_service_principal: str | None = None
    operations: tuple[str, ...] = ()
    encryption_context_subset: Mapping[str, str] | None = None
    encryption_context_equals: Mapping[str, str] | None = None
    source_arn: str | None = None
    grant_id: str | None = None
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if (self.grantee_principal is None) == (self.grantee_service_principal is None):
            raise ValueError("a grant names exactly one of grantee_principal and grantee_service_principal")
        if self.grantee_service_principal is not None and self.source_arn is None:
            raise ValueError("a grant for a service principal needs a SourceArn constraint")

    def allows(self, principal: Principal, action: str, context: RequestContext) -> Match | None:
        """How this grant reaches the requester for `action` (kms:Decrypt), or None when it does not apply."""
        service, _, operation = action.partition(":")
        if service.lower() != "kms" or operation.lower() not in {o.lower() for o in self.operations}:
            return None
        match = self._grantee_match(principal)
        if match is None or not self._constraints_hold(context):
            return None
        return match

    def _grantee_match(self, principal: Principal) -> Match | None:
        if self.grantee_service_principal is not None:
            if principal.type is PrincipalType.SERVICE and principal.arn:
                return Match.DIRECT if principal.arn.lower() == self.grantee_service_principal.lower() else None
            return None
        best = None
        for arn, how in principal.chain():
            if arn == self.grantee_principal and (best is None or how > best):
                best = how
        return best

    def _constraints_hold(self, context: RequestContext) -> bool:
        pairs = {k: v[0] for k, v in context.with_prefix(_ENCRYPTION_CONTEXT).items() if len(v) == 1}
        if self.encryption_context_subset is not None and any(
            pairs.get(k) != v for k, v in self.encryption_context_subset.items()
        ):
            return False
        if self.encryption_context_equals is not None and pairs != dict(self.encryption_context_equals):
            return False
        if self.source_arn is not None:
            source = context.single("aws:SourceArn")
            if source is None or not arn_matches(self.source_arn, source):
                return False
        return True
