"""The Condition element: every operator family IAM documents, with its missing-key and multi-value rules.

From "IAM JSON policy elements: Condition operators" and "Conditions with multiple context keys or values":
- A key absent from the request context makes a condition false, except for negated operators (StringNotEquals,
  ArnNotLike, NotIpAddress, ...), which are then true; `...IfExists` makes an absent key true; `Null` tests only
  presence ("true": the key is absent or null, "false": it is present with a value).
- Several values for one key in the policy are OR-ed; for a negated operator they are NOR-ed (the request value
  must match none of them). Several keys under one operator, and several operators, are AND-ed.
- `ForAllValues:` is true when every request value matches at least one policy value, and also when the key is
  absent or its value set is empty; `ForAnyValue:` is true when at least one request value matches, and false for
  an absent key or an empty set.
- Key names are case-insensitive; values are case-sensitive except with the `...IgnoreCase` operators.
- Policy variables work with the string, ARN and Bool operators only; wildcards are not allowed in dates.
Without a set operator, a multi-valued request key is read as "some request value matches" (the negated operator
as "no request value matches"); the guide does not spell this case out.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from localaws.authorization.matching import VariableLookup, arn_matches, has_variables, resolve, string_matches

ContextValue = str | bool | int | float | bytes | Iterable[str | bool | int | float | bytes]


class Family(Enum):
    """An operator family: it fixes how values are parsed and whether policy variables apply."""

    STRING = "string"
    NUMERIC = "numeric"
    DATE = "date"
    BOOL = "bool"
    BINARY = "binary"
    IP = "ip"
    ARN = "arn"
    NULL = "null"


@dataclass(frozen=True)
class _Base:
    family: Family
    negated: bool
    relation: str  # eq, lt, le, gt, ge, like, ieq, ilike


_BASE_OPERATORS: dict[str, _Base] = {
    "StringEquals": _Base(Family.STRING, False, "eq"),
    "StringNotEquals": _Base(Family.STRING, True, "eq"),
    "StringEqualsIgnoreCase": _Base(Family.STRING, False, "ieq"),
    "StringNotEqualsIgnoreCase": _Base(Family.STRING, True, "ieq"),
    "StringLike": _Base(Family.STRING, False, "like"),
    "StringNotLike": _Base(Family.STRING, True, "like"),
    "NumericEquals": _Base(Family.NUMERIC, False, "eq"),
    "NumericNotEquals": _Base(Family.NUMERIC, True, "eq"),
    "NumericLessThan": _Base(Family.NUMERIC, False, "lt"),
    "NumericLessThanEquals": _Base(Family.NUMERIC, False, "le"),
    "NumericGreaterThan": _Base(Family.NUMERIC, False, "gt"),
    "NumericGreaterThanEquals": _Base(Family.NUMERIC, False, "ge"),
    "DateEquals": _Base(Family.DATE, False, "eq"),
    "DateNotEquals": _Base(Family.DATE, True, "eq"),
    "DateLessThan": _Base(Family.DATE, False, "lt"),
    "DateLessThanEquals": _Base(Family.DATE, False, "le"),
    "DateGreaterThan": _Base(Family.DATE, False, "gt"),
    "DateGreaterThanEquals": _Base(Family.DATE, False, "ge"),
    "Bool": _Base(Family.BOOL, False, "eq"),
    "BinaryEquals": _Base(Family.BINARY, False, "eq"),
    "IpAddress": _Base(Family.IP, False, "eq"),
    "NotIpAddress": _Base(Family.IP, True, "eq"),
    "ArnEquals": _Base(Family.ARN, False, "like"),
    "ArnLike": _Base(Family.ARN, False, "like"),
    "ArnNotEquals": _Base(Family.ARN, True, "like"),
    "ArnNotLike": _Base(Family.ARN, True, "like"),
    "Null": _Base(Family.NULL, False, "eq"),
}

# The operator families whose values may hold policy variables ("Condition operators" names String, ARN, Bool).
_VARIABLE_FAMILIES = {Family.STRING, Family.ARN, Family.BOOL}
_SET_OPERATORS = ("ForAllValues", "ForAnyValue")


class ConditionError(ValueError):
    """A Condition element that IAM would reject: unknown operator, or a value the operator cannot read."""


@dataclass(frozen=True)
class Operator:
    """A parsed operator name such as `ForAnyValue:StringLikeIfExists`."""

    name: str
    base: str
    set_operator: str | None
    if_exists: bool

    @property
    def family(self) -> Family:
        return _BASE_OPERATORS[self.base].family

    @property
    def negated(self) -> bool:
        return _BASE_OPERATORS[self.base].negated

    @classmethod
    def parse(cls, name: str) -> Operator:
        """Parse an operator name; raise ConditionError for names IAM does not define."""
        set_operator = None
        rest = name
        if ":" in name:
            set_operator, _, rest = name.partition(":")
            if set_operator not in _SET_OPERATORS:
                raise ConditionError(f"unknown condition set operator {set_operator!r} in {name!r}")
        if_exists = rest.endswith("IfExists") and rest != "IfExists"
        base = rest[: -len("IfExists")] if if_exists else rest
        if base not in _BASE_OPERATORS:
            raise ConditionError(f"unknown condition operator {name!r}")
        if base == "Null" and (if_exists or set_operator):
            raise ConditionError(f"{name!r}: Null takes neither IfExists nor a set operator")
        return cls(name=name, base=base, set_operator=set_operator, if_exists=if_exists)


@dataclass(frozen=True)
class Condition:
    """One key of one operator in a Condition block, with the policy's values as strings."""

    operator: Operator
    key: str
    values: tuple[str, ...]


