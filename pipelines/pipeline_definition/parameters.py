"""The parameters of a pipeline definition: the values an execution runs with, each checked against its
declared type and allowed values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.errors import UsageError
from pipelines.pipeline_definition.errors import PipelineDefinitionError

PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")


def resolve_parameters(definition: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Values of the declared parameters: given (as text, as StartPipelineExecution passes them) or default."""
    declared = {parameter.get("Name"): parameter for parameter in definition.get("Parameters") or []}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise UsageError(f"unknown pipeline parameter(s) {', '.join(unknown)}: "
                         f"the pipeline declares {', '.join(map(str, declared)) or 'none'}")
    values: dict[str, Any] = {}
    for name, parameter in declared.items():
        kind = parameter.get("Type", "String")
        if kind not in PARAMETER_TYPES:
            raise PipelineDefinitionError(f"parameter {name!r} has unsupported type {kind!r}: "
                                          f"use one of {', '.join(PARAMETER_TYPES)}")
        value = given[name] if name in given else parameter.get("DefaultValue")
        if value is None:
            raise UsageError(f"pipeline parameter {name!r} has no default value: pass it (--parameter {name}=...)")
        values[name] = _cast_parameter(name, kind, value)
        allowed = parameter.get("EnumValues")
        if allowed and values[name] not in allowed:
            raise UsageError(f"pipeline parameter {name!r} is {values[name]!r}: use one of {', '.join(allowed)}")
    return values


def _cast_parameter(name: str, kind: str, value: Any) -> Any:
    try:
        if kind == "Integer":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if kind == "Float":
            return float(value)
        if kind == "Boolean":
            if isinstance(value, bool):
                return value
            if str(value).lower() not in ("true", "false"):
                raise ValueError(value)
            return str(value).lower() == "true"
        return str(value)
    except ValueError:
        raise UsageError(f"pipeline parameter {name!r} must be of type {kind}, got {value!r}") from None
