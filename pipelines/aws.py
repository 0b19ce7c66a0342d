"""Where the project's AWS calls go: one explicit `Target`, made by the CLI layer and passed down.

A target is either AWS itself (the default credential chain and AWS's endpoints) or the local stack at an
endpoint. Local is nothing but an endpoint and credentials: every call is an AWS API call either way. The CLI
makes the target from its flags and the process environment (`Target.for_cli`); nothing in the library reads
or changes process-wide settings to find out where it is.

`Target.session(account_id, region)` is the one way to get a boto3 session acting in an account. On AWS the
current credentials must already be in that account (Jenkins assumes `cross-account-jenkins-role`, a person
uses a profile for it). On the local stack the same holds for credentials the environment names (a Jenkins stage
run inside withAWS); with the stack's own fake keys the session assumes `mlops-local-admin` in the account,
which is how the stack separates accounts.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import botocore.config
import botocore.exceptions
import botocore.loaders
import botocore.session

from pipelines.aws_calls import CONNECTION_FAILURES, unreachable
from pipelines.config import REPO_ROOT
from pipelines.errors import LocalStackError, UsageError

log = logging.getLogger(__name__)

LOCAL_ADMIN_ROLE_NAME = "mlops-local-admin"
ROLE_SESSION_NAME = "mlops-local"
DEFAULT_REGION = "us-east-1"
FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - the local stack's documented fake secret, not a credential
HEALTH_PATH = "/_mlops/health"
# The stack's own routes (/moto-api, /_mlops) answer only the tools that started it: they send the token the
# server was started with (in its environment) in this header.
STACK_TOKEN_HEADER = "X-Mlops-Local-Token"  # noqa: S105 - a header name
STACK_TOKEN_VARIABLE = "MLOPS_LOCAL_STACK_TOKEN"  # noqa: S105 - a variable name
# IAM authorization of the local stack: off, soft (decide and record, never deny) or enforce.
AUTHORIZATION_MODES = ("off", "soft", "enforce")
DEFAULT_AUTHORIZATION = "enforce"

# A local stack answers in milliseconds: a dead or hung one must fail fast (exit 5), not after minutes of retries.
LOCAL_CLIENT_CONFIG = botocore.config.Config(connect_timeout=3, read_timeout=60,
                                             retries={"total_max_attempts": 2, "mode": "standard"})

# Variables that would let a child process find real credentials, a profile, or a service-specific endpoint
# that bypasses AWS_ENDPOINT_URL. Every AWS_ENDPOINT_URL_<SERVICE> variable is removed as well.
_REAL_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)

Progress = Callable[[str], None]
"""The one channel for what a long-running library call is doing (a CLI logs it, the demo records it)."""


def _log_progress(message: str) -> None:
    log.info("%s", message)


# ---------------------------------------------------------------------------------------------- the stack's record


def local_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the local stack keeps its state (MLOPS_LOCAL_DIR, default `<repo>/.local`)."""
    env = os.environ if env is None else env
    return Path(env.get("MLOPS_LOCAL_DIR") or REPO_ROOT / ".local")


def stack_state_file(env: Mapping[str, str] | None = None) -> Path:
    """`mlops-local up` records the running stack's {"endpoint", "pid"} here."""
    return local_dir(env) / "stack.json"


def read_stack_state(env: Mapping[str, str] | None = None) -> dict | None:
    """The recorded {"endpoint", "pid"} of the stack `mlops-local up` started, or None when there is no record."""
    path = stack_state_file(env)
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
        return {"endpoint": str(state["endpoint"]), "pid": int(state["pid"])}
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise LocalStackError(f"{path} is corrupt: run `mlops-local up` (it finds the running stack by its state "
                              "folder and records it again, or starts it with the saved state)") from None


# A stack busy with work of its own answers late, not never: starting a Lambda function in-process (an approval's
# event runs the endpoint refresh) holds the server for ~3 s on a loaded machine. A hung stack still fails fast.
HEALTH_TIMEOUT_SECONDS = 6.0


def stack_health(endpoint: str, timeout: float = HEALTH_TIMEOUT_SECONDS) -> dict | None:
    """The health answer of a local stack at `endpoint` ({"status", "pid", "services", "authorization"}), None if none
    answers."""
    try:
        with urllib.request.urlopen(endpoint + HEALTH_PATH, timeout=timeout) as response:  # noqa: S310 - http only
            answer = json.load(response)
    except (OSError, ValueError):
        return None
    return answer if isinstance(answer, dict) and answer.get("status") == "ok" else None


def is_loopback_endpoint(endpoint: str) -> bool:
    parsed = urllib.parse.urlsplit(endpoint)
    return parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost", "::1")


# ---------------------------------------------------------------------------------------------- sessions


