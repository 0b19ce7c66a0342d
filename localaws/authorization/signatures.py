"""Who signed a request, and whether the signature is right: AWS Signature Version 4 in an `Authorization`
header or in a presigned URL's query string, and S3's version 2 presigned URLs (what boto3's
`generate_presigned_url` gives for S3 in us-east-1).

The signature is recomputed with botocore's own signer over the request as it arrived (method, raw path, query,
the signed headers, the payload hash), so what a client's botocore signed is what is checked here.
"""

from __future__ import annotations

import hmac
import re
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import HmacV1Auth, S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
# How far a signature's X-Amz-Date may be from the server's time (AWS: 15 minutes, either way).
MAX_SKEW = timedelta(minutes=15)
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
DEFAULT_REGION = "us-east-1"
_HEADER_FIELDS = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")
_S3_SERVICES = frozenset({"s3"})


@dataclass(frozen=True)
class Signature:
    """The SigV4 fields of a request."""

    access_key_id: str
    date: str  # yyyymmdd of the credential scope
    region: str
    service: str  # the signing name: "s3", "sagemaker", "execute-api", ...
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str  # X-Amz-Date
    session_token: str | None
    presigned: bool
    version: int = 4
    expires: str = ""  # a presigned URL's X-Amz-Expires (seconds), or a version 2 one's Expires (epoch seconds)


def read_signature(headers: dict[str, str], query: dict[str, list[str]]) -> Signature | None:
    """The signature of a request (`headers` with lower-case names, `query` as parse_qs gives it); None when the
    request is not signed with SigV4 (anonymous)."""
    authorization = headers.get("authorization", "")
    if authorization.startswith(ALGORITHM):
        fields = dict(_HEADER_FIELDS.findall(authorization))
        credential, signed, signature = fields.get("Credential"), fields.get("SignedHeaders"), fields.get("Signature")
        timestamp, token, presigned = headers.get("x-amz-date", ""), headers.get("x-amz-security-token"), False
        expires = ""
    elif query.get("X-Amz-Algorithm", [""])[0] == ALGORITHM:
        credential = query.get("X-Amz-Credential", [None])[0]
        signed = query.get("X-Amz-SignedHeaders", [None])[0]
        signature = query.get("X-Amz-Signature", [None])[0]
        timestamp, expires = query.get("X-Amz-Date", [""])[0], query.get("X-Amz-Expires", [""])[0]
        token, presigned = query.get("X-Amz-Security-Token", [None])[0], True
    elif "AWSAccessKeyId" in query and "Signature" in query and "Expires" in query:
        return Signature(access_key_id=query["AWSAccessKeyId"][0], date="", region=DEFAULT_REGION, service="s3",
                         signed_headers=(), signature=query["Signature"][0], timestamp="",
                         session_token=query.get("x-amz-security-token", [None])[0], presigned=True, version=2,
                         expires=query["Expires"][0])
    else:
        return None
    scope = (credential or "").split("/")
    if len(scope) != 5 or not signed or not signature:
        raise MalformedSignature("the Authorization header or presigned query is not a complete SigV4 signature "
                                 "(Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders, Signature)")
    return Signature(access_key_id=scope[0], date=scope[1], region=scope[2], service=scope[3],
                     signed_headers=tuple(signed.split(";")), signature=signature, timestamp=timestamp,
                     session_token=token, presigned=presigned, expires=expires)


class MalformedSignature(ValueError):
    """The request claims SigV4 but its fields are incomplete."""


@dataclass(frozen=True)
class Lateness:
    """Why a signature is not current: `kind` is "expired", "not-yet-current" or "presigned-expired"."""

    kind: str
    message: str = ""


