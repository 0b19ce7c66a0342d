"""Action and ARN matching, wildcards and policy variables."""

from __future__ import annotations

import pytest

from localaws.authorization.matching import action_matches, arn_matches, resolve, split_arn, string_matches

LOOKUP = {"aws:username": "alice", "aws:principaltag/team": "red", "aws:userid": "AROAEXAMPLE:s1"}.get


def lookup(key: str) -> str | None:
    return LOOKUP(key.lower())


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("S3:getobject", "s3:GetObject", True),
        ("s3:Get*", "s3:GetObjectAcl", True),
        ("s3:Get*", "s3:PutObject", False),
        ("iam:*AccessKey*", "iam:ListAccessKeys", True),
        ("s3:GetObjec?", "s3:GetObject", True),
        ("s3:GetObjec?", "s3:GetObjects", False),
        ("*", "kms:Decrypt", True),
        ("s3:*", "s3express:CreateSession", False),
    ],
)
def test_action_matching(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
        ("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-logs/x", True),
        ("arn:aws:sqs:*:111122223333:q", "arn:aws:sqs:eu-west-1:111122223333:q", True),
        ("arn:aws:sqs:*:111122223333:q", "arn:aws:sqs:eu-west-1:444455556666:q", False),
        (
            "arn:aws:svc:*:111122223333:finance/*",
            "arn:aws:svc:us-east-2:999999999999:store/abc:111122223333:finance/d",
            False,
        ),
        ("arn:aws:iam::*:role/a?c", "arn:aws:iam::111122223333:role/abc", True),
        ("arn:aws:iam::*:role/a?c", "arn:aws:iam::111122223333:role/abbc", False),
        ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", False),
        ("*", "anything", True),
        ("arn:aws:s3:::bucket/*", "*", False),
        ("arn:aws:sqs:us-east-2:*", "arn:aws:sqs:us-east-2:111122223333:queue", True),
    ],
)
def test_arn_matching_by_segment(pattern: str, arn: str, expected: bool) -> None:
    assert arn_matches(pattern, arn) is expected


def test_split_arn_keeps_colons_inside_variables_and_in_the_resource_part() -> None:
    assert split_arn("arn:aws:s3:::b/${aws:username}/x:y") == ["arn", "aws", "s3", "", "", "b/${aws:username}/x:y"]


def test_variables_are_substituted_in_the_resource_part_only() -> None:
    assert arn_matches("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/alice/f", lookup)
    assert not arn_matches("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/bob/f", lookup)
    # Before the fifth colon a variable is not substituted, so it can only match its own literal text.
    assert not arn_matches("arn:aws:${aws:username}:::b", "arn:aws:alice:::b", lookup)


def test_a_variable_with_colons_in_its_value() -> None:
    assert arn_matches("arn:aws:s3:::b/${aws:userid}/*", "arn:aws:s3:::b/AROAEXAMPLE:s1/k", lookup)


def test_an_unresolved_variable_matches_nothing_and_a_default_fills_in() -> None:
    assert resolve("x-${aws:PrincipalTag/dept}", lookup) is None
    assert resolve("x-${aws:PrincipalTag/dept, 'none'}", lookup).text() == "x-none"
    assert resolve("x-${aws:PrincipalTag/team, 'none'}", lookup).text() == "x-red"
    assert not arn_matches("arn:aws:s3:::b/${aws:PrincipalTag/dept}", "arn:aws:s3:::b/", lookup)


def test_special_variables_are_literal_characters() -> None:
    pattern = resolve("a${*}b${?}c${$}", lookup)
    assert pattern.text() == "a*b?c$"
    assert pattern.matches("a*b?c$")
    assert not pattern.matches("aXXb?c$")  # the substituted * is not a wildcard


def test_without_lookup_variables_stay_literal() -> None:
    assert resolve("${aws:username}", None).text() == "${aws:username}"


def test_substituted_values_are_data_not_wildcards() -> None:
    assert string_matches("${aws:username}", "a*", {"aws:username": "a*"}.get, like=True, ignore_case=False)
    assert not string_matches("${aws:username}", "abc", {"aws:username": "a*"}.get, like=True, ignore_case=False)


@pytest.mark.parametrize(
    ("pattern", "value", "like", "ignore_case", "expected"),
    [
        ("abc", "abc", False, False, True),
        ("abc", "ABC", False, False, False),
        ("abc", "ABC", False, True, True),
        ("a*", "a*", False, False, True),
        ("a*", "abc", False, False, False),
        ("a*", "abc", True, False, True),
        ("home/${aws:username}/*", "home/alice/x", True, False, True),
        ("", "", True, False, True),
    ],
)
def test_string_matching(pattern: str, value: str, like: bool, ignore_case: bool, expected: bool) -> None:
    assert string_matches(pattern, value, lookup, like=like, ignore_case=ignore_case) is expected