class _SearchPaths(list):
    """A data loader's search paths: boto3 appends its own data folder once per session; a shared loader keeps
    one copy."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@functools.cache
def _shared_data_loader(data_path: str | None) -> botocore.loaders.Loader:
    # As botocore.loaders.create_loader reads AWS_DATA_PATH.
    parts = data_path.split(os.pathsep) if data_path else []
    return botocore.loaders.Loader(
        extra_search_paths=_SearchPaths(os.path.expanduser(os.path.expandvars(part)) for part in parts))


def botocore_session() -> botocore.session.Session:
    """A new botocore session (credentials and settings its own) whose data loader is the process's shared one.

    A fresh session parses botocore's data files again (service models, endpoint rules: tens of milliseconds per
    client), which dominated the CPU of code that acts in several accounts; the parsed files never change.
    """
    session = botocore.session.get_session()
    session.register_component("data_loader", _shared_data_loader(session.get_config_variable("data_path")))
    return session


def new_session(**kwargs) -> boto3.Session:
    """`boto3.Session(**kwargs)` on a `botocore_session()`."""
    return boto3.Session(botocore_session=botocore_session(), **kwargs)


class EndpointSession(boto3.Session):
    """A boto3 session whose clients all call one endpoint, with the local stack's timeouts and retries."""

    def __init__(self, endpoint: str, **kwargs):
        kwargs.setdefault("botocore_session", botocore_session())
        super().__init__(**kwargs)
        self.endpoint = endpoint

    def client(self, service_name: str, *args, **kwargs):
        kwargs.setdefault("endpoint_url", self.endpoint)
        kwargs["config"] = LOCAL_CLIENT_CONFIG.merge(kwargs["config"]) if kwargs.get("config") else LOCAL_CLIENT_CONFIG
        return super().client(service_name, *args, **kwargs)

    def resource(self, service_name: str, *args, **kwargs):
        kwargs.setdefault("endpoint_url", self.endpoint)
        return super().resource(service_name, *args, **kwargs)


