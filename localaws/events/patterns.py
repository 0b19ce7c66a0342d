"""EventBridge event patterns and input transformers, evaluated locally (pure functions, no AWS call).

Pattern matching follows the EventBridge rules: every key of the pattern must match; a list of conditions
matches when any condition does; nested objects match nested fields; when the event field is an array, any
element may match. Conditions: exact values (strings, numbers, booleans, null), `prefix`, `suffix`,
`equals-ignore-case`, `anything-but` (a value, a list, or {"prefix"/"suffix": ...}), `exists`, `numeric`
([">", 0, "<=", 5]), `wildcard`, `cidr`, and `$or` at any level. Another operator is an error naming it.
"""

from __future__ import annotations

import ipaddress
import json
import operator
import re
from collections.abc import Mapping
from typing import Any

from pipelines.errors import UsageError

_NUMERIC = {"<": operator.lt, "<=": operator.le, "=": operator.eq, ">": operator.gt, ">=": operator.ge}
_MISSING = object()


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether `event` matches the EventBridge `pattern` (both already parsed from JSON)."""
    if not isinstance(pattern, Mapping):
        raise UsageError(f"event pattern must be a JSON object, got {json.dumps(pattern)}")
    for key, rule in pattern.items():
        if key == "$or":
            if not isinstance(rule, list) or not any(matches(branch, event) for branch in rule):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(rule, Mapping):
            # An array of objects matches when one of its objects matches the nested pattern.
            nested = [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else [value]
            if not any(matches(rule, v if isinstance(v, Mapping) else {}) for v in nested or [{}]):
                return False
        elif isinstance(rule, list):
            if not _field_matches(key, rule, value):
                return False
        else:
            raise UsageError(f"event pattern field {key!r} must be a list of values or an object, "
                             f"got {json.dumps(rule)}")
    return True


def _field_matches(key: str, conditions: list, value: Any) -> bool:
    present = value is not _MISSING
    candidates = value if isinstance(value, list) else [value]
    for condition in conditions:
        if isinstance(condition, Mapping):
            if "exists" in condition:
                if bool(condition["exists"]) == present:
                    return True
                continue
            if present and any(_operator_matches(key, condition, v) for v in candidates):
                return True
        elif present and any(_equal(condition, v) for v in candidates):
            return True
    return False


def _equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return type(expected) is type(actual) and expected == actual


def _operator_matches(key: str, condition: Mapping, value: Any) -> bool:
    if len(condition) != 1:
        raise UsageError(f"event pattern field {key!r}: a condition object holds exactly one operator, "
                         f"got {json.dumps(condition)}")
    (name, argument), = condition.items()
    if name == "prefix":
        return _affix(key, argument, value, str.startswith)
    if name == "suffix":
        return _affix(key, argument, value, str.endswith)
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == str(argument).casefold()
    if name == "wildcard":
        # only '*' is special in EventBridge wildcards
        expression = ".*".join(re.escape(part) for part in str(argument).split("*"))
        return isinstance(value, str) and re.fullmatch(expression, value, flags=re.DOTALL) is not None
    if name == "anything-but":
        if isinstance(argument, Mapping):
            return not _operator_matches(key, argument, value)
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(_equal(e, value) for e in excluded)
    if name == "numeric":
        return _numeric(key, argument, value)
    if name == "cidr":
        try:
            return isinstance(value, str) and ipaddress.ip_address(value) in ipaddress.ip_network(argument)
        except ValueError:
            return False
    raise UsageError(f"event pattern field {key!r}: operator {name!r} is not supported by the local stack; "
                     "supported: prefix, suffix, equals-ignore-case, wildcard, anything-but, exists, numeric, cidr")


def _affix(key: str, argument: Any, value: Any, test) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(argument, Mapping) and "equals-ignore-case" in argument:
        return test(value.casefold(), str(argument["equals-ignore-case"]).casefold())
    if not isinstance(argument, str):
        raise UsageError(f"event pattern field {key!r}: prefix/suffix takes a string, got {json.dumps(argument)}")
    return test(value, argument)


def _numeric(key: str, argument: Any, value: Any) -> bool:
    if not isinstance(argument, list) or len(argument) % 2:
        raise UsageError(f"event pattern field {key!r}: numeric takes operator/number pairs such as "
                         f"[\">\", 0, \"<=\", 5], got {json.dumps(argument)}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    for symbol, bound in zip(argument[::2], argument[1::2], strict=True):
        if symbol not in _NUMERIC:
            raise UsageError(f"event pattern field {key!r}: numeric operator {symbol!r} is not one of "
                             f"{', '.join(_NUMERIC)}")
        if not _NUMERIC[symbol](value, bound):
            return False
    return True


# ------------------------------------------------------------------------------------------ input transformer

_PATH_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']+)'\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def json_path(document: Any, path: str) -> Any:
    """The value at a simple JSONPath ($, $.a.b, $.a[0], $['a-b']); None when it does not exist."""
    if not path.startswith("$"):
        raise UsageError(f"input path {path!r} must start with '$'")
    position, value = 1, document
    while position < len(path):
        token = _PATH_TOKEN.match(path, position)
        if token is None:
            raise UsageError(f"input path {path!r} is not supported locally (use $.field.field or $.field[0])")
        name, index, quoted = token.groups()
        if index is not None:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        else:
            value = value.get(name or quoted) if isinstance(value, Mapping) else None
        position = token.end()
    return value


def transform_input(input_transformer: Mapping[str, Any], event: Mapping[str, Any], rule_name: str,
                    rule_arn: str) -> str:
    """Apply a target's InputTransformer (InputPathsMap + InputTemplate) to an event, as EventBridge does.

    String values are inserted escaped for JSON when the template is JSON (an object, an array or a quoted
    string) and verbatim in a plain-text template; other values are inserted as JSON. A path that matches
    nothing inserts an empty value. The predefined variables aws.events.rule-name, aws.events.rule-arn,
    aws.events.event, aws.events.event.json and aws.events.event.ingestion-time are available.
    """
    values = {name: json_path(event, path) for name, path in (input_transformer.get("InputPathsMap") or {}).items()}
    values.update({
        "aws.events.rule-name": rule_name,
        "aws.events.rule-arn": rule_arn,
        "aws.events.event": event,
        "aws.events.event.json": event,
        "aws.events.event.ingestion-time": event.get("time"),
    })
    template = input_transformer.get("InputTemplate")
    if template is None:
        raise UsageError(f"rule {rule_name}: a target's InputTransformer has no InputTemplate")
    is_json = template.lstrip()[:1] in ('{', '[', '"')

    def substitute(placeholder: re.Match) -> str:
        name = placeholder.group(1)
        if name not in values:
            return placeholder.group(0)  # not a variable: EventBridge leaves such text alone
        value = values[name]
        if value is None:
            return ""
        if isinstance(value, str):
            return json.dumps(value)[1:-1] if is_json else value
        return json.dumps(value)

    return _PLACEHOLDER.sub(substitute, template)
