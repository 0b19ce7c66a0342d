"""The parameters of a pipeline definition: the values an execution runs with, each checked against its
declared type and allowed values."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pipelines.errors import UsageError
from pipelines.pipeline_definition.errors import PipelineDefinitionError

PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")
# A value given as text must be exactly one of these: no blanks, no digit separators, no non-ASCII digits, no
# nan or inf (Python's int() and float() take them all).
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BOOLEAN_TEXT = ("true", "false")


def resolve_parameters(definition: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Values of the declared parameters: given (as text, as StartPipelineExecution passes them) or default."""
    declared = {parameter.get("Name"): parameter for parameter in definition.get("Parameters") or []}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise UsageError(f"unknown pipeline parameter(s) {', '.join(unknown)}: "
                         f"the pipeline declares {', '.join(map(str, declared)) or 'none'}")
    values: dict[str, Any] = {}
    for name, parameter in declared.items():
        value = given[name] if name in given else parameter.get("DefaultValue")
        if value is None:
            raise UsageError(f"pipeline parameter {name!r} has no default value: pass it (--parameter {name}=...)")
        values[name] = checked_value(name, parameter, value)
    return values


def check_given_values(definition: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The given values of declared parameters, each checked against its type and allowed values (before any
    AWS call: a value SageMaker would refuse, or fail the execution with, is named now)."""
    declared = {parameter.get("Name"): parameter for parameter in definition.get("Parameters") or []}
    return {name: checked_value(name, declared[name], value) for name, value in given.items() if name in declared}


def checked_value(name: str, parameter: Mapping[str, Any], value: Any) -> Any:
    """`value` (text as StartPipelineExecution passes it, or a JSON default) as the parameter's declared type."""
    kind = parameter.get("Type", "String")
    if kind not in PARAMETER_TYPES:
        raise PipelineDefinitionError(f"parameter {name!r} has unsupported type {kind!r}: "
                                      f"use one of {', '.join(PARAMETER_TYPES)}")
    typed = _cast_parameter(kind, value)
    if typed is None:
        raise UsageError(f"pipeline parameter {name!r} must be of type {kind}, got {value!r}")
    allowed = parameter.get("EnumValues")
    if allowed and typed not in allowed:
        raise UsageError(f"pipeline parameter {name!r} is {typed!r}: use one of {', '.join(map(str, allowed))}")
    return typed


def _cast_parameter(kind: str, value: Any) -> Any:
    """The typed value, or None when `value` is not exactly one of the type's."""
    if kind == "String":
        return str(value)
    if isinstance(value, str):
        if kind == "Integer":
            return int(value) if _INTEGER_TEXT.fullmatch(value) else None
        if kind == "Float":
            number = float(value) if _FLOAT_TEXT.fullmatch(value) else math.nan
            return number if math.isfinite(number) else None
        return value.lower() == "true" if value.lower() in _BOOLEAN_TEXT else None
    # A default from the definition JSON.
    if kind == "Boolean":
        return value if isinstance(value, bool) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if kind == "Integer":
        return int(value) if float(value).is_integer() else None
    return float(value) if math.isfinite(value) else None