@dataclass(frozen=True)
class Target:
    """AWS (endpoint None) or the local stack at `endpoint`; owns sessions and the progress channel."""

    endpoint: str | None = None
    progress: Progress = field(default=_log_progress, compare=False, repr=False)
    credentials: Credentials | None = field(default=None, repr=False)
    """On the local stack: the caller's own credentials from the environment (e.g. a role session withAWS
    exported); None: the stack's fake keys, i.e. its administrator."""

    @property
    def is_local(self) -> bool:
        return self.endpoint is not None

    @property
    def poll_seconds(self) -> float:
        """How often to poll a running execution: the local stack answers at once, AWS is asked less often."""
        return 0.5 if self.is_local else 10.0

    @classmethod
    def local_stack(cls, endpoint: str, progress: Progress = _log_progress) -> Target:
        return cls(endpoint.rstrip("/"), progress)

    @classmethod
    def from_environment(cls, env: Mapping[str, str], progress: Progress = _log_progress) -> Target:
        """What boto3 itself would use: AWS, or the local stack when AWS_ENDPOINT_URL names a loopback endpoint
        (`eval "$(mlops-local env)"`, or a Jenkins stage run against the local stack)."""
        endpoint = env.get("AWS_ENDPOINT_URL")
        if endpoint and is_loopback_endpoint(endpoint):
            return cls(endpoint.rstrip("/"), progress, Credentials.from_environment(env))
        return cls(None, progress)

    @classmethod
    def running_stack(cls, env: Mapping[str, str], progress: Progress = _log_progress) -> Target:
        """The stack `mlops-local up` started (its record under MLOPS_LOCAL_DIR), checked to answer."""
        state = read_stack_state(env)
        if state is None:
            raise LocalStackError(f"the local stack is not running (no {stack_state_file(env)}): "
                                  "start it with `mlops-local up`")
        if stack_health(state["endpoint"]) is None:
            raise LocalStackError(f"the local stack recorded in {stack_state_file(env)} does not answer at "
                                  f"{state['endpoint']}: restart it with `mlops-local down` and `mlops-local up`")
        return cls.local_stack(state["endpoint"], progress)

    @classmethod
    def for_cli(cls, local: bool, env: Mapping[str, str], progress: Progress = _log_progress) -> Target:
        """`--local`: the running local stack; otherwise whatever the environment says (AWS by default)."""
        return cls.running_stack(env, progress) if local else cls.from_environment(env, progress)

    # ------------------------------------------------------------------ sessions

    def base_session(self, region: str) -> boto3.Session:
        """A session with the caller's own credentials (on the local stack: its fake keys)."""
        if not self.is_local:
            return new_session(region_name=region)
        credentials = self.credentials or STACK_ADMIN_CREDENTIALS
        return self.credentials_session(credentials.access_key, credentials.secret_key, credentials.token, region)

    def credentials_session(self, access_key: str, secret_key: str, token: str | None,
                            region: str) -> boto3.Session:
        """A session with the given credentials, calling this target's endpoint."""
        kwargs = {"aws_access_key_id": access_key, "aws_secret_access_key": secret_key,
                  "aws_session_token": token, "region_name": region}
        return EndpointSession(self.endpoint, **kwargs) if self.is_local else new_session(**kwargs)

    def caller_account(self, session: boto3.Session) -> str:
        """The account of `session`'s credentials, with a clear error when there are none or they are rejected."""
        if self.is_local and stack_health(self.endpoint) is None:
            # Checked first: a stack that accepts connections but never answers would hold each call until
            # its read timeout, for every retry.
            raise LocalStackError(f"the local stack does not answer at {self.endpoint}: "
                                  "restart it with `mlops-local down` and `mlops-local up`")
        try:
            return session.client("sts").get_caller_identity()["Account"]
        except botocore.exceptions.NoCredentialsError:
            raise UsageError(
                "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                "or use the local stack (`mlops-local up`, then `--local`)"
            ) from None
        except CONNECTION_FAILURES as error:
            if self.is_local:
                raise LocalStackError(f"the local stack does not answer at {self.endpoint} ({error}): "
                                      "start it with `mlops-local up`") from None
            raise unreachable(error, "finding the account of the current credentials (STS)") from None
        except botocore.exceptions.ClientError as error:
            raise UsageError(f"AWS rejected the current credentials: {error}") from None

    def session(self, account_id: str, region: str) -> boto3.Session:
        """A session whose credentials act in `account_id`.

        The current credentials are used as they are when they belong to that account; with the local stack's
        fake keys the session assumes `mlops-local-admin` there; otherwise (AWS, or credentials of the caller's
        own on the local stack, as a Jenkins stage has) a UsageError names both accounts.
        """
        session = self.base_session(region)
        current = self.caller_account(session)
        if current == account_id:
            return session
        if not self.is_local or self.credentials is not None:
            raise UsageError(
                f"the current AWS credentials are for account {current}, but this step acts in account "
                f"{account_id}: use credentials (a profile or an assumed role) of account {account_id}"
            )
        log.debug("assuming %s for account %s", LOCAL_ADMIN_ROLE_NAME, account_id)
        credentials = session.client("sts").assume_role(
            RoleArn=local_admin_role_arn(account_id), RoleSessionName=ROLE_SESSION_NAME
        )["Credentials"]
        return self.credentials_session(credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                        credentials["SessionToken"], region)

    # ------------------------------------------------------------------ child processes

    def child_environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` with what a child process (terraform, a stage script) needs to reach this target."""
        env = dict(base)
        if not self.is_local:
            return env
        to_set, to_remove = local_environment_variables(self.endpoint, base)
        for name in to_remove:
            env.pop(name, None)
        env.update(to_set)
        if self.credentials is not None:
            env.update(self.credentials.environment())
        return env


@dataclass(frozen=True)
class Credentials:
    """An access key pair and, for a role session, its token."""

    access_key: str
    secret_key: str
    token: str | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Credentials | None:
        """The credentials the standard variables name, as boto3 reads them; None when they are absent or are the
        local stack's fake keys (which act as its administrator)."""
        access_key, secret_key = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if not access_key or not secret_key or access_key == FAKE_ACCESS_KEY_ID:
            return None
        return cls(access_key, secret_key, env.get("AWS_SESSION_TOKEN") or None)

    def environment(self) -> dict[str, str]:
        """The variables that hand these credentials to a child process."""
        variables = {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}
        if self.token:
            variables["AWS_SESSION_TOKEN"] = self.token
        return variables


STACK_ADMIN_CREDENTIALS = Credentials(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)


def local_admin_role_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{LOCAL_ADMIN_ROLE_NAME}"


def local_environment_variables(endpoint: str, env: Mapping[str, str] | None = None
                                ) -> tuple[dict[str, str], list[str]]:
    """(variables to set, variables to remove) that point every AWS client of a process at `endpoint`."""
    env = os.environ if env is None else env
    to_set = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_REGION": DEFAULT_REGION,
        # No shared config or credentials file may add a profile, a role or an endpoint of its own.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    to_remove = sorted(set(_REAL_AWS_VARIABLES) | {name for name in env if name.startswith("AWS_ENDPOINT_URL_")})
    return to_set, to_remove


def session_for_account(account_id: str, region: str, target: Target | None = None) -> boto3.Session:
    """`target.session(account_id, region)`; without a target, the one the process environment names."""
    return (target or Target.from_environment(os.environ)).session(account_id, region)
