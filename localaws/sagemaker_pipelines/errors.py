"""Errors of a running step; a definition that cannot run raises pipelines.pipeline_definition.errors."""

from __future__ import annotations


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