def policy_value_text(value: object) -> str:
    """A policy condition value as IAM reads it: JSON booleans and numbers become their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    raise ConditionError(f"condition value {value!r} is not a string, number or boolean")


def parse_condition_block(block: object) -> tuple[Condition, ...]:
    """Parse and validate a Condition element (`{operator: {key: value | [values]}}`)."""
    if not isinstance(block, Mapping):
        raise ConditionError("Condition must be an object of operators")
    conditions: list[Condition] = []
    for operator_name, keys in block.items():
        operator = Operator.parse(str(operator_name))
        if not isinstance(keys, Mapping) or not keys:
            raise ConditionError(f"{operator_name}: expected an object of condition keys")
        for key, raw in keys.items():
            raw_values = raw if isinstance(raw, list) else [raw]
            if not raw_values:
                raise ConditionError(f"{operator_name}/{key}: no values")
            values = tuple(policy_value_text(v) for v in raw_values)
            for value in values:
                _validate_value(operator, str(key), value)
            conditions.append(Condition(operator, str(key), values))
    return tuple(conditions)


def _validate_value(operator: Operator, key: str, value: str) -> None:
    family = operator.family
    if family in _VARIABLE_FAMILIES and has_variables(value):
        return
    where = f"{operator.name}/{key}: {value!r}"
    if family is Family.NUMERIC and parse_number(value) is None:
        raise ConditionError(f"{where} is not a number")
    if family is Family.DATE and parse_date(value) is None:
        raise ConditionError(f"{where} is not an ISO 8601 date or epoch time")
    if family in (Family.BOOL, Family.NULL) and value.lower() not in ("true", "false"):
        raise ConditionError(f"{where} is not true or false")
    if family is Family.BINARY and parse_binary(value) is None:
        raise ConditionError(f"{where} is not base-64")
    if family is Family.IP and parse_network(value) is None:
        raise ConditionError(f"{where} is not an IP address or CIDR range")


class RequestContext:
    """The request context keys, looked up case-insensitively, each holding a tuple of string values.

    A single value is a one-element tuple; a multi-valued key (aws:TagKeys) holds several; an empty tuple is a
    key present with a null data set. Booleans are stored as "true"/"false", numbers as their text.
    """

    def __init__(self, values: Mapping[str, ContextValue] | None = None) -> None:
        self._values: dict[str, tuple[str, ...]] = {}
        self._names: dict[str, str] = {}
        for key, value in (values or {}).items():
            self.set(key, value)

    def set(self, key: str, value: ContextValue) -> None:
        self._values[key.lower()] = _context_values(value)
        self._names[key.lower()] = key

    def setdefault(self, key: str, value: ContextValue) -> None:
        if key.lower() not in self._values:
            self.set(key, value)

    def get(self, key: str) -> tuple[str, ...] | None:
        """The values of a key, or None when the request context does not have it."""
        return self._values.get(key.lower())

    def single(self, key: str) -> str | None:
        """The value of a single-valued key (policy variables use only these), None otherwise."""
        values = self._values.get(key.lower())
        return values[0] if values is not None and len(values) == 1 else None

    def with_prefix(self, prefix: str) -> dict[str, tuple[str, ...]]:
        """Keys that start with `prefix` (case-insensitive), by the rest of their name as the caller wrote it."""
        lowered = prefix.lower()
        return {self._names[k][len(prefix) :]: v for k, v in self._values.items() if k.startswith(lowered)}

    def as_dict(self) -> dict[str, tuple[str, ...]]:
        return {self._names[k]: v for k, v in self._values.items()}


def _context_values(value: ContextValue) -> tuple[str, ...]:
    if isinstance(value, str | bool | int | float | bytes):
        return (_context_text(value),)
    return tuple(_context_text(v) for v in value)


def _context_text(value: str | bool | int | float | bytes) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def parse_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


_YEAR = re.compile(r"^\d{4}$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")


def parse_date(text: str) -> datetime | None:
    """A W3C ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD, with time and zone) or epoch seconds, in UTC."""
    text = text.strip()
    try:
        if _EPOCH.match(text) and not _YEAR.match(text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        if _YEAR.match(text):
            return datetime(int(text), 1, 1, tzinfo=UTC)
        year_month = _YEAR_MONTH.match(text)
        if year_month:
            return datetime(int(year_month.group(1)), int(year_month.group(2)), 1, tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR range; a bare address is its own /32 (or /128) as the guide says."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _compare(relation: str, left: float | datetime, right: float | datetime) -> bool:
    if relation == "eq":
        return left == right
    if relation == "lt":
        return left < right  # type: ignore[operator]
    if relation == "le":
        return left <= right  # type: ignore[operator]
    if relation == "gt":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def _positive_match(operator: Operator, request_value: str, policy_value: str, lookup: VariableLookup | None) -> bool:
    """Whether one request value satisfies one policy value under the operator's positive (un-negated) test."""
    base = _BASE_OPERATORS[operator.base]
    family = base.family
    if family is Family.STRING:
        return string_matches(
            policy_value,
            request_value,
            lookup,
            like=base.relation == "like",
            ignore_case=base.relation in ("ieq", "ilike"),
        )
    if family is Family.ARN:
        return arn_matches(policy_value, request_value, lookup)
    if family is Family.BOOL:
        resolved = resolve(policy_value, lookup)
        return resolved is not None and resolved.text().lower() == request_value.lower()
    if family is Family.NUMERIC:
        left, right = parse_number(request_value), parse_number(policy_value)
        return left is not None and right is not None and _compare(base.relation, left, right)
    if family is Family.DATE:
        when, bound = parse_date(request_value), parse_date(policy_value)
        return when is not None and bound is not None and _compare(base.relation, when, bound)
    if family is Family.BINARY:
        data, expected = parse_binary(request_value), parse_binary(policy_value)
        return data is not None and data == expected
    if family is Family.IP:
        network = parse_network(policy_value)
        try:
            address = ipaddress.ip_address(request_value.strip())
        except ValueError:
            return False
        return network is not None and address.version == network.version and address in network
    raise AssertionError(f"no comparison for {operator.name}")  # Null is handled before


