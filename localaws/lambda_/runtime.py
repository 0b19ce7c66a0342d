"""Lambda Invoke in the local stack: the project's function code runs in the server process, without Docker.

moto runs functions in Docker containers; here `LambdaFunction.invoke` (behind Invoke and InvokeAsync) runs
the function as the Python runtime would:

- the Handler 'module.function' is loaded from the function's deployment package (the zip Terraform uploaded,
  built from the project's Lambda sources), unpacked for each invocation, as after a cold start;
- the function's Environment variables, AWS_REGION, the function's name and its role's credentials are in
  `os.environ` for the handler's thread only (`ThreadEnviron`), and boto3 inside the handler
  (`boto3.client(...)`, through boto3's default session, made per thread here) acts as the function's ROLE in its
  account, through an in-process session of the stack; the rest of the server sees neither;
- RequestResponse answers the returned value as JSON; Event (asynchronous) answers 202 at once and runs the
  function in a thread; DryRun answers 204 without running it;
- an exception is answered as Lambda does: HTTP 200, X-Amz-Function-Error: Unhandled and the payload
  {"errorMessage", "errorType", "stackTrace"}; a handler that cannot be loaded gives Runtime.ImportModuleError or
  Runtime.HandlerNotFound, a result that is not JSON Runtime.MarshalError;
- the invocation's log (START, what the handler printed or logged, END, REPORT) is written to the function's log
  group as its role, and returned base64-encoded with LogType Tail (its last 4 KB).

A function's package is imported through the process-wide sys.path and sys.modules, so functions run one at a
time (a re-entrant lock: a handler may itself invoke a function synchronously).
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import io
import json
import logging
import math
import os
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaFunction
from moto.logs.models import logs_backends

from localaws import inprocess
from localaws.cloudwatch.logs import put_log_lines
from localaws.middleware import on_reset

log = logging.getLogger(__name__)

_RUNTIME_LOCK = threading.RLock()
ROLE_SESSION_REUSE_SECONDS = 600.0
LOG_TAIL_BYTES = 4096
_role_sessions: dict[tuple[str, str, str], tuple[float, boto3.Session]] = {}
_sessions_lock = threading.Lock()


class FunctionError(Exception):
    """A function's error as Lambda reports it."""

    def __init__(self, error_type: str, message: str, stack_trace: list[str] | None = None):
        super().__init__(message)
        self.error_type, self.message, self.stack_trace = error_type, message, stack_trace or []

    def payload(self) -> dict[str, Any]:
        return {"errorMessage": self.message, "errorType": self.error_type, "stackTrace": self.stack_trace}


class InvalidRequestContent(LambdaClientError):
    def __init__(self, message: str):
        super().__init__("InvalidRequestContentException", message)


