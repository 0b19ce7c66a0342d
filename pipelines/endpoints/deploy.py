"""What `deploy-endpoint` does (the CLI, pipelines/cli/deploy_endpoint.py, describes it): check the request and
deploy in the primary region (pipelines.endpoints.deployment) or the secondary one (pipelines.endpoints.secondary)."""

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
