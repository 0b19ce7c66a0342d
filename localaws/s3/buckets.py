"""S3 bucket behaviour the platform's Terraform relies on, where moto 5.2 differs from AWS.

Bucket policies: moto evaluates a bucket policy on object requests, but without any request context: a
statement with a Condition it cannot check counts as DENIED, whatever its Effect. Every bucket of this
platform has the TLS-only statement (Deny when `aws:SecureTransport` is false), so moto refused every object
read and write, Terraform's own state included. The local stack stands in for an HTTPS endpoint and
permission correctness is tested statically (terraform tests, checkov), so conditional statements are left out of moto's
evaluation; unconditional statements are still evaluated as moto does.

Lifecycle rules: `filter {}` is sent as `<Filter><Prefix></Prefix></Filter>` and AWS returns it that way;
moto returns `<Filter/>`. The AWS provider compares the rules it wrote with the rules it reads back, waits
for them to match until its timeout, then drops the resource from state - so every plan wanted to create it
again. The empty prefix is put back into moto's answer.
"""

from __future__ import annotations

import json
import re

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

_EMPTY_FILTER = re.compile(r"<Filter\s*/>|<Filter>\s*</Filter>")
_original_get_bucket_lifecycle = S3Response.get_bucket_lifecycle


def install() -> None:
    FakeBucket.get_permission = _permission_without_conditional_statements
    S3Response.get_bucket_lifecycle = _get_bucket_lifecycle_with_empty_prefixes


def _permission_without_conditional_statements(self: FakeBucket, action: str, resource: str) -> PermissionResult:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy)
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    evaluable = [statement for statement in statements if "Condition" not in statement]
    if not evaluable:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**document, "Statement": evaluable})).is_action_permitted(action, resource)


def _has_only_empty_prefix(rule) -> bool:
    lc_filter = rule.filter
    return lc_filter is not None and lc_filter.prefix == "" and not lc_filter.tag_key and not lc_filter.and_filter


def _get_bucket_lifecycle_with_empty_prefixes(self: S3Response):
    status, headers, body = _original_get_bucket_lifecycle(self)
    rules = self.backend.get_bucket_lifecycle(self.bucket_name)
    text = body.decode() if isinstance(body, bytes) else body
    # One segment per <Rule>, in the order moto serialised the rules.
    head, *segments = text.split("<Rule>")
    if len(segments) != len(rules):
        return status, headers, body
    fixed = [
        _EMPTY_FILTER.sub("<Filter><Prefix></Prefix></Filter>", segment, count=1) if _has_only_empty_prefix(rule)
        else segment
        for rule, segment in zip(rules, segments, strict=True)
    ]
    text = "<Rule>".join([head, *fixed])
    return status, headers, text.encode() if isinstance(body, bytes) else text
