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
from collections.abc import Mapping

from pipelines.aws import Target
from pipelines.cli.support import configure_logging, environment_name, process_env, run_cli, targets_local_stack
from pipelines.endpoints.deploy import deploy_endpoint
from pipelines.endpoints.deployment import PRIMARY, SECONDARY, Deployment, DeployRequest

PROG = "deploy-endpoint"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", required=True, type=environment_name, metavar="ENV",
                   help="the workload environment to deploy in")
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


def lines(deployment: Deployment) -> list[str]:
    versions = ", ".join(map(str, deployment.versions)) or "none"
    out = [f"endpoint {deployment.endpoint} ({deployment.mode}, {deployment.region}): {deployment.action}, config "
           f"{deployment.config_name}, version(s) {versions}"
           + (f", previous config {deployment.previous_config}" if deployment.previous_config else "")]
    if deployment.serving is not None:
        out.append(deployment.serving.describe())
    return out


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    env = process_env(env)
    request = DeployRequest(env=args.env, endpoint=args.endpoint, version=args.version,
                            latest_approved=args.latest_approved, rollback=args.rollback, wait=args.wait,
                            region=args.region)

    def command() -> int:
        for line in lines(deploy_endpoint(request, Target.for_cli(args.local, env))):
            print(line)
        return 0

    return run_cli(command, PROG, local=targets_local_stack(args.local, env))


if __name__ == "__main__":
    raise SystemExit(main())