def _is_null(values: tuple[str, ...] | None) -> bool:
    # An empty string or an empty set is the "null" the guide describes for user-supplied keys.
    return values is None or len(values) == 0 or all(v == "" for v in values)


def evaluate_condition(condition: Condition, context: RequestContext, lookup: VariableLookup | None) -> bool:
    """Evaluate one operator/key pair against the request context."""
    operator = condition.operator
    request_values = context.get(condition.key)
    if operator.base == "Null":
        absent = _is_null(request_values)
        return any((value.lower() == "true") == absent for value in condition.values)
    if not request_values:
        if operator.set_operator == "ForAllValues":
            return True
        if operator.set_operator == "ForAnyValue":
            return False
        if operator.if_exists and request_values is None:
            return True
        return operator.negated

    def satisfied(request_value: str) -> bool:
        matched = any(_positive_match(operator, request_value, p, lookup) for p in condition.values)
        return not matched if operator.negated else matched

    if operator.set_operator == "ForAllValues":
        return all(satisfied(v) for v in request_values)
    if operator.set_operator == "ForAnyValue":
        return any(satisfied(v) for v in request_values)
    if operator.negated:
        return all(satisfied(v) for v in request_values)
    return any(satisfied(v) for v in request_values)


def evaluate_conditions(
    conditions: Iterable[Condition], context: RequestContext, lookup: VariableLookup | None
) -> bool:
    """All conditions of a statement must hold (AND across operators and keys)."""
    return all(evaluate_condition(c, context, lookup) for c in conditions)


def variables_allowed(operator: Operator) -> bool:
    """Whether this operator substitutes policy variables in its values."""
    return operator.family in _VARIABLE_FAMILIES
