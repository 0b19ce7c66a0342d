"""Errors of the local executor, placed in the project's one hierarchy (pipelines.errors)."""

from __future__ import annotations

from pipelines.errors import UsageError


class PipelineDefinitionError(UsageError):
    """The definition cannot run: unsupported step type, unknown reference, cycle, bad parameter value.

    Raised before any step runs, so nothing in the stack has been touched.
    """


class ExpressionError(PipelineDefinitionError):
    """An expression ({"Get": ...}, Std:Join, Std:JsonGet, a condition) cannot be evaluated."""


class StepFailed(Exception):
    """A step ended Failed. Not an MlopsError: the executor records it on the step and fails the execution.

    `properties` holds whatever Describe-shaped properties the step had produced (job name, ARN ...).
    """

    def __init__(self, reason: str, properties: dict | None = None, metadata: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.properties = properties or {}
        self.metadata = metadata or {}


class StepStopped(Exception):
    """The step was stopped (StopPipelineExecution) before it finished; the executor records it Stopped."""
