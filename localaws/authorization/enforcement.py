"""The authorization layer of the stack server: a WSGI wrapper in front of moto that decides every AWS call.

Modes (`python -m localaws.server --authorization MODE`, `mlops-local up --authorization MODE`):
* `off`: nothing is checked or recorded; moto answers as it always did.
* `soft`: every call is decided and recorded in the trail; a would-be denial is recorded and the call allowed.
* `enforce` (the default): a denial answers in the service's own error shape (AccessDenied, AccessDeniedException,
  AuthorizationError for SNS, SignatureDoesNotMatch, ...) with AWS's message, and the call does not run.

A call is: who signed it (signatures.py, identities.py; a wrong signature or an unknown key ends there), what
operation it is and what it needs authorized (operations.py), the resource policies and owners involved
(resources.py), each check evaluated by the policy engine, and a trail record (trail.py).

The stack's own routes (`/moto-api/...`, `/_mlops/...` but the health probe and the console) answer only local
tooling when a management token is configured (MLOPS_LOCAL_STACK_TOKEN in the server's environment): the tools
send it in the `X-Mlops-Local-Token` header; a signed AWS caller has no business there.
"""

from __future__ import annotations

import hmac
import io
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from botocore.exceptions import DataNotFoundError
from moto.core.request import Request
from werkzeug.wsgi import get_input_stream

from localaws.authorization import cache, identities, operations, resources, signatures, trail
from localaws.authorization.evaluation import Request as EvaluationRequest
from localaws.authorization.evaluation import ResourceKind, evaluate
from localaws.authorization.messages import access_denied_message
from localaws.authorization.principals import Principal as EvaluatedPrincipal
from localaws.authorization.principals import PrincipalType
from localaws.inprocess import ACTING_SERVICE_HEADER, SOURCE_ACCOUNT_HEADER, SOURCE_ARN_HEADER
from localaws.middleware import HEALTH_SETTINGS, on_reset, on_restore
from pipelines.aws import (
    AUTHORIZATION_MODES,
    DEFAULT_AUTHORIZATION,
    HEALTH_PATH,
    STACK_TOKEN_HEADER,
    STACK_TOKEN_VARIABLE,
)

log = logging.getLogger(__name__)

TOKEN_HEADER = STACK_TOKEN_HEADER
TOKEN_ENVIRONMENT_VARIABLE = STACK_TOKEN_VARIABLE
MANAGEMENT_PREFIXES = ("/moto-api", "/_mlops/")
# The console is a person's browser, which sends no token: it shows what the administrator (whose keys are the
# stack's public fake ones) reads, and its one action is decided by IAM as the role its form names.
CONSOLE_PATH = "/_mlops/console"

SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                      "Secret Access Key and signing method. Consult the service documentation for details.")
S3_SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. "
                         "Check your key and signing method.")
INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105 - AWS's message
S3_INVALID_KEY = "The AWS Access Key Id you provided does not exist in our records."
S3_SKEWED = "The difference between the request time and the current time is too large."
PRESIGNED_EXPIRED = "Request has expired"
EXPIRED_TOKEN = "The security token included in the request is expired"  # noqa: S105 - AWS's message
S3_EXPIRED_TOKEN = "The provided token has expired."  # noqa: S105 - AWS's message

# The error code an access denial has in each service (AWS's own; the rest answer AccessDeniedException).
_DENIED_CODES = {"s3": "AccessDenied", "sts": "AccessDenied", "iam": "AccessDenied", "sqs": "AccessDenied",
                 "cloudwatch": "AccessDenied", "sns": "AuthorizationError"}
# An unknown access key: query services say InvalidClientTokenId, JSON ones UnrecognizedClientException.
_QUERY_PROTOCOLS = ("query", "ec2")


@dataclass(frozen=True)
class Outcome:
    """What the layer decided about one call."""

    allowed: bool
    code: str | None = None
    message: str | None = None
    status: int = 403


@dataclass
class Settings:
    mode: str = DEFAULT_AUTHORIZATION
    token: str | None = None


settings = Settings()


def configure(mode: str, token: str | None) -> None:
    if mode not in AUTHORIZATION_MODES:
        raise ValueError(f"authorization mode must be one of {', '.join(AUTHORIZATION_MODES)}, got {mode!r}")
    settings.mode, settings.token = mode, token or None
    HEALTH_SETTINGS["authorization"] = mode


