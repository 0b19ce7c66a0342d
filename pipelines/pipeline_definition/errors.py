"""Errors of a pipeline definition, placed in the project's one hierarchy (pipelines.errors)."""

from __future__ import annotations

from pipelines.errors import UsageError


class PipelineDefinitionError(UsageError):
    """The definition cannot run: unsupported step type, unknown reference, cycle, bad parameter value.

    Raised before any step runs, so nothing in the stack has been touched.
    """


class ExpressionError(PipelineDefinitionError):
    """An expression ({"Get": ...}, Std:Join, Std:JsonGet, a condition) cannot be evaluated."""


class UnsupportedSetting(PipelineDefinitionError):
    """A job setting the local executor does not emulate, named without its step: a definition check adds the
    step's name, a running step reports the same text as a ClientError."""
