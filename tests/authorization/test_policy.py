"""Parsing and validation of policy documents."""

from __future__ import annotations

import json

import pytest

from localaws.authorization import Effect, PolicyError, PolicyKind, parse_policy

ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def test_json_text_and_dict_parse_to_the_same_statements() -> None:
    document = {"Version": "2012-10-17", "Statement": [ALLOW_ALL]}
    assert parse_policy(json.dumps(document)).statements == parse_policy(document).statements


def test_a_single_statement_object_is_a_list_of_one() -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": ALLOW_ALL})
    assert len(policy.statements) == 1
    assert policy.statements[0].effect is Effect.ALLOW
    assert policy.statements[0].actions == ("*",)


def test_strings_become_tuples_and_not_elements_are_flagged() -> None:
    statement = parse_policy(
        {"Statement": {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["arn:aws:s3:::a", "arn:aws:s3:::b"]}}
    ).statements[0]
    assert statement.not_action
    assert statement.not_resource
    assert statement.actions == ("iam:*",)
    assert statement.resources == ("arn:aws:s3:::a", "arn:aws:s3:::b")


def test_account_id_shorthand_is_the_root_arn() -> None:
    policy = parse_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": ["123456789012", "arn:aws:iam::555555555555:root"]},
                "Action": "s3:*",
            }
        },
        PolicyKind.RESOURCE,
    )
    assert policy.statements[0].principal.aws == ("arn:aws:iam::123456789012:root", "arn:aws:iam::555555555555:root")
    assert policy.statements[0].resources is None  # the attached resource


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}])
def test_every_spelling_of_all_principals(principal: object) -> None:
    policy = parse_policy(
        {"Statement": {"Effect": "Allow", "Principal": principal, "Action": "s3:*"}}, PolicyKind.RESOURCE
    )
    assert policy.statements[0].principal.everyone


def test_service_and_federated_principals_are_kept_apart() -> None:
    spec = (
        parse_policy(
            {
                "Statement": {
                    "Effect": "Allow",
                    "Principal": {
                        "Service": ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com"],
                        "Federated": "cognito-identity.amazonaws.com",
                    },
                    "Action": "sts:AssumeRole",
                }
            },
            PolicyKind.RESOURCE,
        )
        .statements[0]
        .principal
    )
    assert spec.service == ("ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com")
    assert spec.federated == ("cognito-identity.amazonaws.com",)
    assert spec.aws == ()
    assert not spec.everyone


def test_variables_are_in_effect_only_under_2012_10_17() -> None:
    assert parse_policy({"Version": "2012-10-17", "Statement": ALLOW_ALL}).variables_enabled
    assert not parse_policy({"Version": "2008-10-17", "Statement": ALLOW_ALL}).variables_enabled
    assert not parse_policy({"Statement": ALLOW_ALL}).variables_enabled


@pytest.mark.parametrize(
    ("document", "kind", "complaint"),
    [
        ("{not json", PolicyKind.IDENTITY, "not JSON"),
        ([ALLOW_ALL], PolicyKind.IDENTITY, "JSON object"),
        ({"Version": "2012-10-17"}, PolicyKind.IDENTITY, "no Statement"),
        ({"Version": "2020-01-01", "Statement": ALLOW_ALL}, PolicyKind.IDENTITY, "Version"),
        ({"Statement": ALLOW_ALL, "Extra": 1}, PolicyKind.IDENTITY, "unknown elements"),
        ({"Statement": "Allow"}, PolicyKind.IDENTITY, "object or a list"),
        ({"Statement": {"Effect": "allow", "Action": "*", "Resource": "*"}}, PolicyKind.IDENTITY, "Effect"),
        ({"Statement": {"Effect": "Allow", "Resource": "*"}}, PolicyKind.IDENTITY, "Action and NotAction"),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}},
            PolicyKind.IDENTITY,
            "Action and NotAction",
        ),
        ({"Statement": {"Effect": "Allow", "Action": "*"}}, PolicyKind.IDENTITY, "Resource or NotResource"),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}},
            PolicyKind.IDENTITY,
            "both Resource and NotResource",
        ),
        ({"Statement": {"Effect": "Allow", "Action": [], "Resource": "*"}}, PolicyKind.IDENTITY, "must not be empty"),
        (
            {"Statement": {"Effect": "Allow", "Action": "GetObject", "Resource": "*"}},
            PolicyKind.IDENTITY,
            "service:action",
        ),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}},
            PolicyKind.IDENTITY,
            "identity-based policy cannot name",
        ),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
            PolicyKind.RESOURCE,
            "must name a Principal",
        ),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "Principal": {"AWS": "arn:aws:iam::1:user/*"}}},
            PolicyKind.RESOURCE,
            "wildcard",
        ),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "Principal": {"Group": "x"}}},
            PolicyKind.RESOURCE,
            "unknown principal types",
        ),
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringEqualz": {"k": "v"}},
                }
            },
            PolicyKind.IDENTITY,
            "unknown condition operator",
        ),
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}},
                }
            },
            PolicyKind.IDENTITY,
            "not a number",
        ),
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"IpAddress": {"aws:SourceIp": "300.1.1.1"}},
                }
            },
            PolicyKind.IDENTITY,
            "IP address",
        ),
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"DateLessThan": {"aws:CurrentTime": "2024-*"}},
                }
            },
            PolicyKind.IDENTITY,
            "ISO 8601",
        ),
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"NullIfExists": {"aws:TokenIssueTime": "true"}},
                }
            },
            PolicyKind.IDENTITY,
            "Null takes",
        ),
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}},
                }
            },
            PolicyKind.IDENTITY,
            "set operator",
        ),
    ],
)
def test_malformed_documents_raise_a_policy_error_saying_what_is_wrong(
    document: object, kind: PolicyKind, complaint: str
) -> None:
    with pytest.raises(PolicyError, match=complaint):
        parse_policy(document, kind)  # type: ignore[arg-type]


def test_the_error_names_the_statement_by_its_sid() -> None:
    with pytest.raises(PolicyError, match=r"Statement\[1\] \(Second\)"):
        parse_policy({"Statement": [ALLOW_ALL, {"Sid": "Second", "Effect": "Allow", "Action": "*"}]})


def test_condition_values_of_any_json_type_are_read_as_text() -> None:
    condition = (
        parse_policy(
            {
                "Statement": {
                    **ALLOW_ALL,
                    "Condition": {"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": 10}},
                }
            }
        )
        .statements[0]
        .conditions
    )
    assert [(c.operator.base, c.values) for c in condition] == [("Bool", ("true",)), ("NumericLessThan", ("10",))]