def install() -> None:
    identities.install()


@on_reset
def _forget() -> None:
    identities.reset()
    cache.bump()


on_restore(cache.bump)


class AuthorizationLayer:
    """WSGI wrapper: the management routes' token check, then (soft/enforce) every AWS call's decision."""

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(MANAGEMENT_PREFIXES):
            if path.rstrip("/") in (HEALTH_PATH, CONSOLE_PATH) or path.startswith(CONSOLE_PATH + "/") or \
                    self._tooling(environ):
                return self.app(environ, start_response)
            return _json_error(start_response, 403, {"error": f"{path} answers only the stack's own tooling "
                                                              f"(the {TOKEN_HEADER} header)"})
        if settings.mode == "off":
            return self.app(environ, start_response)
        body = get_input_stream(environ).read()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        try:
            outcome, call = self._decide(environ, body)
        except Exception:  # a bug here must not take the server down; in enforce mode it denies (fail closed)
            log.exception("authorization failed on %s %s", environ.get("REQUEST_METHOD"), path)
            outcome, call = Outcome(False, "InternalFailure", "the stack's authorization layer failed", 500), None
        if outcome.allowed or settings.mode == "soft":
            environ["wsgi.input"] = io.BytesIO(body)
            if call is None or not cache.changes_authorization(call.service, call.operation):
                return self.app(environ, start_response)
            # The change lands inside the call: decisions made before it ends are of the generation it ends.
            cache.bump()
            try:
                return self.app(environ, start_response)
            finally:
                cache.bump()
        return _error_response(start_response, call, environ, outcome)

    @staticmethod
    def _tooling(environ: dict[str, Any]) -> bool:
        if settings.token is None or settings.mode == "off":
            return True
        sent = environ.get("HTTP_" + TOKEN_HEADER.upper().replace("-", "_"), "")
        return hmac.compare_digest(sent.encode(), settings.token.encode())

    def _decide(self, environ: dict[str, Any], body: bytes) -> tuple[Outcome, operations.Call | None]:
        probe = dict(environ)
        probe["wsgi.input"] = io.BytesIO(body)
        request = Request(probe)
        headers = operations.Headers.of(request)
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
        signature = signatures.read_signature(headers, signatures.query_of(raw_uri))
        region = signature.region if signature else "us-east-1"
        principal, access_key, signing_name = identities.ANONYMOUS, None, _unsigned_service(headers)
        outcome: Outcome | None = None
        generation = cache.decisions.generation  # read before any state the decisions depend on
        if signature is not None:
            access_key, signing_name = signature.access_key_id, signature.service
            now = datetime.now(UTC)  # the real clock, which clients sign with (not the stack's movable one)
            late = signatures.lateness(signature, now)
            if late is not None:
                outcome = _late(signing_name, late)
            try:
                principal = _signer(signature.access_key_id, signature.session_token)
            except identities.UnknownAccessKey:
                outcome = outcome or _invalid_key(signing_name)
            if outcome is None and not signatures.signature_matches(signature, principal.secret_key,
                                                                    request.method, raw_uri, headers, body):
                outcome = Outcome(False, "SignatureDoesNotMatch",
                                  S3_SIGNATURE_MISMATCH if signing_name == "s3" else SIGNATURE_MISMATCH)
            if outcome is None and principal.expiration is not None and now >= principal.expiration:
                outcome = _expired_token(signing_name)
        call, unmapped = None, None
        checks: list[operations.Check] = []
        try:
            call = operations.identify(request, headers, signing_name, region)
        except operations.UnmappedOperation as error:
            unmapped = f"The local stack cannot authorize this request: {error}"
            if not principal.is_admin:
                outcome = outcome or Outcome(False, "AccessDenied", unmapped)
        acting = headers.get(ACTING_SERVICE_HEADER.lower())
        if outcome is None and acting and principal.is_admin and call is not None and call.service == "sts":
            # The stack assuming a role for one of its services: the service principal asks, as in AWS.
            source = {"aws:SourceAccount": headers.get(SOURCE_ACCOUNT_HEADER.lower(), "")}
            if headers.get(SOURCE_ARN_HEADER.lower()):
                source["aws:SourceArn"] = headers[SOURCE_ARN_HEADER.lower()]
            checks = [replace(check, context={**check.context, **source})
                      for check in operations.checks(call, principal.account, resources.resolver(principal.account))]
            principal = identities.service(acting)
        elif outcome is None and call is not None:
            try:
                checks = operations.checks(call, principal.account, resources.resolver(principal.account))
            except operations.UnmappedOperation as error:
                unmapped = f"The local stack cannot authorize {call.service}:{call.operation}: {error}"
                # The administrator is never denied, but the trail still says what has no mapping.
                outcome = None if principal.is_admin else Outcome(False, _denied_code(call), unmapped)
        for check in checks if outcome is None and not principal.is_admin else ():
            denial = _denial(principal, access_key, check, environ, region, generation)
            if denial is not None:
                outcome = Outcome(False, _denied_code(call), denial)
                break
        outcome = outcome or Outcome(True)
        self._record(environ, call, principal, access_key, signing_name, region, checks, outcome, unmapped)
        return outcome, call

    @staticmethod
    def _record(environ: dict[str, Any], call: operations.Call | None, principal: identities.Principal,
                access_key: str | None, signing_name: str, region: str, checks: list[operations.Check],
                outcome: Outcome, unmapped: str | None) -> None:
        decision = "Allow" if outcome.allowed else ("WouldDeny" if settings.mode == "soft" else "Deny")
        resource_list = [{"ARN": c.resource, "accountId": resources.resource_account(c.resource) or "",
                          "type": _resource_type(c.resource)} for c in checks if c.resource != "*"]
        accounts = [principal.account] + [r["accountId"] for r in resource_list]
        operation = call.operation if call else environ.get("REQUEST_METHOD", "")
        additional = {"authorizationMode": settings.mode, "authorizationDecision": decision,
                      "administrator": principal.is_admin,
                      "checks": [{"action": c.action, "resource": c.resource} for c in checks]}
        if unmapped:
            additional["unmapped"] = unmapped
            log.info("authorization unmapped: %s", unmapped)
        event = trail.new_event(
            event_source=call.event_source if call else f"{signing_name}.amazonaws.com", event_name=operation,
            region=region, source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            user_agent=environ.get("HTTP_USER_AGENT", ""), identity=trail.user_identity(principal, access_key),
            recipient_account=principal.account or (accounts[1] if len(accounts) > 1 else ""),
            resources=resource_list, error_code=None if outcome.allowed else outcome.code,
            error_message=None if outcome.allowed else outcome.message,
            read_only=operation.startswith(("Get", "List", "Describe", "Head", "Lookup")), additional=additional)
        trail.record(event, accounts if principal.account else accounts[1:])
        if not outcome.allowed:
            log.info("authorization %s: %s", decision, outcome.message)


