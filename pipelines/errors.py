"""The project's one exception hierarchy and its one table of exit codes.

Every console script and stage script exits with a code from `EXIT_CODES`, one meaning each; an error class
carries the code its CLI returns.
"""

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_EXECUTION_FAILED = 3
EXIT_INFRA_FAILED = 4
EXIT_LOCAL_STACK_UNAVAILABLE = 5
EXIT_PLAN_HAS_CHANGES = 6
EXIT_AWS_UNREACHABLE = 7
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ERROR: "anything else (an unexpected AWS answer, a bug)",
    EXIT_USAGE: "bad usage or input: the message names the option, field or file and the fix",
    EXIT_EXECUTION_FAILED: "a pipeline execution ended Failed or Stopped, or an endpoint deployment failed or was "
                           "rolled back",
    EXIT_INFRA_FAILED: "terraform failed, or its state lock is held",
    EXIT_LOCAL_STACK_UNAVAILABLE: "the local AWS stack is not running, does not answer (connection refused, reset or "
                                  "timed out, also in the middle of a command), or could not start",
    EXIT_PLAN_HAS_CHANGES: "`mlops-infra plan --detailed-exitcode`: the plan has changes (not an error)",
    EXIT_AWS_UNREACHABLE: "an AWS endpoint cannot be reached (connection refused, reset or timed out, DNS, proxy): "
                          "the message names the endpoint; the network, not the input, is at fault (retrying may help)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); what ran on AWS or the local stack goes on",
}


class MlopsError(Exception):
    """Base of every error the project raises on purpose; printed once by the CLI layer."""

    exit_code = EXIT_ERROR


class UsageError(MlopsError):
    """Bad usage or input: unknown option value, invalid JSON, unknown pipeline, bad config."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """An environment file is missing, malformed or has an invalid field (the message names both)."""


class ExecutionFailed(MlopsError):
    """A pipeline execution ended Failed or Stopped."""

    exit_code = EXIT_EXECUTION_FAILED


class DeploymentFailed(MlopsError):
    """An endpoint ended Failed, or its update was rolled back (an alarm fired, or the new fleet never served)."""

    exit_code = EXIT_EXECUTION_FAILED


class UnknownModelVersion(UsageError):
    """A model version that is not in the model package group."""


class ModelVersionNotApproved(UsageError):
    """A model version that is Rejected or still PendingManualApproval: only Approved versions are served."""


class EndpointBusy(UsageError):
    """An endpoint that cannot take a deployment now (Creating, Updating, RollingBack, Failed...)."""


class ReplicaNotCurrent(UsageError):
    """The secondary region's replica of a version's model artifact is missing, or older than the primary's."""


class EndpointNotFound(UsageError):
    """InvokeEndpoint of an endpoint that does not exist (or is not InService) in the region called."""


class EndpointUnavailable(MlopsError):
    """InvokeEndpoint could not reach the endpoint's region, or SageMaker answered a server-side error."""


class EndpointUnreachable(MlopsError):
    """A connection to an AWS endpoint failed (refused, reset, timed out, DNS). The CLI layer reports it as
    EXIT_LOCAL_STACK_UNAVAILABLE when the command's target is the local stack."""

    exit_code = EXIT_AWS_UNREACHABLE

    def __init__(self, message: str, endpoint_url: str | None = None, action: str | None = None,
                 reason: str | None = None):
        super().__init__(message)
        self.endpoint_url, self.action, self.reason = endpoint_url, action, reason


class RegionUnreachable(EndpointUnavailable, EndpointUnreachable):
    """InvokeEndpoint could not connect to the endpoint's region (a failover reason, and unreachable)."""


class RequestRejected(UsageError):
    """The model refused the request with a 4xx answer (a payload it cannot read): the input is at fault."""


class TargetModelNotAllowed(UsageError):
    """A TargetModel for a single-model endpoint, or none for a multi-model one."""


class InfraError(MlopsError):
    """Terraform failed (init, plan, apply, destroy) or its state lock is held."""

    exit_code = EXIT_INFRA_FAILED


class LocalStackError(MlopsError):
    """The local AWS stack could not start, is not running, or answered unexpectedly."""

    exit_code = EXIT_LOCAL_STACK_UNAVAILABLE


class DemoStepFailed(MlopsError):
    """A step of the `mlops-demo` scenario failed; names the step and its account, keeps the cause's exit code."""

    def __init__(self, step: str, account: str, cause: BaseException):
        self.step, self.account, self.cause = step, account, cause
        if isinstance(cause, MlopsError):
            self.cause_text, self.exit_code = str(cause), cause.exit_code
        elif isinstance(cause, KeyboardInterrupt):
            self.cause_text, self.exit_code = "interrupted", EXIT_INTERRUPTED
        else:  # an unexpected error: keep its type, the message alone is often meaningless ("'key'")
            self.cause_text, self.exit_code = f"{type(cause).__name__}: {cause}", EXIT_ERROR
        super().__init__(f"step '{step}' in account {account} failed: {self.cause_text}")
