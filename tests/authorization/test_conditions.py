"""Condition operators evaluated directly, one operator/key at a time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from localaws.authorization.conditions import (
    Condition,
    ConditionError,
    Operator,
    RequestContext,
    evaluate_condition,
    parse_condition_block,
    parse_date,
)


def holds(operator: str, key: str, values: list[str] | str, context: dict[str, object], lookup=None) -> bool:
    (condition,) = parse_condition_block({operator: {key: values}})
    return evaluate_condition(condition, RequestContext(context), lookup)  # type: ignore[arg-type]


def test_operator_names_are_parsed_into_parts() -> None:
    operator = Operator.parse("ForAnyValue:StringLikeIfExists")
    assert (operator.set_operator, operator.base, operator.if_exists) == ("ForAnyValue", "StringLike", True)
    assert Operator.parse("StringNotEquals").negated
    assert not Operator.parse("StringEquals").negated


@pytest.mark.parametrize("name", ["StringEqual", "stringequals", "ForEach:StringEquals", "IfExists", "NullIfExists"])
def test_unknown_operator_names_are_refused(name: str) -> None:
    with pytest.raises(ConditionError):
        Operator.parse(name)


@pytest.mark.parametrize(
    ("operator", "policy", "request_value", "expected"),
    [
        ("StringEquals", "a", "a", True),
        ("StringNotEquals", "a", "a", False),
        ("StringEqualsIgnoreCase", "ABC", "abc", True),
        ("StringNotEqualsIgnoreCase", "ABC", "abd", True),
        ("StringLike", "a?c*", "abcdef", True),
        ("StringNotLike", "a?c*", "abcdef", False),
        ("NumericEquals", "1.5", "1.50", True),
        ("NumericLessThan", "10", "9.99", True),
        ("NumericGreaterThanEquals", "10", "9", False),
        ("NumericEquals", "1", "one", False),
        ("DateLessThan", "2024-01-01", "2023-12-31T23:59:59Z", True),
        ("DateGreaterThan", "2024", "2024-01-01T00:00:01Z", True),
        ("DateEquals", "1704067200", "2024-01-01T00:00:00Z", True),
        ("Bool", "true", "TRUE", True),
        ("Bool", "false", "true", False),
        ("BinaryEquals", "AAEC", "AAEC", True),
        ("IpAddress", "10.0.0.0/8", "10.255.255.255", True),
        ("IpAddress", "10.0.0.0/8", "2001:db8::1", False),
        ("IpAddress", "2001:db8::/32", "2001:DB8:0:0:0:0:0:1", True),
        ("NotIpAddress", "10.0.0.0/8", "11.0.0.1", True),
        ("IpAddress", "10.0.0.0/8", "not-an-ip", False),
        ("ArnLike", "arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:role/x", True),
        ("ArnNotLike", "arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:user/x", True),
        ("ArnEquals", "arn:aws:iam::*:role/*", "not-an-arn", False),
    ],
)
def test_each_operator_against_one_value(operator: str, policy: str, request_value: str, expected: bool) -> None:
    assert holds(operator, "k", policy, {"k": request_value}) is expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),
        ("StringNotEquals", True),
        ("StringLike", False),
        ("StringNotLike", True),
        ("NumericEquals", False),
        ("NumericNotEquals", True),
        ("DateNotEquals", True),
        ("NotIpAddress", True),
        ("ArnNotLike", True),
        ("ArnNotEquals", True),
        ("StringEqualsIfExists", True),
        ("StringNotEqualsIfExists", True),
        ("ForAllValues:StringEquals", True),
        ("ForAnyValue:StringEquals", False),
        ("ForAnyValue:StringNotEquals", False),
        ("ForAllValues:StringNotEquals", True),
    ],
)
def test_a_key_missing_from_the_request(operator: str, expected: bool) -> None:
    value = "10.0.0.0/8" if "Ip" in operator else "2024-01-01" if "Date" in operator else "1"
    assert holds(operator, "absent:key", value, {"other": "x"}) is expected


def test_null_tests_presence_only() -> None:
    assert holds("Null", "k", "true", {})
    assert not holds("Null", "k", "true", {"k": "v"})
    assert holds("Null", "k", "false", {"k": "v"})
    assert not holds("Null", "k", "false", {})
    assert holds("Null", "k", "true", {"k": []})  # an empty set is null


def test_plain_negated_operator_with_several_policy_values_is_a_nor() -> None:
    assert not holds("StringNotEquals", "k", ["a", "b"], {"k": "b"})
    assert holds("StringNotEquals", "k", ["a", "b"], {"k": "c"})


def test_set_operators_over_multivalued_request_keys() -> None:
    context = {"aws:TagKeys": ["a", "b"]}
    assert holds("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b", "c"], context)
    assert not holds("ForAllValues:StringEquals", "aws:TagKeys", ["a"], context)
    assert holds("ForAnyValue:StringEquals", "aws:TagKeys", ["b", "z"], context)
    assert not holds("ForAnyValue:StringEquals", "aws:TagKeys", ["z"], context)
    assert holds("ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"], context)  # b is not a
    assert not holds("ForAllValues:StringNotEquals", "aws:TagKeys", ["a"], context)


def test_variables_apply_to_string_arn_and_bool_but_not_numeric() -> None:
    lookup = {"aws:username": "alice", "flag": "true", "n": "5"}.get
    assert holds("StringEquals", "k", "${aws:username}", {"k": "alice"}, lookup)
    assert holds("ArnLike", "k", "arn:aws:iam::1:user/${aws:username}", {"k": "arn:aws:iam::1:user/alice"}, lookup)
    assert holds("Bool", "k", "${flag}", {"k": "true"}, lookup)
    with pytest.raises(ConditionError):
        parse_condition_block({"NumericEquals": {"k": "${n}"}})


def test_request_context_keys_are_case_insensitive_and_typed_values_become_text() -> None:
    context = RequestContext(
        {"AWS:SecureTransport": True, "s3:max-keys": 10, "aws:TagKeys": ("a", "b"), "b": b"\x00\x01\x02"}
    )
    assert context.get("aws:securetransport") == ("true",)
    assert context.get("S3:MAX-KEYS") == ("10",)
    assert context.single("aws:TagKeys") is None  # multivalued keys are no policy variables
    assert context.get("b") == ("AAEC",)
    assert context.get("missing") is None


def test_dates_in_every_w3c_form_and_epoch() -> None:
    expected = datetime(2024, 1, 1, tzinfo=UTC)
    for text in [
        "2024",
        "2024-01",
        "2024-01-01",
        "2024-01-01T00:00Z",
        "2024-01-01T00:00:00Z",
        "2024-01-01T01:00:00+01:00",
        "2024-01-01T00:00:00.000Z",
        "1704067200",
    ]:
        assert parse_date(text) == expected, text
    assert parse_date("yesterday") is None


def test_a_condition_holds_all_its_policy_values() -> None:
    (condition,) = parse_condition_block({"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}})
    assert isinstance(condition, Condition)
    assert condition.values == ("red", "blue")
