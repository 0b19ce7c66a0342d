"""The evaluation API, principals and KMS helpers (the decision logic itself is exercised by the corpus)."""

from __future__ import annotations

import pytest

from localaws.authorization import (
    Basis,
    Grant,
    PolicyKind,
    PolicyType,
    Principal,
    PrincipalType,
    Reason,
    Request,
    evaluate,
    parse_policy,
)
from localaws.authorization.conditions import RequestContext
from localaws.authorization.kms import works_across_accounts
from localaws.authorization.principals import Match, match_principal, not_principal_excludes

ROLE = "arn:aws:iam::111122223333:role/team/app"


def allow(action: str = "*", resource: str = "*", kind: PolicyKind = PolicyKind.IDENTITY, **statement: object):
    return parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": action, "Resource": resource, **statement},
        },
        kind,
    )


def test_a_role_session_arn_drops_the_role_path_and_its_chain_reaches_role_and_account() -> None:
    session = Principal.role_session(ROLE, "s1")
    assert session.arn == "arn:aws:sts::111122223333:assumed-role/app/s1"
    assert session.chain() == (
        ("arn:aws:sts::111122223333:assumed-role/app/s1", Match.DIRECT),
        (ROLE, Match.ROLE),
        ("arn:aws:iam::111122223333:root", Match.ACCOUNT),
    )


def test_context_defaults_follow_the_principal() -> None:
    session = Principal.role_session(ROLE, "s1", tags={"team": "red"})
    defaults = session.context_defaults()
    assert defaults["aws:PrincipalArn"] == ROLE  # the role, not the session
    assert defaults["aws:PrincipalType"] == "AssumedRole"
    assert defaults["aws:PrincipalAccount"] == "111122223333"
    assert defaults["aws:PrincipalTag/team"] == "red"
    assert "aws:username" not in defaults
    user = Principal(PrincipalType.USER, arn="arn:aws:iam::111122223333:user/division/alice", account="111122223333")
    assert user.context_defaults()["aws:username"] == "alice"
    assert Principal.root("111122223333").context_defaults()["aws:userid"] == "111122223333"
    assert Principal.anonymous().context_defaults() == {
        "aws:PrincipalType": "Anonymous",
        "aws:PrincipalIsAWSService": "false",
    }
    assert Principal.service("sns.amazonaws.com").context_defaults()["aws:PrincipalIsAWSService"] == "true"


def test_an_explicit_context_value_wins_over_the_derived_one() -> None:
    user = Principal(
        PrincipalType.USER,
        arn="arn:aws:iam::111122223333:user/alice",
        account="111122223333",
        identity_policies=(allow(Condition={"StringEquals": {"aws:username": "override"}}),),
    )
    assert not evaluate(Request(user, "s3:GetObject"))
    assert evaluate(Request(user, "s3:GetObject", context={"aws:username": "override"}))


def test_principal_matching_picks_the_most_direct_link() -> None:
    session = Principal.role_session(ROLE, "s1")
    spec = (
        parse_policy(
            {"Statement": {"Effect": "Allow", "Principal": {"AWS": ["111122223333", ROLE]}, "Action": "*"}},
            PolicyKind.RESOURCE,
        )
        .statements[0]
        .principal
    )
    assert match_principal(spec, session) is Match.ROLE
    assert not_principal_excludes(spec, session) is False  # the session itself is not listed


def test_principal_arns_are_compared_case_sensitively() -> None:
    user = Principal(PrincipalType.USER, arn="arn:aws:iam::111122223333:user/Alice", account="111122223333")
    spec = (
        parse_policy(
            {
                "Statement": {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
                    "Action": "*",
                }
            },
            PolicyKind.RESOURCE,
        )
        .statements[0]
        .principal
    )
    assert match_principal(spec, user) is None


def test_several_session_policies_together_limit_the_session() -> None:
    session = Principal.role_session(
        ROLE, "s1", identity_policies=(allow(),), session_policies=(allow("s3:GetObject"), allow("s3:PutObject"))
    )
    assert evaluate(Request(session, "s3:PutObject"))
    denied = evaluate(Request(session, "s3:DeleteObject"))
    assert denied.reason is Reason.NO_SESSION_ALLOW
    assert denied.policy_type is PolicyType.SESSION


def test_a_decision_is_truthy_only_when_allowed_and_records_the_denying_statement() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"},
            ],
        },
        name="guard",
        arn="arn:aws:iam::111122223333:policy/guard",
    )
    user = Principal(
        PrincipalType.USER,
        arn="arn:aws:iam::111122223333:user/alice",
        account="111122223333",
        identity_policies=(policy,),
    )
    allowed = evaluate(Request(user, "s3:GetObject"))
    assert allowed
    assert allowed.granted_by == (Basis.IDENTITY,)
    denied = evaluate(Request(user, "s3:DeleteObject"))
    assert not denied
    assert (denied.statement.sid, denied.statement.index, denied.statement.policy_name) == ("NoDelete", 1, "guard")


def test_the_resource_account_defaults_to_the_principals() -> None:
    user = Principal(PrincipalType.USER, arn="arn:aws:iam::111122223333:user/alice", account="111122223333")
    assert not Request(user, "s3:GetObject").cross_account
    assert Request(user, "s3:GetObject", resource_account="444455556666").cross_account


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("kms:Decrypt", True),
        ("KMS:generatedatakey", True),
        ("kms:ReEncryptFrom", True),
        ("kms:DescribeKey", True),
        ("kms:ScheduleKeyDeletion", False),
        ("kms:PutKeyPolicy", False),
        ("kms:ListKeys", False),
        ("s3:GetObject", False),
    ],
)
def test_kms_operations_that_work_across_accounts(action: str, expected: bool) -> None:
    assert works_across_accounts(action) is expected


def test_a_grant_names_exactly_one_grantee_and_a_service_grantee_needs_a_source_arn() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Grant(operations=("Decrypt",))
    with pytest.raises(ValueError, match="SourceArn"):
        Grant(grantee_service_principal="rds.amazonaws.com", operations=("Decrypt",))


def test_a_grant_applies_only_to_kms_actions_it_lists() -> None:
    grant = Grant(grantee_principal="arn:aws:iam::111122223333:user/alice", operations=("Decrypt",))
    alice = Principal(PrincipalType.USER, arn="arn:aws:iam::111122223333:user/alice", account="111122223333")
    context = RequestContext()
    assert grant.allows(alice, "kms:decrypt", context) is Match.DIRECT
    assert grant.allows(alice, "kms:Encrypt", context) is None
    assert grant.allows(alice, "s3:Decrypt", context) is None


def test_evaluation_is_deterministic() -> None:
    user = Principal(
        PrincipalType.USER,
        arn="arn:aws:iam::111122223333:user/alice",
        account="111122223333",
        identity_policies=(allow("s3:*"),),
    )
    request = Request(user, "s3:GetObject", "arn:aws:s3:::b/k")
    assert len({evaluate(request) for _ in range(5)}) == 1
