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


class DemoStepFailed(MlopsError):
    """A step of the `mlops-demo` scenario failed; names the step and its account, keeps the cause's exit code."""

    def __init__(self, step: str, account: str, cause: BaseException):
        self.step, self.account, self.cause = step, account, cause
        if isinstance(cause, MlopsError):
            self.cause_text, self.exit_code = str(cause), cause.exit_code
        elif isinstance(cause, KeyboardInterrupt):
            self.cause_text, self.exit_code = "interrupted", 130
        else:  # an unexpected error: keep its type, the message alone is often meaningless ("'key'")
            self.cause_text, self.exit_code = f"{type(cause).__name__}: {cause}", 1
        super().__init__(f"step '{step}' in account {account} failed: {self.cause_text}")
