"""`deploy-endpoint`: serve a registry version on a workload account's SageMaker endpoint, or roll it back.

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

`--wait` follows the endpoint until it settles and prints what serves now. Exit codes: pipelines/errors.py.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

from pipelines.aws import Target
from pipelines.cli_support import configure_logging, run_cli
from pipelines.config import WORKLOAD_ENVIRONMENTS, EnvConfig, load_config
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


# ------------------------------------------------------------------------------------------------ the CLI


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="deploy-endpoint", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", required=True, choices=WORKLOAD_ENVIRONMENTS, help="the workload account to deploy in")
    p.add_argument("--endpoint", required=True, help="an endpoint of workload.serving.endpoints in the env file")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--version", type=int, help="the model package version to serve (must be Approved)")
    which.add_argument("--latest-approved", action="store_true", help="the newest Approved version")
    which.add_argument("--rollback", action="store_true",
                       help="return to the config the endpoint served before its last switch")
    p.add_argument("--region", choices=(PRIMARY, SECONDARY), default=PRIMARY,
                   help="secondary: deploy in the env file's secondary_region, from the artifact's replica there "
                        "(prod; refused while the replica is missing or older than the primary's artifact)")
    p.add_argument("--wait", action="store_true", help="follow the endpoint to InService and print what serves now")
    p.add_argument("--local", action="store_true", help="use the running local AWS stack (mlops-local up)")
    return p


def run(args: argparse.Namespace, target: Target) -> int:
    deployment = deploy_endpoint(DeployRequest(env=args.env, endpoint=args.endpoint, version=args.version,
                                               latest_approved=args.latest_approved, rollback=args.rollback,
                                               wait=args.wait, region=args.region), target)
    versions = ", ".join(map(str, deployment.versions)) or "none"
    print(f"endpoint {deployment.endpoint} ({deployment.mode}, {deployment.region}): {deployment.action}, config "
          f"{deployment.config_name}, version(s) {versions}"
          + (f", previous config {deployment.previous_config}" if deployment.previous_config else ""))
    if deployment.serving is not None:
        print(deployment.serving.describe())
    return 0


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    return run_cli(lambda: run(args, Target.for_cli(args.local, os.environ if env is None else env)),
                   "deploy-endpoint")


if __name__ == "__main__":
    raise SystemExit(main())