def service_acting(access_key_id: str, session_token: str | None, checks: list[operations.Check],
                   region: str, user_agent: str) -> str | None:
    """A service acting through a role session with no API call of its own (S3 replication reading the source
    and writing the replica): each check decided as for a call the session signed, and recorded in the trail
    as that action's event. The first denial's message; None when every check is allowed, or the mode lets
    calls through (soft records the would-be denials, off decides nothing)."""
    if settings.mode == "off":
        return None
    generation = cache.decisions.generation
    principal = _signer(access_key_id, session_token)
    environ = {"HTTP_USER_AGENT": user_agent}
    for check in checks:
        denial = _denial(principal, access_key_id, check, environ, region, generation)
        prefix, name = check.action.split(":", 1)
        call = operations.Call(service=prefix, operation=name, params={}, region=region, protocol="")
        outcome = Outcome(True) if denial is None else Outcome(False, _denied_code(call), denial)
        AuthorizationLayer._record(environ, call, principal, access_key_id, prefix, region, [check], outcome, None)
        if denial is not None and settings.mode == "enforce":
            return denial
    return None


def _signer(access_key_id: str, session_token: str | None) -> identities.Principal:
    """The principal of an access key, read from moto once per generation of the stack's state."""
    generation = cache.signers.generation
    principal = cache.signers.get((access_key_id, session_token), generation)
    if principal is None:
        principal = identities.resolve(access_key_id, session_token)
        cache.signers.put((access_key_id, session_token), generation, principal)
    return principal


