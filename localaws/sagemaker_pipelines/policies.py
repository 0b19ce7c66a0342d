"""Step features of the definition that wrap how a step runs: CacheConfig and RetryPolicies.

- CacheConfig {"Enabled": true, "ExpireAfter": "P30D"}: a step whose Arguments (resolved, execution
  variables kept symbolic) and property files equal those of the same step in an earlier Succeeded run of the
  pipeline, ended within ExpireAfter (no ExpireAfter: no expiry), does not run: it takes that step's
  properties and metadata, and its ListPipelineExecutionSteps entry names the source in `CacheHitResult`,
  as SageMaker's does.
- RetryPolicies [{"ExceptionType": [...], "IntervalSeconds", "BackoffRate", "MaxAttempts", "ExpireAfterMin"}]:
  a failure of a listed type runs the step again after IntervalSeconds * BackoffRate^(retry - 1) seconds, at
  most MaxAttempts retries (default 5) and not after ExpireAfterMin minutes. Script errors
  (AlgorithmError) and bad requests (ClientError) are never retried, as in SageMaker.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from localaws.sagemaker_pipelines.errors import StepFailed
from pipelines.pipeline_definition.errors import PipelineDefinitionError
from pipelines.pipeline_definition.graph import StepNode

STEP_EXCEPTION_TYPES = ("Step.SERVICE_FAULT", "Step.THROTTLING")
JOB_EXCEPTION_TYPES = ("SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR", "SageMaker.RESOURCE_LIMIT")
JOB_STEP_TYPES = ("Processing", "Training", "Transform", "QualityCheck", "ClarifyCheck", "Tuning")
CACHEABLE_STEP_TYPES = ("Processing", "Training", "Transform", "QualityCheck", "Tuning", "EMR")
DEFAULT_MAX_ATTEMPTS = 5
_THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "ThrottledException", "SlowDown",
                               "RequestLimitExceeded", "TooManyRequestsException",
                               "ProvisionedThroughputExceededException"})
# The FailureReason prefixes SageMaker gives job failures of each retryable kind.
_JOB_FAILURE_TYPES = {"InternalServerError": "SageMaker.JOB_INTERNAL_ERROR",
                      "CapacityError": "SageMaker.CAPACITY_ERROR",
                      "ResourceLimitExceeded": "SageMaker.RESOURCE_LIMIT"}
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """ISO 8601 duration as CacheConfig.ExpireAfter takes it ('P30D', 'PT1H'); a year 365 days, a month 30."""
    match = _DURATION.match(text or "")
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(text)
    years, months, weeks, days, hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return timedelta(days=365 * years + 30 * months + 7 * weeks + days, hours=hours, minutes=minutes,
                     seconds=seconds)


@dataclass(frozen=True)
class RetryPolicy:
    exception_types: tuple[str, ...]
    interval_seconds: float = 1
    backoff_rate: float = 2.0
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    expire_after_minutes: float | None = None

    def delay(self, retry: int) -> float:
        """Seconds before retry number `retry` (1 for the first)."""
        return self.interval_seconds * self.backoff_rate ** (retry - 1)


def retry_policies(node: StepNode) -> list[RetryPolicy]:
    """The step's RetryPolicies, checked: each names known exception types for its step type."""
    policies = []
    allowed = STEP_EXCEPTION_TYPES + (JOB_EXCEPTION_TYPES if node.type in JOB_STEP_TYPES else ())
    for entry in node.definition.get("RetryPolicies") or []:
        types = tuple(entry.get("ExceptionType") or [])
        unknown = [kind for kind in types if kind not in allowed]
        if not types or unknown:
            raise PipelineDefinitionError(
                f"step {node.name!r}: RetryPolicies ExceptionType {unknown or types!r} is not supported for a "
                f"{node.type} step: use {', '.join(allowed)}")
        if "MaxAttempts" in entry and "ExpireAfterMin" in entry:
            raise PipelineDefinitionError(f"step {node.name!r}: a retry policy takes MaxAttempts or ExpireAfterMin, "
                                          "not both")
        try:
            policy = RetryPolicy(types, float(entry.get("IntervalSeconds", 1)), float(entry.get("BackoffRate", 2.0)),
                                 int(entry.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS)),
                                 float(entry["ExpireAfterMin"]) if "ExpireAfterMin" in entry else None)
        except (TypeError, ValueError):
            raise PipelineDefinitionError(f"step {node.name!r}: RetryPolicies {entry!r}: IntervalSeconds, "
                                          "BackoffRate, MaxAttempts and ExpireAfterMin must be numbers") from None
        if policy.interval_seconds < 1 or policy.backoff_rate < 1 or policy.max_attempts < 1:
            raise PipelineDefinitionError(f"step {node.name!r}: RetryPolicies {entry!r}: IntervalSeconds, "
                                          "BackoffRate and MaxAttempts must be at least 1")
        policies.append(policy)
    return policies


def exception_type(error: BaseException) -> str | None:
    """The RetryPolicies type of a step's failure, or None for one that is never retried."""
    if isinstance(error, StepFailed):
        return _JOB_FAILURE_TYPES.get(error.reason.split(":", 1)[0])
    if isinstance(error, ClientError):
        if error.response.get("Error", {}).get("Code") in _THROTTLING_CODES:
            return "Step.THROTTLING"
        if int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0) >= 500:
            return "Step.SERVICE_FAULT"
    if isinstance(error, EndpointConnectionError):
        return "Step.SERVICE_FAULT"
    return None


def matching_policy(policies: list[RetryPolicy], error: BaseException) -> RetryPolicy | None:
    kind = exception_type(error)
    return next((policy for policy in policies if kind in policy.exception_types), None) if kind else None


@dataclass(frozen=True)
class CacheConfig:
    expire_after: timedelta | None


def cache_config(node: StepNode) -> CacheConfig | None:
    """The step's CacheConfig when it is enabled, checked."""
    config = node.definition.get("CacheConfig") or {}
    if not config.get("Enabled"):
        return None
    if node.type not in CACHEABLE_STEP_TYPES:
        raise PipelineDefinitionError(f"step {node.name!r}: CacheConfig is not supported for a {node.type} step: "
                                      f"SageMaker caches {', '.join(CACHEABLE_STEP_TYPES)} steps")
    expire_after = config.get("ExpireAfter")
    if expire_after is None:
        return CacheConfig(None)
    try:
        return CacheConfig(parse_duration(expire_after))
    except ValueError:
        raise PipelineDefinitionError(f"step {node.name!r}: CacheConfig ExpireAfter {expire_after!r} is not an "
                                      "ISO 8601 duration (for example P30D or PT1H)") from None


def cache_key(node: StepNode, arguments: Mapping[str, Any]) -> str:
    """What makes two runs of a step the same: its type, resolved Arguments and property files."""
    document = {"Type": node.type, "Arguments": arguments, "PropertyFiles": node.definition.get("PropertyFiles")}
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
