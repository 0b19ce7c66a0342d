"""boto3 sessions that speak the AWS API to the stack they run in, without a socket.

What the stack emulates behind the AWS API (pipeline executions, event delivery, schedules) acts as AWS
services do: through the APIs of the other services, with the credentials of a role in an account. Inside the
server process those calls go straight to the server's own WSGI application: botocore's `before-send` event
lets a handler answer a prepared request itself, so signing, serialisation, parsing and error shapes stay
botocore's and nothing but the network hop is skipped.

The server calls `install(app, endpoint)` once; `session(account_id, region, role_arn)` then gives a session
whose clients reach that application, acting in `account_id` (through an assumed role when it is not the
stack's default account).
"""

from __future__ import annotations

import io
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.credentials import RefreshableCredentials
from werkzeug.test import EnvironBuilder, run_wsgi_app

from pipelines.aws import botocore_session

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's account for its fake keys
FAKE_KEY = "testing"
ROLE_SESSION_NAME = "mlops-local-stack"
SERVICE_ROLE_NAME = "mlops-local-admin"
# An AssumeRole the stack makes for a service names the service principal and the source the service acts for;
# the authorization layer then evaluates the role's trust policy for that principal, with aws:SourceAccount and
# aws:SourceArn as the service sets them, instead of the administrator's call.
ACTING_SERVICE_HEADER = "X-Mlops-Local-Acting-Service"
SOURCE_ACCOUNT_HEADER = "X-Mlops-Local-Source-Account"
SOURCE_ARN_HEADER = "X-Mlops-Local-Source-Arn"
# The service principals the stack's services assume roles as.
SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
S3_PRINCIPAL = "s3.amazonaws.com"

_state: dict[str, Any] = {}
_state_lock = threading.Lock()


class _RawBody:
    """What botocore reads a response body from: `stream()` and `read()`."""

    def __init__(self, body: bytes):
        self._stream = io.BytesIO(body)

    def stream(self, **kwargs) -> Any:
        contents = self._stream.read()
        while contents:
            yield contents
            contents = self._stream.read()

    def read(self, *args) -> bytes:
        return self._stream.read(*args)


class WsgiTransport:
    """A `before-send` handler that answers every request by calling `app` in this process."""

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, request: AWSPreparedRequest, **kwargs) -> AWSResponse:
        url = urllib.parse.urlsplit(request.url)
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        headers = {name: value.decode() if isinstance(value, bytes) else value
                   for name, value in request.headers.items()}
        environ = EnvironBuilder(
            path=urllib.parse.unquote(url.path) or "/", query_string=url.query, method=request.method,
            headers=headers, data=body if isinstance(body, bytes) else (body or "").encode(),
            base_url=f"{url.scheme}://{url.netloc}",
        ).get_environ()
        # moto reads the raw path (it keeps S3 keys' escapes) from here, as werkzeug's server sets it.
        environ["RAW_URI"] = environ["REQUEST_URI"] = url.path + (f"?{url.query}" if url.query else "")
        app_iter, status, response_headers = run_wsgi_app(self.app, environ, buffered=True)
        try:
            content = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        return AWSResponse(request.url, int(status.split(" ", 1)[0]), dict(response_headers), _RawBody(content))


class InProcessSession(boto3.Session):
    """A boto3 session whose clients call the stack's application in this process."""

    def __init__(self, endpoint: str, transport: WsgiTransport, **kwargs):
        super().__init__(botocore_session=botocore_session(), **kwargs)
        self.endpoint = endpoint
        self.events.register("before-send", transport)

    def client(self, service_name: str, *args, **kwargs):
        kwargs.setdefault("endpoint_url", self.endpoint)
        return super().client(service_name, *args, **kwargs)

    def resource(self, service_name: str, *args, **kwargs):
        kwargs.setdefault("endpoint_url", self.endpoint)
        return super().resource(service_name, *args, **kwargs)


def install(app: Callable, endpoint: str) -> None:
    """Called once by the server: the application and the endpoint URL its clients name."""
    with _state_lock:
        _state.update(transport=WsgiTransport(app), endpoint=endpoint)


def is_installed() -> bool:
    return "transport" in _state


def endpoint() -> str:
    """The stack's own endpoint URL, for code that makes its sessions itself (a Lambda handler's boto3.Session())."""
    if not is_installed():
        raise RuntimeError("localaws.inprocess.install(app, endpoint) has not been called")
    return _state["endpoint"]


def session(account_id: str, region: str, role_arn: str | None = None, service: str | None = None,
            source_arn: str | None = None) -> InProcessSession:
    """A session acting in `account_id`: as `role_arn` when given (a pipeline's or a function's role, as the
    service would), otherwise as the stack's admin role there; the default account's own keys need neither.
    `service` (a service principal such as sagemaker.amazonaws.com) assumes `role_arn` as that service does for
    `source_arn` in `account_id`, so the role's trust policy decides. The role's credentials are renewed before
    they expire, as the services' own credential providers do."""
    if not is_installed():
        raise RuntimeError("localaws.inprocess.install(app, endpoint) has not been called: "
                           "in-process sessions exist only inside the local stack server")
    transport, endpoint = _state["transport"], _state["endpoint"]
    base = InProcessSession(endpoint, transport, aws_access_key_id=FAKE_KEY, aws_secret_access_key=FAKE_KEY,
                            region_name=region)
    if role_arn is None and account_id == DEFAULT_ACCOUNT_ID:
        return base
    role_arn = role_arn or f"arn:aws:iam::{account_id}:role/{SERVICE_ROLE_NAME}"
    sts = base.client("sts")
    if service is not None:
        acting = {ACTING_SERVICE_HEADER: service, SOURCE_ACCOUNT_HEADER: account_id}
        if source_arn:
            acting[SOURCE_ARN_HEADER] = source_arn

        def name_the_service(request, **_) -> None:
            for header, value in acting.items():
                request.headers[header] = value

        sts.meta.events.register("before-sign.sts.AssumeRole", name_the_service)

    def assume() -> dict[str, str]:
        answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME)["Credentials"]
        return {"access_key": answer["AccessKeyId"], "secret_key": answer["SecretAccessKey"],
                "token": answer["SessionToken"], "expiry_time": answer["Expiration"].isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(assume(), assume, "assume-role")
    role_session = InProcessSession(endpoint, transport, region_name=region)
    role_session._session._credentials = credentials  # botocore's way to give a session refreshable credentials
    return role_session