def _denial(principal: identities.Principal, access_key: str | None, check: operations.Check,
            environ: dict[str, Any], region: str, generation: int) -> str | None:
    """AWS's access denied message for `check`, None when it is allowed; remembered per (principal, action,
    resource, context) for the generation of the state it was decided in."""
    key = (principal.arn, access_key, check.action, check.resource,
           cache.context_key(_request_context(environ, region)), cache.context_key(check.context))
    remembered = cache.decisions.get(key, generation)
    if remembered is not None:
        return remembered[0]
    question = _evaluation_request(principal, check, environ, region)
    decision = evaluate(question)
    denial = None if decision.allowed else access_denied_message(question, decision)
    if not cache.reads_volatile((*principal.identity_policies, principal.permission_boundary,
                                 *principal.session_policies, question.resource_policy)):
        cache.decisions.put(key, generation, (denial,))
    return denial


_PRINCIPAL_TYPES = {"root": PrincipalType.ROOT, "user": PrincipalType.USER,
                    "assumed-role": PrincipalType.ROLE_SESSION, "service": PrincipalType.SERVICE}


def _evaluated_principal(principal: identities.Principal) -> EvaluatedPrincipal:
    """The signer as the engine sees it: its type, ARN chain (a session is also its role) and its policies."""
    kind = _PRINCIPAL_TYPES.get(principal.kind)
    if kind is None:
        return EvaluatedPrincipal.anonymous()
    if kind is PrincipalType.SERVICE:
        return EvaluatedPrincipal.service(principal.arn)
    return EvaluatedPrincipal(kind, arn=principal.arn, account=principal.account, role_arn=principal.role_arn,
                              user_id=principal.user_id or None, identity_policies=principal.identity_policies,
                              permissions_boundary=principal.permission_boundary,
                              session_policies=principal.session_policies, tags=dict(principal.tags))


def _resource_kind(check: operations.Check) -> ResourceKind:
    """Key policies and role trust policies are required (no IAM policy alone grants them)."""
    if check.action.startswith("kms:") and ":key/" in check.resource:
        return ResourceKind.KMS_KEY
    if check.action.lower().startswith("sts:assumerole") and ":role/" in check.resource:
        return ResourceKind.ROLE_TRUST
    return ResourceKind.GENERIC


def _evaluation_request(principal: identities.Principal, check: operations.Check, environ: dict[str, Any],
                        region: str) -> EvaluationRequest:
    owner = principal.account if check.resource == "*" else resources.resource_account(check.resource)
    # The principal's own keys (aws:PrincipalArn, aws:PrincipalType, aws:userid, ...) come from the engine.
    context = _request_context(environ, region)
    context["aws:CurrentTime"] = trail.now()
    if owner:
        context["aws:ResourceAccount"] = owner
    if check.resource != "*":
        tags = resources.resource_tags(check.resource)
        context.update({f"aws:ResourceTag/{key}": value for key, value in tags.items()})
    kind = _resource_kind(check)
    if kind is ResourceKind.KMS_KEY:
        context["kms:ResourceAliases"] = resources.kms_key_aliases(check.resource)
        if principal.account:
            context["kms:CallerAccount"] = principal.account  # every KMS request has it, not only via a service
    context.update(check.context)
    return EvaluationRequest(
        principal=_evaluated_principal(principal), action=check.action, resource=check.resource,
        resource_account=owner or None,
        resource_policy=None if check.resource == "*" else resources.resource_policy(check.resource),
        resource_kind=kind,
        grants=resources.kms_grants(check.resource) if kind is ResourceKind.KMS_KEY else (),
        context=context)


def _request_context(environ: dict[str, Any], region: str) -> dict[str, Any]:
    """The context keys of the request itself (the time aside)."""
    # Clients speak plain HTTP to the loopback stack, which stands in for AWS's TLS-only endpoints.
    return {"aws:SourceIp": environ.get("REMOTE_ADDR", "127.0.0.1"), "aws:SecureTransport": "true",
            "aws:RequestedRegion": region}