@dataclass
class LambdaContext:
    """The context object the Python runtime passes to a handler."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def install() -> None:
    on_reset(forget_role_sessions)
    LambdaFunction.invoke = _invoke
    if not isinstance(os.environ, ThreadEnviron):
        os.environ = ThreadEnviron(os.environ)  # noqa: B003 - a per-thread view that keeps the real environment
    boto3._get_default_session = _default_session_of_this_thread


def _invoke(self: LambdaFunction, body: str | bytes, request_headers: Mapping[str, str],
            response_headers: dict[str, str]) -> bytes:
    invocation_type = request_headers.get("x-amz-invocation-type") or "RequestResponse"
    try:
        event = json.loads(body) if body else {}
    except ValueError as exc:
        raise InvalidRequestContent(f"Could not parse request body into json: {exc}") from None
    request_id = str(uuid.uuid4())
    response_headers["x-amzn-requestid"] = request_id
    response_headers["x-amz-executed-version"] = getattr(self, "version", "$LATEST") or "$LATEST"
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        threading.Thread(target=_run_async, args=(self, event, request_id), daemon=True,
                         name=f"lambda-{self.function_name}").start()
        return b""
    log_lines: list[str] = []
    try:
        answer = run_function(self, event, request_id, log_lines).encode()
    except FunctionError as error:
        response_headers["x-amz-function-error"] = "Unhandled"
        answer = json.dumps(error.payload()).encode()
    if (request_headers.get("x-amz-log-type") or "").lower() == "tail":
        tail = "\n".join(log_lines).encode()[-LOG_TAIL_BYTES:] + b"\n"
        response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
    return answer


def _run_async(function: LambdaFunction, event: Any, request_id: str) -> None:
    try:
        run_function(function, event, request_id)
        log.info("asynchronous invocation %s of %s succeeded", request_id, function.function_name)
    except FunctionError as error:  # AWS would retry twice, then drop it or send it to a DLQ
        log.warning("asynchronous invocation %s of %s failed: %s: %s", request_id, function.function_name,
                    error.error_type, error.message)
    except Exception:  # the stack could not run it (e.g. the role cannot be assumed): nobody waits for an answer
        log.exception("asynchronous invocation %s of %s could not run", request_id, function.function_name)


def run_function(function: LambdaFunction, event: Any, request_id: str, log_lines: list[str] | None = None) -> str:
    """Run the function's handler on `event`; the JSON of its result, or FunctionError. The invocation's log
    (START, the handler's output, END, REPORT) goes to `log_lines` and to the function's CloudWatch log group."""
    lines = [] if log_lines is None else log_lines
    with _RUNTIME_LOCK:  # sessions and clients are created from one cached session: one invocation at a time
        started = time.monotonic()
        lines.append(f"START RequestId: {request_id} Version: $LATEST")
        session = None
        try:
            session = _role_session(function)
            return _run_handler(function, session, event, request_id, lines)
        except FunctionError as error:
            trace = "".join(error.stack_trace)
            lines.append(f"[ERROR] {error.error_type}: {error.message}"
                         + (f"\nTraceback (most recent call last):\n{trace}" if trace else ""))
            raise
        finally:
            elapsed_ms = (time.monotonic() - started) * 1000
            lines.append(f"END RequestId: {request_id}")
            lines.append(f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\tBilled Duration: "
                         f"{math.ceil(elapsed_ms)} ms\tMemory Size: {getattr(function, 'memory_size', 128)} MB")
            if session is not None:
                _write_log(function, session, lines)


def _run_handler(function: LambdaFunction, session: boto3.Session, event: Any, request_id: str,
                 lines: list[str]) -> str:
    variables = dict(function.environment_vars or {})
    timeout = float(getattr(function, "timeout", 3) or 3)
    context = LambdaContext(
        function_name=function.function_name, function_version="$LATEST",
        invoked_function_arn=function.function_arn, memory_limit_in_mb=int(getattr(function, "memory_size", 128)),
        aws_request_id=request_id, log_group_name=_log_group(function),
        log_stream_name=_log_stream(request_id), deadline=time.monotonic() + timeout)
    log.info("invoking %s (%s) as %s", function.function_name, function.handler, function.role)
    with _function_runtime(session, variables, function) as task_root, _captured_output(request_id, lines):
        handler = load_handler(function.handler, task_root)
        try:
            result = handler(event, context)
        except BaseException as exc:  # the function's own error (even SystemExit), reported as Lambda does
            frames = traceback.extract_tb(exc.__traceback__)[1:]  # without this runtime's own frame
            raise FunctionError(type(exc).__name__, str(exc), traceback.format_list(frames)) from None
    try:
        return json.dumps(result)
    except (TypeError, ValueError) as exc:
        raise FunctionError("Runtime.MarshalError", f"Unable to marshal response: {exc}") from None


def _role_session(function: LambdaFunction) -> boto3.Session:
    """The function's role in its account, reused for a while (assuming a role costs more than a short call)."""
    key = (function.account_id, function.region, function.role)
    with _sessions_lock:
        cached = _role_sessions.get(key)
        if cached is not None and time.monotonic() - cached[0] < ROLE_SESSION_REUSE_SECONDS:
            return cached[1]
    try:
        # Lambda assumes the execution role for the function (aws:SourceAccount, aws:SourceArn).
        session = inprocess.session(function.account_id, function.region, role_arn=function.role,
                                    service="lambda.amazonaws.com", source_arn=function.function_arn)
    except Exception as exc:  # e.g. a role STS refuses
        raise FunctionError("Runtime.AssumeRoleFailure", f"The function's role {function.role} cannot be assumed: "
                            f"{exc}") from None
    with _sessions_lock:
        _role_sessions[key] = (time.monotonic(), session)
    return session


def forget_role_sessions() -> None:
    """After a moto reset the cached credentials name roles that no longer exist."""
    with _sessions_lock:
        _role_sessions.clear()


def _log_group(function: LambdaFunction) -> str:
    return (getattr(function, "logging_config", None) or {}).get("LogGroup") or f"/aws/lambda/{function.function_name}"


def _log_stream(request_id: str) -> str:
    return f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{request_id.replace('-', '')}"


def _write_log(function: LambdaFunction, session: boto3.Session, lines: list[str]) -> None:
    """The invocation's log to the function's log group, written as the function's role (as Lambda does)."""
    group, stream = _log_group(function), _log_stream(str(uuid.uuid4()))
    try:
        # Lambda creates the group only when it is missing: a role writing to a group made beforehand (Terraform)
        # needs no logs:CreateLogGroup.
        missing = group not in logs_backends[function.account_id][function.region].groups
        put_log_lines(session.client("logs"), group, stream, lines, create_group=missing)
    except Exception as exc:  # Lambda drops the logs when the role may not write them; so does the stack
        log.warning("the log of %s could not be written to %s: %s", function.function_name, group, exc)


class _ThreadLogHandler(logging.Handler):
    """The handler's log records (this thread's only), formatted as the Python runtime does."""

    def __init__(self, request_id: str, lines: list[str]):
        super().__init__()
        self.thread, self.request_id, self.lines = threading.get_ident(), request_id, lines

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and not record.name.startswith(("botocore", "boto3", "urllib3", "moto")):
            moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            self.lines.append(f"[{record.levelname}]\t{moment.replace('+00:00', 'Z')}\t{self.request_id}\t"
                              f"{record.getMessage()}")


@contextlib.contextmanager
def _captured_output(request_id: str, lines: list[str]) -> Iterator[None]:
    """What the handler prints and logs, into the invocation's log lines."""
    output = io.StringIO()
    handler = _ThreadLogHandler(request_id, lines)
    logging.getLogger().addHandler(handler)
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            yield
    finally:
        logging.getLogger().removeHandler(handler)
        lines.extend(output.getvalue().splitlines())


@contextlib.contextmanager
def _code_package(function: LambdaFunction) -> Iterator[Path]:
    """The function's deployment package unpacked in a temporary folder (its /var/task), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"lambda-{function.function_name}-") as task_root:
        code = getattr(function, "code_bytes", b"") or b""
        try:
            with zipfile.ZipFile(io.BytesIO(code)) as package:
                package.extractall(task_root)
        except zipfile.BadZipFile:
            raise FunctionError("Runtime.ImportModuleError", f"Unable to import module: the deployment package "
                                f"of {function.function_name} is not a zip file") from None
        yield Path(task_root)


def load_handler(handler: str, task_root: Path):
    """'latest_approved_model.handler' -> the function, from the unpacked deployment package."""
    module_name, _, function_name = (handler or "").rpartition(".")
    if not module_name:
        raise FunctionError("Runtime.MalformedHandlerName",
                            f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)")
    path = task_root / f"{module_name.replace('.', '/')}.py"
    if not path.is_file():
        raise FunctionError("Runtime.ImportModuleError",
                            f"Unable to import module '{module_name}': No module named '{module_name}'")
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # an import-time error of the function's code
        raise FunctionError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}") from None
    if not callable(getattr(module, function_name, None)):
        raise FunctionError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return getattr(module, function_name)


class ThreadEnviron(MutableMapping):
    """os.environ with a per-thread overlay: a function's variables are seen by its own thread only.

    Other threads of the server (pipeline steps, the subprocesses they start, which inherit the process's real
    environment) never see a function's variables or its role's credentials.
    """

    def __init__(self, base: MutableMapping[str, str]):
        self.base = base
        self._local = threading.local()

    @property
    def overlay(self) -> dict[str, str] | None:
        return getattr(self._local, "overlay", None)

    @contextlib.contextmanager
    def overlaid(self, variables: Mapping[str, str]) -> Iterator[None]:
        previous, self._local.overlay = self.overlay, dict(variables)
        try:
            yield
        finally:
            self._local.overlay = previous

    def __getitem__(self, key: str) -> str:
        overlay = self.overlay
        if overlay is not None and key in overlay:
            return overlay[key]
        return self.base[key]

    def __setitem__(self, key: str, value: str) -> None:
        if self.overlay is not None:
            self.overlay[key] = value
        else:
            self.base[key] = value

    def __delitem__(self, key: str) -> None:
        overlay = self.overlay
        if overlay is not None and key in overlay:
            del overlay[key]
        else:
            del self.base[key]

    def __iter__(self) -> Iterator[str]:
        overlay = self.overlay or {}
        yield from overlay
        yield from (key for key in self.base if key not in overlay)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> dict[str, str]:
        return dict(self)


_function_session = threading.local()  # the role session of the function running in this thread


def _default_session_of_this_thread(original=boto3._get_default_session) -> boto3.Session:
    session = getattr(_function_session, "session", None)
    return session if session is not None else original()


@contextlib.contextmanager
def _function_runtime(session: boto3.Session, variables: Mapping[str, str],
                      function: LambdaFunction) -> Iterator[Path]:
    """The function's package, environment, region and role credentials, for the duration of one invocation."""
    credentials = session.get_credentials().get_frozen_credentials()
    runtime = {**variables, "AWS_REGION": function.region, "AWS_DEFAULT_REGION": function.region,
               "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
               "AWS_ACCESS_KEY_ID": credentials.access_key, "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
               "AWS_SESSION_TOKEN": credentials.token or "",
               # A session the handler makes itself (boto3.session.Session()) reaches this stack, as one made in
               # a real function reaches AWS.
               "AWS_ENDPOINT_URL": inprocess.endpoint()}
    # One at a time: the package's modules are imported through the process-wide sys.path and sys.modules.
    with _RUNTIME_LOCK, _code_package(function) as task_root, os.environ.overlaid(runtime):
        _function_session.session = session  # boto3.client(...) inside the handler acts as the function's role
        sys.path.insert(0, str(task_root))  # the package's other modules import as in /var/task
        try:
            yield task_root
        finally:
            sys.path.remove(str(task_root))
            for name, module in list(sys.modules.items()):
                if str(getattr(module, "__file__", "") or "").startswith(str(task_root)):
                    del sys.modules[name]
            _function_session.session = None
