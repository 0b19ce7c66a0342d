"""What `deploy-endpoint` does: serve a registry version on a workload account's SageMaker endpoint, or roll it back.

Acts in the workload account (dev or prod) with boto3 only. For a single-model endpoint a deploy creates a
Model whose container is the chosen version's model package in the central registry (cross-account, its
artifact encrypted with the registry key) and an EndpointConfig (the variant, data capture to the data bucket's
capture prefix), both content-addressed (pipelines.endpoints.hosting), then creates the endpoint or moves it by
a blue/green UpdateEndpoint (all-at-once, canary or linear, rolled back by SageMaker when the endpoint's 5xx or
latency alarm fires). A multi-model endpoint serves every Approved version: a deploy runs the refresh
(pipelines.endpoints.refresh) for it.

`--rollback` moves the endpoint back to the config recorded in its `mlops:previous-endpoint-config` tag (the
one it served before its last switch), after checking that the version it serves is still Approved.
`--region secondary` serves the version in prod's secondary region instead (pipelines.endpoints.secondary): from
its artifact's replica there and that region's image, refused while the replica is missing or behind.

`wait` follows the endpoint until it settles and reports what serves now. The CLI is
pipelines/cli/deploy_endpoint.py.
"""

from __future__ import annotations

from pipelines.aws import Target
from pipelines.config import EnvConfig, load_config
from pipelines.endpoints.deployment import PRIMARY, SECONDARY, Deployment, DeployRequest, deploy_primary
from pipelines.endpoints.secondary import deploy_secondary
from pipelines.errors import UnknownModelVersion, UsageError


def deploy_endpoint(request: DeployRequest, target: Target, config: EnvConfig | None = None) -> Deployment:
    chosen = [request.version is not None, request.latest_approved, request.rollback]
    if sum(chosen) != 1:
        raise UsageError("give exactly one of --version N, --latest-approved or --rollback")
    if request.version is not None and request.version < 1:
        raise UnknownModelVersion(f"--version {request.version}: versions are numbered from 1")
    config = config or load_config(request.env)
    if request.region == SECONDARY:
        return deploy_secondary(request, target, config)
    if request.region != PRIMARY:
        raise UsageError(f"--region {request.region}: use {PRIMARY} or {SECONDARY}")
    return deploy_primary(request, target, config)
