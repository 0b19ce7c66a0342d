"""The project's one exception hierarchy. Each error carries the exit code its CLI returns."""


class MlopsError(Exception):
    """Base of every error the project raises on purpose; printed once by the CLI layer."""

    exit_code = 1


class UsageError(MlopsError):
    """Bad usage or input: unknown option value, invalid JSON, unknown pipeline, bad config."""

    exit_code = 2


class ConfigError(UsageError):
    """An environment file is missing, malformed or has an invalid field (the message names both)."""


class ExecutionFailed(MlopsError):
    """A pipeline execution ended Failed or Stopped."""

    exit_code = 3


class InfraError(MlopsError):
    """Terraform failed (init, plan, apply, destroy) or its state lock is held."""

    exit_code = 4


class LocalStackError(MlopsError):
    """The local AWS stack could not start, is not running, or answered unexpectedly."""

    exit_code = 5
