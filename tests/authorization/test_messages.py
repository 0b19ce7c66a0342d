"""AWS's access denied messages for each kind of denial."""

from __future__ import annotations

import pytest

from localaws.authorization import (
    Decision,
    PolicyKind,
    PolicyType,
    Principal,
    PrincipalType,
    Reason,
    Request,
    ResourceKind,
    StatementRef,
    access_denied_message,
    evaluate,
    parse_policy,
)

SESSION = Principal.role_session("arn:aws:iam::222222222222:role/R", "S")
KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def message(
    reason: Reason,
    policy_type: PolicyType,
    *,
    arn: str | None = None,
    resource: str = KEY,
    action: str = "kms:Decrypt",
    principal: Principal = SESSION,
    include_policy_arn: bool = True,
) -> str:
    statement = StatementRef(policy_type, "p", arn, None, 0) if reason is Reason.EXPLICIT_DENY else None
    return access_denied_message(
        Request(principal, action, resource),
        Decision(False, reason, policy_type, statement),
        include_policy_arn=include_policy_arn,
    )


PREFIX = (
    f"User: arn:aws:sts::222222222222:assumed-role/R/S is not authorized to perform: kms:Decrypt on resource: {KEY}"
)


@pytest.mark.parametrize(
    ("reason", "policy_type", "ending"),
    [
        (
            Reason.NO_KEY_POLICY_ALLOW,
            PolicyType.KEY_POLICY,
            "because no resource-based policy allows the kms:Decrypt action",
        ),
        (
            Reason.KMS_CROSS_ACCOUNT_UNSUPPORTED,
            PolicyType.KEY_POLICY,
            "because no resource-based policy allows the kms:Decrypt action",
        ),
        (
            Reason.NO_RESOURCE_ALLOW,
            PolicyType.RESOURCE,
            "because no resource-based policy allows the kms:Decrypt action",
        ),
        (
            Reason.NO_IDENTITY_ALLOW,
            PolicyType.IDENTITY,
            "because no identity-based policy allows the kms:Decrypt action",
        ),
        (
            Reason.NO_BOUNDARY_ALLOW,
            PolicyType.BOUNDARY,
            "because no permissions boundary allows the kms:Decrypt action",
        ),
        (Reason.NO_SESSION_ALLOW, PolicyType.SESSION, "because no session policy allows the kms:Decrypt action"),
        (
            Reason.NO_TRUST_POLICY_ALLOW,
            PolicyType.TRUST_POLICY,
            "because no role trust policy allows the kms:Decrypt action",
        ),
        (Reason.EXPLICIT_DENY, PolicyType.IDENTITY, "with an explicit deny in an identity-based policy"),
        (Reason.EXPLICIT_DENY, PolicyType.RESOURCE, "with an explicit deny in a resource-based policy"),
        (Reason.EXPLICIT_DENY, PolicyType.KEY_POLICY, "with an explicit deny in a resource-based policy"),
        (Reason.EXPLICIT_DENY, PolicyType.BOUNDARY, "with an explicit deny in a permissions boundary"),
        (Reason.EXPLICIT_DENY, PolicyType.SESSION, "with an explicit deny in a session policy"),
        (Reason.EXPLICIT_DENY, PolicyType.TRUST_POLICY, "with an explicit deny in the role trust policy"),
    ],
)
def test_every_reason_renders_aws_phrase(reason: Reason, policy_type: PolicyType, ending: str) -> None:
    assert message(reason, policy_type) == f"{PREFIX} {ending}"


def test_the_denying_managed_policy_arn_is_appended_for_identity_boundary_and_session_policies() -> None:
    arn = "arn:aws:iam::222222222222:policy/DenyDecrypt"
    for policy_type in (PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION):
        assert message(Reason.EXPLICIT_DENY, policy_type, arn=arn).endswith(f": {arn}")
        assert not message(Reason.EXPLICIT_DENY, policy_type, arn=arn, include_policy_arn=False).endswith(arn)
    # Resource-based policies are not covered by the ARN enhancement.
    assert not message(Reason.EXPLICIT_DENY, PolicyType.RESOURCE, arn="arn:aws:s3:::bucket").endswith("bucket")


def test_requests_on_no_particular_resource_leave_out_the_resource_and_anonymous_is_named_so() -> None:
    text = message(
        Reason.NO_RESOURCE_ALLOW,
        PolicyType.RESOURCE,
        resource="*",
        action="es:ESHttpGet",
        principal=Principal.anonymous(),
    )
    assert text == (
        "User: anonymous is not authorized to perform: es:ESHttpGet because no resource-based policy allows "
        "the es:ESHttpGet action"
    )


def test_an_allowed_decision_has_no_message() -> None:
    with pytest.raises(ValueError, match="allowed"):
        access_denied_message(Request(SESSION, "kms:Decrypt"), Decision(True, Reason.ALLOWED))


def test_the_brief_example_end_to_end() -> None:
    """A role session of account 222222222222 decrypting with a key of 111111111111 whose policy does not name it."""
    session = Principal.role_session(
        "arn:aws:iam::222222222222:role/R",
        "S",
        identity_policies=(
            parse_policy(
                {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}}
            ),
        ),
    )
    key_policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
        },
        PolicyKind.RESOURCE,
    )
    request = Request(
        session,
        "kms:Decrypt",
        KEY,
        resource_account="111111111111",
        resource_policy=key_policy,
        resource_kind=ResourceKind.KMS_KEY,
    )
    assert access_denied_message(request, evaluate(request)) == (
        f"{PREFIX} because no resource-based policy allows the kms:Decrypt action"
    )


def test_a_root_user_is_named_by_its_account_arn() -> None:
    root = Principal(PrincipalType.ROOT, arn="arn:aws:iam::444455556666:root", account="444455556666")
    text = message(
        Reason.NO_RESOURCE_ALLOW,
        PolicyType.RESOURCE,
        principal=root,
        action="lambda:ListLayerVersions",
        resource="arn:aws:lambda:us-east-1:111122223333:layer:adapter",
    )
    assert text.startswith(
        "User: arn:aws:iam::444455556666:root is not authorized to perform: lambda:ListLayerVersions"
    )
