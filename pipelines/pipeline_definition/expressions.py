"""The pipeline definition's expression language, evaluated without any AWS call.

A definition embeds expressions where a value is only known at run time:
  {"Get": "Parameters.X"}, {"Get": "Execution.PipelineExecutionId"},
  {"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"},
  {"Std:Join": {"On": "/", "Values": [...]}},
  {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Report"}, "Path": "a.b[0].c"}}
  (or {"Std:JsonGet": {"S3Uri": ..., "Path": ...}}),
and a Condition step holds conditions (Equals, GreaterThan(OrEqualTo), LessThan(OrEqualTo), In, Not, Or).

Reading files (property files, S3 JSON) is delegated to the `ExpressionScope` the caller provides, which
keeps this module pure and testable with plain dictionaries.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipelines.pipeline_definition.errors import ExpressionError

FUNCTIONS = ("Get", "Std:Join", "Std:JsonGet")
COMPARISONS = {
    "Equals": operator.eq,
    "GreaterThan": operator.gt,
    "GreaterThanOrEqualTo": operator.ge,
    "LessThan": operator.lt,
    "LessThanOrEqualTo": operator.le,
}
CONDITION_TYPES = (*COMPARISONS, "In", "Not", "Or")

# One segment of a property path: `.Name`, `[3]`, `['key']` or `["key"]`.
_SEGMENT = re.compile(r"""\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]""")
# List entries selected by ['key'] carry their name in one of these fields (Outputs, channels, Lambda outputs).
_NAME_FIELDS = ("OutputName", "InputName", "ChannelName", "Name", "PropertyFileName", "MetricName")


@dataclass
class ExpressionScope:
    """What expressions can see while one execution runs."""

    parameters: Mapping[str, Any]
    execution_variables: Mapping[str, Any]
    step_properties: Callable[[str], Mapping[str, Any]]
    """Properties of a finished step by name; raises ExpressionError for an unknown or unfinished step."""
    read_property_file: Callable[[str, str], Any] = field(default=lambda step, name: _no_files(f"{step}.{name}"))
    """(step name, property file name) -> the parsed JSON document."""
    read_s3_json: Callable[[str], Any] = field(default=lambda uri: _no_files(uri))
    """S3 URI -> the parsed JSON document."""


def _no_files(what: str):
    raise ExpressionError(f"cannot read {what}: this evaluation has no file access")


def parse_path(path: str) -> list[str | int]:
    """'Outputs['train'].S3Output.S3Uri' -> ['Outputs', 'train', 'S3Output', 'S3Uri'] (ints for [n])."""
    segments: list[str | int] = []
    position = 0
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot parse property path {path!r} at character {position + 1}")
        name, index, single, double = match.groups()
        segments.append(int(index) if index is not None else next(s for s in (name, single, double) if s is not None))
        position = match.end()
    return segments


def select(document: Any, path: str, what: str) -> Any:
    """Walk `path` through dicts and lists; ['key'] on a list selects the entry whose name field is key."""
    value = document
    walked = what
    for segment in parse_path(path):
        value = _step_into(value, segment, walked)
        walked += f"[{segment}]" if isinstance(segment, int) else f".{segment}"
    return value


def _step_into(value: Any, segment: str | int, walked: str) -> Any:
    if isinstance(segment, int):
        if isinstance(value, list) and -len(value) <= segment < len(value):
            return value[segment]
        size = len(value) if isinstance(value, list) else "not a list"
        raise ExpressionError(f"{walked}[{segment}] does not exist ({size})")
    if isinstance(value, Mapping):
        if segment in value:
            return value[segment]
        known = ", ".join(sorted(map(str, value))) or "none"
        raise ExpressionError(f"{walked} has no attribute {segment!r} (it has: {known})")
    if isinstance(value, list):
        for entry in value:
            if isinstance(entry, Mapping) and any(entry.get(name) == segment for name in _NAME_FIELDS):
                return entry
        names = [entry.get(n) for entry in value if isinstance(entry, Mapping) for n in _NAME_FIELDS if n in entry]
        raise ExpressionError(f"{walked} has no entry named {segment!r} (entries: {', '.join(map(str, names))})")
    raise ExpressionError(f"{walked} is {type(value).__name__} {value!r}, it has no attribute {segment!r}")


def is_expression(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in FUNCTIONS


def evaluate(value: Any, scope: ExpressionScope) -> Any:
    """Resolve every expression inside `value` (dicts and lists are walked; other values returned as they are)."""
    if is_expression(value):
        (function, argument), = value.items()
        if function == "Get":
            return _get(argument, scope)
        if function == "Std:Join":
            return _join(argument, scope)
        return _json_get(argument, scope)
    if isinstance(value, Mapping):
        return {key: evaluate(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, scope) for item in value]
    return value


def _get(reference: Any, scope: ExpressionScope) -> Any:
    if not isinstance(reference, str):
        raise ExpressionError(f"'Get' needs a reference string, got {json.dumps(reference)}")
    root, _, rest = reference.partition(".")
    if root == "Parameters":
        if rest not in scope.parameters:
            known = ", ".join(scope.parameters) or "none"
            raise ExpressionError(f"unknown parameter {rest!r} in {reference!r} (the definition declares: {known})")
        return scope.parameters[rest]
    if root == "Execution":
        if rest not in scope.execution_variables:
            known = ", ".join(scope.execution_variables)
            raise ExpressionError(f"unknown execution variable {rest!r} in {reference!r} (known: {known})")
        return scope.execution_variables[rest]
    if root == "Steps":
        step_name, path = split_step_reference(reference)
        if path.startswith("PropertyFiles."):
            raise ExpressionError(f"{reference!r}: a property file is only readable through Std:JsonGet")
        return select(scope.step_properties(step_name), path, f"Steps.{step_name}")
    raise ExpressionError(f"unknown reference {reference!r}: use Parameters.*, Execution.* or Steps.<name>.*")


def split_step_reference(reference: str) -> tuple[str, str]:
    """'Steps.Train.ModelArtifacts.S3ModelArtifacts' -> ('Train', 'ModelArtifacts.S3ModelArtifacts').

    Step names may contain hyphens and dots are not allowed in them, so the name ends at the next '.' or '['.
    """
    body = reference[len("Steps."):]
    match = re.match(r"[^.\[]+", body)
    if not reference.startswith("Steps.") or not match:
        raise ExpressionError(f"{reference!r} does not name a step")
    return match.group(0), body[match.end():].lstrip(".")


def _join(argument: Any, scope: ExpressionScope) -> str:
    if not isinstance(argument, Mapping) or not isinstance(argument.get("Values"), list):
        raise ExpressionError(f"Std:Join needs {{'On': str, 'Values': [...]}}, got {json.dumps(argument)}")
    return str(argument.get("On", "")).join(_to_text(evaluate(item, scope)) for item in argument["Values"])


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        raise ExpressionError("Std:Join cannot join a null value")
    return str(value)


def _json_get(argument: Any, scope: ExpressionScope) -> Any:
    if not isinstance(argument, Mapping) or not isinstance(argument.get("Path"), str):
        raise ExpressionError(f"Std:JsonGet needs a 'Path' and a 'PropertyFile' or 'S3Uri', got {argument!r}")
    if "PropertyFile" in argument:
        reference = argument["PropertyFile"].get("Get", "") if isinstance(argument["PropertyFile"], Mapping) else ""
        step_name, path = split_step_reference(reference) if reference.startswith("Steps.") else ("", "")
        if not path.startswith("PropertyFiles."):
            raise ExpressionError(f"Std:JsonGet PropertyFile must be {{'Get': 'Steps.<step>.PropertyFiles.<name>'}}, "
                                  f"got {argument['PropertyFile']!r}")
        file_name = path[len("PropertyFiles."):]
        document, what = scope.read_property_file(step_name, file_name), f"property file {step_name}.{file_name}"
    elif "S3Uri" in argument:
        uri = evaluate(argument["S3Uri"], scope)
        document, what = scope.read_s3_json(uri), uri
    else:
        raise ExpressionError(f"Std:JsonGet needs 'PropertyFile' or 'S3Uri', got keys {sorted(argument)}")
    return select(document, argument["Path"], what)


def evaluate_condition(condition: Mapping[str, Any], scope: ExpressionScope) -> bool:
    """True or False for one condition of a Condition step."""
    kind = condition.get("Type")
    if kind in COMPARISONS:
        left, right = _comparable(evaluate(condition.get("LeftValue"), scope),
                                  evaluate(condition.get("RightValue"), scope), kind)
        try:
            return bool(COMPARISONS[kind](left, right))
        except TypeError:
            raise ExpressionError(f"condition {kind} cannot compare {left!r} with {right!r}") from None
    if kind == "In":
        query = evaluate(condition.get("QueryValue"), scope)
        candidates = evaluate(condition.get("Values", []), scope)
        return any(operator.eq(*_comparable(query, candidate, kind)) for candidate in candidates)
    if kind == "Not":
        return not evaluate_condition(condition["Condition"], scope)
    if kind == "Or":
        return any(evaluate_condition(inner, scope) for inner in condition.get("Conditions", []))
    raise ExpressionError(f"unsupported condition type {kind!r}: use one of {', '.join(CONDITION_TYPES)}")


def _comparable(left: Any, right: Any, kind: str) -> tuple[Any, Any]:
    """Numbers compare as numbers even when one side arrived as text (parameters, JSON values)."""
    if _is_number(left) and isinstance(right, str):
        return left, _as_number(right, kind)
    if _is_number(right) and isinstance(left, str):
        return _as_number(left, kind), right
    return left, right


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(text: str, kind: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ExpressionError(f"condition {kind} compares a number with the text {text!r}") from None


def step_references(value: Any) -> Iterator[str]:
    """Names of the steps that `value` refers to through {"Get": "Steps.<name>..."} anywhere inside it."""
    if isinstance(value, Mapping):
        reference = value.get("Get") if len(value) == 1 else None
        if isinstance(reference, str) and reference.startswith("Steps."):
            yield split_step_reference(reference)[0]
            return
        for item in value.values():
            yield from step_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from step_references(item)
