"""The demo's steps, in order. Each acts in one account through the project's own library calls and records
what it observed in `context.facts`; each returns the one-line result the summary prints.
"""

from __future__ import annotations

import logging

from pipelines.demo.context import DemoContext
from pipelines.demo.scenario import Step
from pipelines.errors import LocalStackError

LOG = logging.getLogger(__name__)


def start_local_stack(context: DemoContext) -> str:
    """Start a fresh stack (stopped when the demo ends) or use the one given; point this process at it."""
    from pipelines.local.stack import LocalAwsStack, is_healthy, local_environment

    if context.endpoint is None:
        stack = context.resources.enter_context(LocalAwsStack())
        endpoint, verdict = stack.endpoint, "started"
    else:
        if not is_healthy(context.endpoint):
            raise LocalStackError(f"no local stack answers at {context.endpoint}: start one with `mlops-local up` "
                                  "or leave out --endpoint to let the demo start its own")
        endpoint, verdict = context.endpoint, "using the running stack"
    context.resources.enter_context(local_environment(endpoint))
    context.facts.endpoint = endpoint
    return f"{verdict} at {endpoint}"


def prepare_data(environment: str):
    def action(context: DemoContext) -> str:
        from pipelines.data.cli import DEFAULT_RAW
        from pipelines.data.prepare import accounting, prepare, upload
        from pipelines.data.raw import read_raw

        raw = read_raw(DEFAULT_RAW)
        prepared = prepare(raw, context.work_dir / "data")
        for line in accounting(raw, prepared):
            LOG.info("%s", line)
        uris = upload(context.config(environment), prepared.files)
        context.facts.uploaded_data[environment] = uris
        return f"{len(uris)} files uploaded to s3://{context.config(environment).require_workload().data_bucket_name}"
    return action


def demo_steps() -> list[Step[DemoContext]]:
    return [
        Step("local-stack", "local", "start the local AWS stack (moto with the project's extensions)",
             start_local_stack),
        Step("data-dev", "dev", "prepare the UCI data set and upload it to dev's data bucket", prepare_data("dev")),
        Step("data-prod", "prod", "upload the same files to prod's data bucket", prepare_data("prod")),
    ]
