"""Resource-based policies and resource owners, read from moto's backends (and the project's extensions).

`resource_policy(arn)` answers the parsed policy (or None) for the resources whose AWS service has resource
policies: S3 bucket policy, KMS key policy (its grants: `kms_grants(arn)`), SNS topic policy, SQS queue policy,
Lambda function policy, SageMaker model package group policy (localaws.model_registry), EventBridge bus policy,
Secrets Manager secret policy and an IAM role's trust policy (for sts:AssumeRole).
`resolve(kind, value, region)` turns names the caller gave into the ARNs the stack knows (operations.py).
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.core.exceptions import ServiceException
from moto.events.models import events_backends
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from werkzeug.exceptions import HTTPException

from localaws.authorization.identities import ADMIN_ROLE_NAME, PARTITION, tag_pairs
from localaws.authorization.kms import Grant
from localaws.authorization.policy import Policy, PolicyKind, parse_policy


def _document(text: Any) -> dict | None:
    if text is None or text == "":
        return None
    if isinstance(text, bytes):
        text = text.decode()
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(urllib.parse.unquote(text))


def _split(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "", "", "", ""
    return parts[2], parts[3], parts[4], parts[5]


def bucket_owner(bucket: str) -> str | None:
    owner = s3_backends.bucket_accounts.get(bucket)
    return None if owner is None else owner[1]


def resource_account(arn: str) -> str | None:
    service, _, account, resource = _split(arn)
    if service == "s3":
        return bucket_owner(resource.split("/", 1)[0])
    return account or None


def resource_policy(arn: str) -> Policy | None:
    """The resource-based policy that governs `arn`, or None (none set, or the service has none)."""
    service, region, account, resource = _split(arn)
    try:
        reader = _READERS.get(service)
        document = None if reader is None else reader(region, account, resource, arn)
    except (KeyError, LookupError, AttributeError, ValueError, ServiceException, HTTPException):
        return None  # a resource that does not exist has no policy; the service answers its own not-found
    return None if document is None else _parsed(json.dumps(document, sort_keys=True))


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> Policy:
    # The service validated the policy when it was put; a PolicyError here is a stack bug and fails closed.
    return parse_policy(text, PolicyKind.RESOURCE)


def _s3(region: str, account: str, resource: str, arn: str) -> dict | None:
    bucket = resource.split("/", 1)[0]
    owner = bucket_owner(bucket)
    return None if owner is None else _document(s3_backends[owner][PARTITION].buckets[bucket].policy)


def _kms(region: str, account: str, resource: str, arn: str) -> dict | None:
    key = kms_backends[account][region].keys[resource.split("/", 1)[1]]
    return _document(key.policy) or {"Version": "2012-10-17", "Statement": []}


def kms_grants(arn: str) -> tuple[Grant, ...]:
    """The grants of a KMS key, for the engine (a grant allows its grantee the grant's operations)."""
    _, region, account, resource = _split(arn)
    try:
        key = kms_backends[account][region].keys[resource.split("/", 1)[1]]
    except (KeyError, LookupError, IndexError):
        return ()
    grants = []
    for grant in list(key.grants.values()):
        constraints = grant.constraints or {}
        grantee = grant.grantee_principal
        if not grantee.startswith("arn:"):
            continue  # a service principal grantee needs a SourceArn constraint, which moto does not keep
        grants.append(Grant(grantee_principal=grantee, operations=tuple(grant.operations),
                            encryption_context_subset=constraints.get("EncryptionContextSubset"),
                            encryption_context_equals=constraints.get("EncryptionContextEquals"),
                            grant_id=grant.id, name=grant.name))
    return tuple(grants)


def _sns(region: str, account: str, resource: str, arn: str) -> dict | None:
    return _document(sns_backends[account][region].topics[arn].policy)


def _sqs(region: str, account: str, resource: str, arn: str) -> dict | None:
    return _document(sqs_backends[account][region].queues[resource].policy)


def _lambda(region: str, account: str, resource: str, arn: str) -> dict | None:
    name = resource.split(":")[1]
    function = lambda_backends[account][region].get_function(name)
    return function.policy.get_policy() if function.policy.statements else None


def _sagemaker(region: str, account: str, resource: str, arn: str) -> dict | None:
    kind, _, name = resource.partition("/")
    if kind == "model-package":  # a package is governed by its group's policy
        kind, name = "model-package-group", name.split("/", 1)[0]
    if kind != "model-package-group":
        return None
    group = sagemaker_backends[account][region].model_package_groups[name]
    return _document(getattr(group, "resource_policy", None))


def _events(region: str, account: str, resource: str, arn: str) -> dict | None:
    kind, _, name = resource.partition("/")
    bus_name = name if kind == "event-bus" else (name.split("/", 1)[0] if "/" in name else "default")
    return _document(events_backends[account][region].event_buses[bus_name].policy)


def _secretsmanager(region: str, account: str, resource: str, arn: str) -> dict | None:
    return _document(secretsmanager_backends[account][region].secrets[arn].policy)


def _iam(region: str, account: str, resource: str, arn: str) -> dict | None:
    if not resource.startswith("role/"):
        return None
    name = resource.rsplit("/", 1)[-1]
    if name == ADMIN_ROLE_NAME:
        return None  # assumed by the bootstrap administrator only (principals.py)
    role = iam_backends[account][PARTITION].get_role(name)
    return _document(role.assume_role_policy_document)


_READERS = {"s3": _s3, "kms": _kms, "sns": _sns, "sqs": _sqs, "lambda": _lambda, "sagemaker": _sagemaker,
            "events": _events, "secretsmanager": _secretsmanager, "iam": _iam}


def resource_tags(arn: str) -> dict[str, str]:
    """The tags of the resource `arn` names (aws:ResourceTag/<key>): S3 bucket, SageMaker resource, KMS key, IAM
    role or user; none for a resource that does not exist (yet) or a service whose tags the engine does not read
    (an S3 object's tags are s3:ExistingObjectTag, not aws:ResourceTag)."""
    service, region, account, resource = _split(arn)
    try:
        reader = _TAG_READERS.get(service)
        pairs = [] if reader is None else reader(region, account, resource, arn)
    except (KeyError, LookupError, AttributeError, ValueError, ServiceException, HTTPException):
        return {}
    return {str(key): str(value) for key, value in pairs}


def _s3_tags(region: str, account: str, resource: str, arn: str) -> list[tuple[str, str]]:
    owner = bucket_owner(resource)
    if "/" in resource or owner is None:
        return []
    backend = s3_backends[owner][PARTITION]
    tags = backend.tagger.list_tags_for_resource(backend.buckets[resource].arn)["Tags"]
    return [(tag["Key"], tag["Value"]) for tag in tags]


def _sagemaker_tags(region: str, account: str, resource: str, arn: str) -> list[tuple[str, str]]:
    tags = sagemaker_backends[account][region]._get_resource_from_arn(arn).tags or []
    return [(tag["Key"], tag["Value"]) for tag in tags]


def _kms_tags(region: str, account: str, resource: str, arn: str) -> list[tuple[str, str]]:
    tags = kms_backends[account][region].list_resource_tags(resource.split("/", 1)[1])["Tags"]
    return [(tag["TagKey"], tag["TagValue"]) for tag in tags]


def _iam_tags(region: str, account: str, resource: str, arn: str) -> list[tuple[str, str]]:
    kind, _, name = resource.partition("/")
    iam = iam_backends[account][PARTITION]
    holder = {"role": iam.get_role, "user": iam.get_user}.get(kind)
    if holder is None:
        return []
    return list(tag_pairs(holder(name.rsplit("/", 1)[-1]).tags))


_TAG_READERS = {"s3": _s3_tags, "sagemaker": _sagemaker_tags, "kms": _kms_tags, "iam": _iam_tags}


def kms_key_aliases(arn: str) -> list[str]:
    """The alias names of a KMS key, `alias/<name>` (the kms:ResourceAliases condition key holds names, not ARNs:
    "ABAC for AWS KMS" in the KMS Developer Guide)."""
    _, region, account, resource = _split(arn)
    try:
        aliases = kms_backends[account][region].list_aliases(resource.split("/", 1)[1])
        return sorted(alias.alias_name for alias in aliases)
    except (KeyError, LookupError, AttributeError, ValueError):
        return []


# ------------------------------------------------------------------------------------------------ names -> ARNs

def resolver(account: str):
    """`resolve(kind, value, region)` for a caller in `account` (operations.checks)."""

    def resolve(kind: str, value: str, region: str) -> str | None:
        try:
            return _RESOLVERS[kind](account, value, region)
        # A name that resolves to nothing: lookups, and moto's not-found errors (ServiceException or, in the
        # older services, werkzeug's HTTPException).
        except (LookupError, AttributeError, ValueError, TypeError, ServiceException, HTTPException):
            return None

    return resolve


def _kms_key(account: str, value: str, region: str) -> str | None:
    if value.startswith("arn:") and ":key/" in value:
        return value
    if value.startswith("arn:"):  # an alias ARN
        _, region, account, value = _split(value)
    backend = kms_backends[account][region]
    key_id = backend.any_id_to_key_id(value)
    key = backend.keys.get(key_id)
    return None if key is None else key.arn


def _secret(account: str, value: str, region: str) -> str | None:
    if value.startswith("arn:"):
        _, region, account, _ = _split(value)
    secrets = secretsmanager_backends[account][region].secrets
    return secrets[value].arn if value in secrets else None


def _role_path(account: str, value: str, region: str) -> str | None:
    role = iam_backends[account][PARTITION].get_role(value)
    return role.path.lstrip("/") + role.name


def _bucket_kms_key(account: str, bucket: str, region: str) -> str | None:
    owner = bucket_owner(bucket)
    encryption = s3_backends[owner][PARTITION].buckets[bucket].encryption if owner else None
    for rule in _as_list((encryption or {}).get("Rule")):
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") == "aws:kms" and default.get("KMSMasterKeyID"):
            return default["KMSMasterKeyID"]
    return None


def _object_kms_key(account: str, path: str, region: str) -> str | None:
    bucket, _, name = path.partition("/")
    owner = bucket_owner(bucket)
    key = s3_backends[owner][PARTITION].buckets[bucket].keys.get(name) if owner else None
    if key is None or getattr(key, "encryption", None) != "aws:kms":
        return None
    return key.kms_key_id


def _next_model_package(account: str, group: str, region: str) -> str | None:
    """The ARN the next version registered into `group` (a name or an ARN) will have."""
    if group.startswith("arn:"):
        _, region, account, resource = _split(group)
        group = resource.split("/", 1)[1]
    backend = sagemaker_backends[account][region]
    if group not in backend.model_package_groups:
        return None
    versions = [p.model_package_version or 0 for p in list(backend.model_packages.values())
                if p.model_package_group_name == group]
    return f"arn:{PARTITION}:sagemaker:{region}:{account}:model-package/{group.lower()}/{max(versions, default=0) + 1}"


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else ([value] if value else [])


_RESOLVERS = {"kms-key": _kms_key, "secret": _secret, "role-path": _role_path, "bucket-kms-key": _bucket_kms_key,
              "object-kms-key": _object_kms_key, "next-model-package": _next_model_package}