def _resource_type(arn: str) -> str:
    """CloudTrail's resource type of an ARN, e.g. AWS::S3::Object, AWS::SageMaker::Pipeline."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5] if len(parts) > 5 else ""
    if service == "s3":
        return "AWS::S3::Object" if "/" in resource else "AWS::S3::Bucket"
    kind = re.split(r"[:/]", resource, maxsplit=1)[0] if ("/" in resource or ":" in resource) else service
    return f"AWS::{service.upper()}::{''.join(word.title() for word in kind.split('-'))}"


def _unsigned_service(headers: operations.Headers) -> str:
    """The service an unsigned request calls: S3 (presigned-less browser GETs, public buckets) unless it names
    a target or an Action."""
    target = headers.get("x-amz-target", "")
    return target.split(".", 1)[0].lower() if target else "s3"


def _invalid_key(signing_name: str) -> Outcome:
    if signing_name == "s3":
        return Outcome(False, "InvalidAccessKeyId", S3_INVALID_KEY)
    protocol = _protocol_of(operations._SIGNING_NAMES.get(signing_name, signing_name))
    code = "InvalidClientTokenId" if protocol in _QUERY_PROTOCOLS else "UnrecognizedClientException"
    return Outcome(False, code, INVALID_TOKEN)


def _late(signing_name: str, late: signatures.Lateness) -> Outcome:
    """A signature out of its time, as each service answers it: S3 says RequestTimeTooSkewed (an expired
    presigned URL: AccessDenied), query services SignatureDoesNotMatch, JSON ones InvalidSignatureException."""
    if signing_name == "s3":
        if late.kind == "presigned-expired":
            return Outcome(False, "AccessDenied", PRESIGNED_EXPIRED)
        return Outcome(False, "RequestTimeTooSkewed", S3_SKEWED)
    message = late.message or "Signature expired"
    protocol = _protocol_of(operations._SIGNING_NAMES.get(signing_name, signing_name))
    if protocol in _QUERY_PROTOCOLS:
        return Outcome(False, "SignatureDoesNotMatch", message)
    return Outcome(False, "InvalidSignatureException", message, 403 if protocol == "rest-json" else 400)


def _expired_token(signing_name: str) -> Outcome:
    """Temporary credentials past their expiration."""
    if signing_name == "s3":
        return Outcome(False, "ExpiredToken", S3_EXPIRED_TOKEN, 400)
    protocol = _protocol_of(operations._SIGNING_NAMES.get(signing_name, signing_name))
    if protocol in _QUERY_PROTOCOLS:
        return Outcome(False, "ExpiredToken", EXPIRED_TOKEN)
    return Outcome(False, "ExpiredTokenException", EXPIRED_TOKEN, 400)


def _denied_code(call: operations.Call | None) -> str:
    if call is None:
        return "AccessDenied"
    return _DENIED_CODES.get(call.service, "AccessDeniedException")


def _protocol_of(service: str) -> str:
    try:
        return operations.service_model(service).protocol
    except DataNotFoundError:  # a service botocore does not know: answer in the most common shape
        return "json"


# ------------------------------------------------------------------------------------------ error shapes

def _json_error(start_response: Callable, status: int, body: dict) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    start_response(f"{status} ERROR", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _error_response(start_response: Callable, call: operations.Call | None, environ: dict[str, Any],
                    outcome: Outcome) -> Iterable[bytes]:
    """The denial in the shape of the called service's protocol, as AWS answers it."""
    request_id = str(uuid.uuid4())
    service = call.service if call else "s3"
    protocol = call.protocol if call else _protocol_of(service)
    code, message = outcome.code, outcome.message or ""
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == "rest-xml":
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}'
                f"</Message><RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>").encode()
        headers += [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    elif protocol in _QUERY_PROTOCOLS:
        version = operations.service_model(service).api_version
        body = (f'<ErrorResponse xmlns="https://{service}.amazonaws.com/doc/{version}/"><Error><Type>Sender</Type>'
                f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        headers.append(("Content-Type", "text/xml"))
    elif protocol == "rest-json":
        body = json.dumps({"Type": "User", "Message": message, "message": message}).encode()
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", f"{code}:")]
    else:  # json (and rpc-v2, answered as json)
        model = operations.service_model(service)
        body = json.dumps({"__type": code, "message": message}).encode()
        headers.append(("Content-Type", f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.1')}"))
        if model.metadata.get("awsQueryCompatible") is not None:
            headers.append(("x-amzn-query-error", f"{code};Sender"))
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{outcome.status} {'Forbidden' if outcome.status == 403 else 'Error'}", headers)
    return [body]