def lateness(signature: Signature, now: datetime) -> Lateness | None:
    """Whether `signature` is too old or too far ahead of `now` (the real UTC time: clients sign with the wall
    clock, whatever the stack's movable clock says). A header signature is current for 15 minutes either side of
    its X-Amz-Date; a presigned URL until X-Amz-Date + X-Amz-Expires (version 2: until Expires)."""
    if signature.version == 2:
        expired = signature.expires.isdigit() and now.timestamp() > int(signature.expires)
        return Lateness("presigned-expired") if expired else None
    signed_at = _timestamp(signature.timestamp)
    if signed_at is None:
        return None  # no usable date: the signature itself does not match
    if signature.presigned:
        lifetime = int(signature.expires) if signature.expires.isdigit() else 0
        return Lateness("presigned-expired") if now > signed_at + timedelta(seconds=lifetime) else None
    stamp = now.strftime(TIMESTAMP_FORMAT)
    if signed_at < now - MAX_SKEW:
        return Lateness("expired", f"Signature expired: {signature.timestamp} is now earlier than "
                                   f"{(now - MAX_SKEW).strftime(TIMESTAMP_FORMAT)} ({stamp} - 15 min.)")
    if signed_at > now + MAX_SKEW:
        return Lateness("not-yet-current", f"Signature not yet current: {signature.timestamp} is still later than "
                                           f"{(now + MAX_SKEW).strftime(TIMESTAMP_FORMAT)} ({stamp} + 15 min.)")
    return None


_TIMESTAMP = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")


def _timestamp(text: str) -> datetime | None:
    """An X-Amz-Date (yyyymmddThhmmssZ) as a UTC datetime (strptime is slow on every request)."""
    match = _TIMESTAMP.fullmatch(text)
    try:
        return None if match is None else datetime(*map(int, match.groups()), tzinfo=UTC)
    except ValueError:  # a well-formed but impossible date
        return None


def signature_matches(signature: Signature, secret_key: str, method: str, raw_uri: str, headers: dict[str, str],
                      body: bytes) -> bool:
    """True when `signature` is what `secret_key` gives over this request (`raw_uri`: path and query as sent)."""
    credentials = Credentials(signature.access_key_id, secret_key, signature.session_token)
    if signature.version == 2:
        return _v2_matches(signature, credentials, method, raw_uri, headers)
    s3 = signature.service in _S3_SERVICES
    if signature.presigned:
        auth_class = S3SigV4QueryAuth if s3 else SigV4QueryAuth
        auth = auth_class(credentials, signature.service, signature.region, expires=0)
        path, _, query = raw_uri.partition("?")
        # The signature signs every query parameter but itself.
        kept = [pair for pair in query.split("&") if pair and not pair.startswith("X-Amz-Signature=")]
        raw_uri = path + ("?" + "&".join(kept) if kept else "")
    else:
        auth = (S3SigV4Auth if s3 else SigV4Auth)(credentials, signature.service, signature.region)
    signed = {name: value for name, value in headers.items() if name in signature.signed_headers}
    host = headers.get("host", "localhost")
    request = AWSRequest(method=method, url=f"http://{host}{raw_uri}", data=body, headers=signed)
    request.context["timestamp"] = signature.timestamp
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    return hmac.compare_digest(expected, signature.signature)


class _ExpiresAt(HmacV1Auth):
    """Version 2 signing with the URL's own Expires where botocore puts the current time."""

    def __init__(self, credentials: Credentials, expires: str):
        super().__init__(credentials)
        self.expires = expires

    def _get_date(self) -> str:
        return self.expires


def _v2_matches(signature: Signature, credentials: Credentials, method: str, raw_uri: str,
                headers: dict[str, str]) -> bool:
    """S3's query-string authentication (version 2): HMAC-SHA1 over the method, Content-MD5, Content-Type,
    Expires, the x-amz- headers and the resource with its sub-resources."""
    auth = _ExpiresAt(credentials, signature.expires)
    signed = HTTPHeaders()
    for name in ("content-md5", "content-type"):
        if name in headers:
            signed[name] = headers[name]
    if signature.session_token:
        signed["x-amz-security-token"] = signature.session_token
    expected = auth.sign_string(auth.canonical_string(method, urllib.parse.urlsplit(raw_uri), signed))
    return hmac.compare_digest(expected, urllib.parse.unquote(signature.signature))


def query_of(raw_uri: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(raw_uri.partition("?")[2], keep_blank_values=True)
