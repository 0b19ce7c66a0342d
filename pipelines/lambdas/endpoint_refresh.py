"""Lambda handler: refresh the workload account's multi-model endpoints from the central registry.

Invoked by the workload account's EventBridge rule on "SageMaker Model Package State Change" events, which the
registry account's rule forwards to this account's default bus. The event only says that something changed:
the refresh reads the registry's current state (pipelines.endpoints.refresh), so retries and out-of-order
events converge to the same endpoints.

Deployed by Terraform (handler `endpoint_refresh.handler`) from endpoint_refresh.zip (`pipelines.lambdas.package`),
which carries the `pipelines` modules imported here.
Settings: the one environment variable REFRESH_SETTINGS (see `RefreshSettings`).
"""

from __future__ import annotations

import logging
import os

import boto3

from pipelines.endpoints.refresh import SETTINGS_VARIABLE, RefreshSettings, refresh

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


class EndpointsBusy(Exception):
    """An endpoint was not InService: raised so that Lambda retries the asynchronous invocation later."""


def handler(event, context):
    settings = RefreshSettings.from_json(os.environ.get(SETTINGS_VARIABLE))
    detail = (event or {}).get("detail") or {}
    logger.info("refreshing %d endpoint(s) after %s of %s: %s", len(settings.endpoints),
                (event or {}).get("detail-type", "an invocation"), detail.get("ModelPackageArn", "-"),
                detail.get("ModelApprovalStatus", "-"))
    result = refresh(boto3.Session(), settings, progress=logger.info)
    if result.busy:
        raise EndpointsBusy("; ".join(f"{e.endpoint}: {e.reason}" for e in result.busy)
                            + ": the models prefix is refreshed, the endpoint update waits for the retry")
    return result.as_dict()
