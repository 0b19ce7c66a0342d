"""Runs the demo scenario end to end: owns the local stack's lifetime, prints the summary, writes the report."""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path

import botocore.exceptions

from mlops_demo import steps
from mlops_demo.access import record_access
from mlops_demo.context import DemoContext
from mlops_demo.environments import DemoEnvironments, default_environments
from mlops_demo.paths import DEFAULT_REPORT, DEFAULT_WORK_DIR
from mlops_demo.report import write_report
from mlops_demo.scenario import Scenario, ScenarioResult, format_summary
from pipelines.config import REPO_ROOT, environment_file, environments, load_config, workload_environments
from pipelines.errors import MlopsError

LOG = logging.getLogger(__name__)


def environments_with_engine(engine: str | None, directory: Path, training_data: str | None = None) -> Path:
    """Copies of the environment files in `directory`, with `engine` as every workload's drift-check engine and
    `training_data` as the training-data source of the promotion's first environment, where the demo trains
    (production's retraining keeps the files' own)."""
    directory.mkdir(parents=True, exist_ok=True)
    trains = workload_environments()[0]
    for environment in environments():
        values = json.loads(environment_file(environment).read_text())
        if values.get("workload") and engine:
            values["workload"]["pipeline"]["drift_check_engine"] = engine
        if environment == trains and training_data:
            values["workload"]["pipeline"]["training_data"]["source"] = training_data
        (directory / f"{environment}.tfvars.json").write_text(json.dumps(values, indent=2) + "\n")
    return directory


def run_scenario(endpoint: str | None = None, report_path: Path = DEFAULT_REPORT, work_dir: Path = DEFAULT_WORK_DIR,
                 drift_check_engine: str | None = None,
                 training_data: str | None = None,
                 demo_environments: DemoEnvironments | None = None,
                 reuse_applied: bool = False) -> tuple[ScenarioResult, DemoContext]:
    """Run every step through `demo_environments` (default: the promotion's first and last); the stack the demo
    started is stopped before returning, also on failure or Ctrl-C. With `reuse_applied` (a running stack at
    `endpoint`), the accounts it holds applied with an unchanged configuration are not applied again.

    With `drift_check_engine` or `training_data`, the loop runs on copies of the environment files that choose
    that engine, and that source where it trains (`warehouse`: a local PostgreSQL, stopped when the demo ends).
    """
    work_dir = Path(work_dir)
    environments_dir = (environments_with_engine(drift_check_engine, work_dir / "environments", training_data)
                        if drift_check_engine or training_data else None)
    configs = {name: load_config(name, environments_dir) for name in environments(environments_dir)}
    walked = demo_environments or default_environments(environments_dir)
    with contextlib.ExitStack() as resources:
        context = DemoContext(configs=configs, environments=walked, repo_root=REPO_ROOT, work_dir=work_dir,
                              report_path=Path(report_path), endpoint=endpoint, resources=resources,
                              environments_dir=environments_dir, reuse_applied=reuse_applied)
        result = Scenario(steps.demo_steps(walked, training_data)).run(context, context.account_label)
        try:
            record_access(context)  # read before the report, while the demo's stack still runs
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, MlopsError):
            # After a failed step the stack may be what failed: the report is still written, without this part.
            LOG.exception("could not read the access report of the run")
            if result.succeeded:
                raise
        try:
            write_report(context.report_path, context.facts, result,
                         {name: config.account_id for name, config in configs.items()})
            context.facts.report_path = str(context.report_path)
        except Exception:
            # A report is a by-product: a broken figure must not hide the scenario's own outcome.
            LOG.exception("could not write the report %s", context.report_path)
            if result.succeeded:
                raise
    return result, context


def run_demo(endpoint: str | None = None, report_path: Path = DEFAULT_REPORT,
             work_dir: Path = DEFAULT_WORK_DIR, drift_check_engine: str | None = None,
             training_data: str | None = None, demo_environments: DemoEnvironments | None = None,
             reuse_applied: bool = False) -> int:
    result, context = run_scenario(endpoint, report_path, work_dir, drift_check_engine, training_data,
                                   demo_environments, reuse_applied)
    print(format_summary(result))
    if context.facts.report_path:
        print(f"report: {context.facts.report_path}")
    if result.error is not None:
        raise result.error
    return 0
