"""What the demo's endpoint steps do around `deploy-endpoint` and `invoke-endpoint`: follow a blue/green update
through its baking periods on the stack's clock, wait (bounded) for the automatic multi-model refresh, and count
the data capture the invocations wrote. AWS APIs only, through the project's endpoint library.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from pipelines import s3_uri
from pipelines.config import EndpointSettings, EnvConfig
from pipelines.endpoints import hosting
from pipelines.endpoints.deployment import EndpointState, serving_now
from pipelines.errors import DeploymentFailed

# Each poll of the local stack answers at once; these bound a wait that would otherwise hang the demo.
UPDATE_TIMEOUT_SECONDS = 120.0
REFRESH_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class FollowedUpdate:
    endpoint: dict[str, Any]
    """DescribeEndpoint once the update ended, InService on the new config."""
    traffic_shares: tuple[float, ...]
    """The new fleet's share of the traffic in each baking period, in order (e.g. 0.1 then 1.0 for a canary)."""
    advanced_seconds: float
    """How far the stack's clock was moved instead of waiting."""


def pending_share(endpoint: dict[str, Any]) -> float | None:
    """The new fleet's share of the traffic while it bakes (CurrentWeight of DesiredWeight), else None."""
    for variant in endpoint.get("PendingDeploymentSummary", {}).get("ProductionVariants", []):
        if any(status.get("Status") == "Baking" for status in variant.get("VariantStatus", [])):
            return variant.get("CurrentWeight", 0.0) / (variant.get("DesiredWeight") or 1.0)
    return None


def follow_update(sagemaker, settings: EndpointSettings, config_name: str, advance_clock: Callable[[float], Any],
                  poll_seconds: float, timeout_seconds: float = UPDATE_TIMEOUT_SECONDS) -> FollowedUpdate:
    """Follow the update of `settings.name` to `config_name` until it ends: while the new fleet is provisioned,
    poll; while it bakes, move the stack's clock by one baking period (`wait_interval_seconds`) rather than sleep.
    DeploymentFailed if the update was rolled back or has not ended within `timeout_seconds` of real time."""
    deadline = time.monotonic() + timeout_seconds
    shares: list[float] = []
    advanced = 0.0
    while True:
        endpoint = sagemaker.describe_endpoint(EndpointName=settings.name)
        if endpoint["EndpointStatus"] in hosting.SETTLED_STATUSES:
            hosting.require_serving(endpoint, config_name)
            return FollowedUpdate(endpoint, tuple(shares), advanced)
        if time.monotonic() > deadline:
            raise DeploymentFailed(f"the update of endpoint {settings.name} to {config_name} has not ended "
                                   f"{timeout_seconds:g} s after it started: it is {endpoint['EndpointStatus']}")
        share = pending_share(endpoint)
        if share is None:
            time.sleep(poll_seconds)
            continue
        shares.append(share)
        step = max(settings.wait_interval_seconds, 1)
        advance_clock(step)
        advanced += step


def wait_for_versions(sagemaker, config: EnvConfig, settings: EndpointSettings, versions: Collection[int], why: str,
                      poll_seconds: float, timeout_seconds: float = REFRESH_TIMEOUT_SECONDS) -> EndpointState:
    """Poll until the multi-model endpoint is InService serving exactly `versions` (the refresh function's work,
    started by the registry's state-change event); DeploymentFailed naming what it serves after the timeout."""
    wanted = tuple(sorted(versions))
    deadline = time.monotonic() + timeout_seconds
    while True:
        endpoint = hosting.describe_endpoint(sagemaker, settings.name)
        state = serving_now(sagemaker, config, endpoint) if endpoint is not None else None
        if state is not None and state.status == hosting.IN_SERVICE and state.versions == wanted:
            return state
        if time.monotonic() > deadline:
            now = state.describe() if state is not None else f"endpoint {settings.name} does not exist"
            serving = config.require_serving()
            raise DeploymentFailed(
                f"multi-model endpoint {settings.name} does not serve version(s) {', '.join(map(str, wanted))} "
                f"{timeout_seconds:g} s after {why}: {now}; the refresh function {serving.refresh_function_name} "
                f"(run on the registry's 'SageMaker Model Package State Change' events) did not bring it up to date: "
                f"see its log group /aws/lambda/{serving.refresh_function_name}")
        time.sleep(poll_seconds)


def first_rows(s3, uri: str, count: int) -> tuple[str, ...]:
    """The first `count` non-empty lines of a CSV object."""
    bucket, key = s3_uri.split(uri)
    lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    rows = tuple(line.strip() for line in lines if line.strip())[:count]
    if len(rows) < count:
        raise DeploymentFailed(f"{uri} holds {len(rows)} rows, the demo invokes with {count}")
    return rows


def capture_keys(s3, capture_uri: str) -> set[str]:
    bucket, prefix = s3_uri.split(capture_uri)
    prefix = prefix.rstrip("/") + "/"
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def count_capture(s3, capture_uri: str, ignore: Iterable[str] = ()) -> tuple[int, int]:
    """(objects, JSON Lines records) of data capture under `capture_uri`, leaving out the keys in `ignore` (what
    was there before: a re-used stack keeps earlier runs' capture)."""
    bucket, _ = s3_uri.split(capture_uri)
    keys = sorted(capture_keys(s3, capture_uri) - set(ignore))
    lines = sum(1 for key in keys for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()
                if line.strip())
    return len(keys), lines
