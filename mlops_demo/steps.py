"""The demo's steps, in order. Each acts in one account through the project's own library calls and the AWS
APIs of the local stack (the deploy step through the same scripts the Jenkins stages run; scheduled inference
and retraining through the EventBridge rules Terraform created, inside the stack), records what it observed in
`context.facts`, and returns the one-line result the summary prints. A step that does not see what it expects
raises: the scenario stops there, naming the step and its account.
"""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor

import boto3

from mlops_demo.context import DemoContext
from mlops_demo.deploy import DEPLOY_STAGES, deploy, serve_endpoints
from mlops_demo.environments import DemoEnvironments
from mlops_demo.executions import (
    FinishedExecution,
    execution_arns,
    follow_started,
    output_parameters,
    run_pipeline,
)
from mlops_demo.facts import (
    CaptureCount,
    EndpointInvocation,
    EndpointServing,
    ModelVersion,
    Notification,
    RegionServing,
)
from mlops_demo.registry import model_version, read_s3_json
from mlops_demo.report import feature_name, metric_names
from mlops_demo.scenario import Step
from mlops_demo.serving import (
    FollowedUpdate,
    capture_keys,
    count_capture,
    first_rows,
    follow_update,
    wait_for_versions,
)
from pipelines import model_registry
from pipelines.approve_model import ApprovalRequest, approve_model, format_version
from pipelines.aws import Target
from pipelines.config import MODEL_MONITOR, MULTI_MODEL, SINGLE_MODEL, WAREHOUSE_SOURCE, EndpointSettings, EnvConfig
from pipelines.endpoints.deploy import deploy_endpoint
from pipelines.endpoints.deployment import DeployRequest, EndpointState, capture_s3_uri, serving_now
from pipelines.endpoints.invoke import invoke
from pipelines.endpoints.refresh import APPROVED
from pipelines.endpoints.secondary import deploy_and_compare
from pipelines.errors import ConfigError, ExecutionFailed, InfraError, LocalStackError, MlopsError

LOG = logging.getLogger(__name__)

SUCCEEDED, FAILED = "Succeeded", "Failed"
# The production schedule is daily (cron(0 6 * * ? *)): one day of the stack's clock fires it exactly once.
SCHEDULE_ADVANCE_SECONDS = 24 * 3600
ENDPOINT_V1, ENDPOINT_V2, ENDPOINT_ROLLBACK = "endpoint-v1", "endpoint-v2", "endpoint-rollback"
ENDPOINT_SECONDARY = "endpoint-secondary"
SAMPLE_ROWS = 3  # production batch rows each invocation sends: the endpoint steps make a handful of calls in all


class UnexpectedOutcome(MlopsError):
    """The demo saw something other than what the platform promises at this step."""


def _production(context: DemoContext) -> EnvConfig:
    """The last environment walked: where batch inference, the drift check, retraining and the endpoints run."""
    return context.config(context.environments.last)


def _production_session(context: DemoContext) -> boto3.Session:
    return context.session(context.environments.last)


def start_local_stack(context: DemoContext) -> str:
    """Start a fresh stack (stopped when the demo ends) or use the one given; every later call goes to it."""
    from localaws.tools.stack import LocalAwsStack, is_healthy

    if context.endpoint is None:
        stack = context.resources.enter_context(LocalAwsStack())
        endpoint, verdict = stack.endpoint, "started"
    else:
        if not is_healthy(context.endpoint):
            raise LocalStackError(f"no local stack answers at {context.endpoint}: start one with `mlops-local up` "
                                  "or leave out --endpoint to let the demo start its own")
        endpoint, verdict = context.endpoint, "using the running stack"
    context.target = Target.local_stack(endpoint)
    context.facts.endpoint = endpoint
    return f"{verdict} at {endpoint}"


def apply_infrastructure(context: DemoContext) -> str:
    """Bootstrap and apply the registry and the walked workload accounts side by side: no root reads another
    account's resources, and terraform mostly waits on the provider (S3 settings), so several at once take about
    as long as one. With `reuse_applied`, an account whose state on the stack matches its configuration (a plan
    without refresh has no changes) is left as it is."""
    from pipelines.infra.terraform import TerraformRunner

    def apply_or_reuse(environment: str) -> bool:
        """True when the account was applied, False when it was reused."""
        runner = TerraformRunner(context.config(environment), target=context.require_target())
        if context.reuse_applied and runner.is_bootstrapped() and not runner.plan(refresh=False):
            return False
        runner.bootstrap_and_apply()
        return True

    environments = ("registry", *context.environments.names)
    with ThreadPoolExecutor(max_workers=len(environments), thread_name_prefix="terraform") as pool:
        futures = {environment: pool.submit(apply_or_reuse, environment) for environment in environments}
    failures = {environment: error for environment, future in futures.items()
                if (error := future.exception()) is not None}
    if failures:
        detail = "; ".join(f"{context.account_label(env)}: {error}" for env, error in failures.items())
        first = next(iter(failures.values()))
        raise (first if len(failures) == 1 else InfraError(detail)) from None
    applied = [env for env, future in futures.items() if future.result()]
    reused = [env for env, future in futures.items() if not future.result()]
    parts = []
    if applied:
        parts.append("bootstrapped and applied " + ", ".join(map(context.account_label, applied)))
    if reused:
        parts.append("reused " + ", ".join(map(context.account_label, reused))
                     + " (applied on the stack: a plan without refresh has no changes)")
    return "; ".join(parts)


def start_warehouse(context: DemoContext) -> str:
    """`mlops-local db up` for the demo: a PostgreSQL with the UCI data (stopped when the demo ends), its
    connection in the warehouse secrets Terraform just created."""
    from localaws.tools.warehouse import TABLE, LocalWarehouse, configured_secrets, db_up
    from pipelines.data.prepare import DEFAULT_RAW

    directory = context.work_dir / "warehouse"
    context.resources.callback(LocalWarehouse(directory).stop)
    walked = [secret.environment for secret in configured_secrets(context.environments_dir)
              if secret.environment in context.environments.names]
    status = db_up(context.require_target(), directory, DEFAULT_RAW, context.environments_dir, walked)
    connection = status.connection
    return (f"PostgreSQL at {connection.host}:{connection.port}, table {TABLE} loaded; connection in "
            + ", ".join(f"{secret.secret_name} ({secret.environment})" for secret in status.secrets))


def upsert_pipelines(context: DemoContext) -> str:
    """What the ML engineer runs: `run-pipeline --env <first>` uploads the scripts and upserts both pipelines."""
    from pipelines.run_pipeline import RunRequest, run_pipelines

    first = context.environments.first
    run_pipelines(RunRequest(env=first, pipeline="all", environments_dir=context.environments_dir),
                  context.require_target())
    workload = context.config(first).require_workload()
    return f"{workload.train_pipeline_name} and {workload.inference_pipeline_name} upserted in {first}"


def prepare_data(environment: str):
    def action(context: DemoContext) -> str:
        from pipelines.data.prepare import DEFAULT_RAW, accounting, prepare, upload
        from pipelines.data.raw import read_raw

        raw = read_raw(DEFAULT_RAW)
        prepared = prepare(raw, context.work_dir / "data")
        for line in accounting(raw, prepared):
            LOG.info("%s", line)
        uris = upload(context.config(environment), prepared.files, context.require_target())
        context.facts.uploaded_data[environment] = uris
        return f"{len(uris)} files uploaded to s3://{context.config(environment).require_workload().data_bucket_name}"
    return action


def _data_uri(context: DemoContext, environment: str, prefix: str) -> str:
    return f"s3://{context.config(environment).require_workload().data_bucket_name}/{prefix}"


def _metrics_text(version: ModelVersion) -> str:
    return ", ".join(f"{name} {version.metrics[name]:.3f}" for name in metric_names(version.metrics))


def _record_version(context: DemoContext, execution: FinishedExecution, environment: str) -> ModelVersion:
    """The version the execution's RegisterModel step created, read back from the registry account."""
    _, registered = execution.step_metadata("RegisterModel")
    parameters = execution.parameters
    # What the version was trained on: the warehouse window when the pipeline extracted its rows, else the files.
    training_data = (f"warehouse rows {parameters['DataStartDate']} .. {parameters['DataEndDate']}"
                     if "DataStartDate" in parameters else parameters.get("InputDataUri", ""))
    version = model_version(context.session("registry"), registered["Arn"], environment, execution.arn,
                            training_data)
    context.facts.versions.append(version)
    return version


def _require_status(execution: FinishedExecution, expected: str, what: str) -> None:
    if execution.status != expected:
        reason = f": {execution.failure_reason}" if execution.failure_reason else ""
        raise ExecutionFailed(f"{what} (execution {execution.arn}) ended {execution.status}, "
                              f"expected {expected}{reason}")


def train_first_version(context: DemoContext) -> str:
    """The ML engineer's loop in the first environment: StartPipelineExecution of the train pipeline on part 1
    registers a version."""
    first = context.environments.first
    pipeline = context.config(first).require_workload().train_pipeline_name
    execution, _ = run_pipeline(context, first, pipeline, context.environments.train_label)
    _require_status(execution, SUCCEEDED, f"train pipeline {pipeline} in {first}")
    version = _record_version(context, execution, first)
    return f"version {version.version} registered ({version.approval_status}): {_metrics_text(version)}"


def _version_trained_by(context: DemoContext, label: str) -> tuple[int, ModelVersion]:
    run = context.facts.run(label)
    for index, version in enumerate(context.facts.versions):
        if version.execution_arn == run.execution_arn:
            return index, version
    raise UnexpectedOutcome(f"the {label} run ({run.execution_arn}) registered no model version")


def approve(label: str):
    """Approve the version the named run registered with `approve-model`, acting in the registry account
    (it prints the version's evaluation metrics first, as the approver sees them)."""
    def action(context: DemoContext) -> str:
        index, version = _version_trained_by(context, label)
        result = approve_model(ApprovalRequest(
            env="registry", version=version.version,
            description=f"approved by mlops-demo after reviewing the {label} evaluation"), context.require_target())
        LOG.info("reviewed %s", format_version(result.chosen.package, result.chosen.metrics))
        status = context.session("registry").client("sagemaker").describe_model_package(
            ModelPackageName=version.arn)["ModelApprovalStatus"]
        if status != "Approved":
            raise UnexpectedOutcome(f"version {version.version} ({version.arn}) is {status} after approval")
        context.facts.versions[index] = dataclasses.replace(version, approval_status=status)
        return f"version {version.version} Approved in the central group"
    return action


def deploy_stages(environment: str):
    """Promote to `environment` with the Jenkins deploy stages' scripts, as cross-account-jenkins-role."""
    def action(context: DemoContext) -> str:
        config = context.config(environment)
        stages = deploy(config, context.repo_root, context.work_dir, context.require_target())
        return f"{len(DEPLOY_STAGES)} stage scripts as {config.jenkins.role_name}: " + "; ".join(stages)
    return action


def serve_and_smoke_test(environment: str):
    """The Jenkinsfile's endpoint promotion through `environment` (one between training and production): its
    endpoints serve version 1 and answer the smoke test, with the stage scripts, as cross-account-jenkins-role."""
    def action(context: DemoContext) -> str:
        _, first = _version_trained_by(context, context.environments.train_label)
        said = serve_endpoints(context.config(environment), context.repo_root, context.work_dir,
                               context.require_target(), first.version)
        return f"version {first.version}: " + "; ".join(said)
    return action


def run_inference(label: str, batch_prefix: str | None, expected: str, model_from: str):
    """Batch inference in production, expected to use the version the `model_from` run trained.

    With no `batch_prefix` the run is the one the Terraform schedule rule starts when the stack's clock passes
    its next occurrence (on the pipeline's default batch, the clean one); with a prefix, a person starts it on
    that batch with StartPipelineExecution.
    """
    def action(context: DemoContext) -> str:
        from localaws.tools.stack import advance_clock

        last = context.environments.last
        pipeline = context.config(last).require_workload().inference_pipeline_name
        if batch_prefix is None:
            known = execution_arns(context, context.environments.last, pipeline)
            advance_clock(context.require_target().endpoint, SCHEDULE_ADVANCE_SECONDS)
            execution, run = follow_started(context, context.environments.last, pipeline, known, label)
        else:
            if expected == FAILED:  # what the failure rule starts is told apart from what ran before
                context.train_executions_before_failure = execution_arns(
                    context, last, _production(context).require_workload().train_pipeline_name)
            batch_uri = _data_uri(context, last, batch_prefix)
            execution, run = run_pipeline(context, last, pipeline, label, {"BatchDataUri": batch_uri})
        batch_uri = execution.parameters.get("BatchDataUri", "(the pipeline's default)")
        _require_status(execution, expected, f"inference pipeline {pipeline} in {last} on {batch_uri}")
        _, lambda_step = execution.step_metadata("Lambda")
        lambda_outputs = output_parameters(lambda_step)
        _, version = _version_trained_by(context, model_from)
        if lambda_outputs.get("ModelPackageArn") != version.arn:
            raise UnexpectedOutcome(f"the Lambda step returned {lambda_outputs.get('ModelPackageArn')}, expected the "
                                    f"latest approved version {version.version} ({version.arn})")
        predictions = _predictions(context, execution) if expected == SUCCEEDED else ()
        context.facts.runs[context.facts.runs.index(run)] = dataclasses.replace(
            run, model_package_arn=version.arn, outputs=predictions)
        if expected == FAILED:
            return _record_drift(context, execution, batch_uri, lambda_outputs["BaselineStatisticsUri"])
        return (f"Succeeded with version {version.version} ({run.started_by}): {len(predictions)} prediction "
                f"file(s) in {last}'s bucket")
    return action


def _predictions(context: DemoContext, execution: FinishedExecution) -> tuple[str, ...]:
    """The .out files the transform wrote under the pipeline's per-execution predictions prefix."""
    workload = _production(context).require_workload()
    bucket = workload.data_bucket_name
    prefix = f"inference/{workload.inference_pipeline_name}/predictions/{execution.execution_id}/"
    pages = _production_session(context).client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                                          Prefix=prefix)
    uris = tuple(f"s3://{bucket}/{item['Key']}" for page in pages for item in page.get("Contents", [])
                 if item["Key"].endswith(".out"))
    if not uris:
        raise UnexpectedOutcome(f"the execution succeeded but wrote no .out file under s3://{bucket}/{prefix}")
    return uris


def _record_drift(context: DemoContext, execution: FinishedExecution, batch_uri: str,
                  baseline_statistics_uri: str) -> str:
    """Read the check's constraint_violations.json and both statistics documents for the report.

    Both engines write the check's output under the data bucket's monitoring prefix, per execution: the
    Model Monitor step names it as its ViolationReport too, the processing engine's gate fails the execution
    with a message that names the violated features.
    """
    from pipelines.inference.pipeline import MONITORING_PREFIX

    workload = _production(context).require_workload()
    engine = workload.pipeline.drift_check_engine
    output = (f"s3://{workload.data_bucket_name}/{MONITORING_PREFIX}/{workload.inference_pipeline_name.lower()}/"
              f"{execution.execution_id}")
    report_uri = f"{output}/constraint_violations.json"
    if engine == MODEL_MONITOR:
        _, metadata = execution.step_metadata("QualityCheck")
        if metadata.get("ViolationReport") != report_uri:
            raise UnexpectedOutcome(f"the failed Model Monitor check names {metadata.get('ViolationReport')!r} as "
                                    f"its ViolationReport, expected {report_uri}")
    session = _production_session(context)
    violations = read_s3_json(session, report_uri).get("violations", [])
    if not violations:
        raise UnexpectedOutcome(f"the check failed the execution but {report_uri} lists no violation")
    # Model Monitor's reason names the checks; the processing engine's gate names the features (Age, not _c0).
    named = {violation["constraint_check_type"] for violation in violations} if engine == MODEL_MONITOR else \
        {feature_name(violation["feature_name"]) for violation in violations}
    if not any(name in execution.failure_reason for name in named):
        raise UnexpectedOutcome(f"the execution's failure reason names none of the violations ({sorted(named)}): "
                                f"{execution.failure_reason!r}")
    context.facts.drift_check_engine = engine
    context.facts.violations = violations
    context.facts.violations_report_uri = report_uri
    context.facts.drift_batch_uri = batch_uri
    context.facts.baseline_statistics = read_s3_json(session, baseline_statistics_uri)
    context.facts.batch_statistics = read_s3_json(session, f"{output}/statistics.json")
    kinds = sorted({violation["constraint_check_type"] for violation in violations})
    return f"Failed as it should ({engine} engine): {len(violations)} violation(s) ({', '.join(kinds)})"


def retrain(context: DemoContext) -> str:
    """Follow the train execution the inference-failure rule started in production (on part 1 + part 2)."""
    last = context.environments.last
    workload = context.config(last).require_workload()
    execution, run = follow_started(context, last, workload.train_pipeline_name,
                                    context.train_executions_before_failure, context.environments.retrain_label)
    expected_input = _data_uri(context, context.environments.last, "data/train/")
    if execution.parameters.get("InputDataUri") != expected_input:
        raise UnexpectedOutcome(f"the rule's target passed InputDataUri={execution.parameters.get('InputDataUri')!r}, "
                                f"expected {expected_input} (part 1 + part 2)")
    _require_status(execution, SUCCEEDED, f"train pipeline {workload.train_pipeline_name} in {last}")
    version = _record_version(context, execution, last)
    return (f"started by {run.started_by.removeprefix('EventBridge ')} on {expected_input}: version "
            f"{version.version} registered ({version.approval_status}): {_metrics_text(version)}")


def read_alert(context: DemoContext) -> str:
    """The e-mail the alert topic's subscribers received about this run's failed inference, read back from the
    local stack (a re-used stack may hold alerts of earlier runs: only this execution's are shown)."""
    from localaws.tools.stack import read_notifications
    from mlops_demo.email import DEFAULT_SUBJECT, format_email

    production = _production(context)
    topic = production.alert_topic_arn
    failed = context.facts.run("inference-outliers").execution_arn
    received = [n for n in read_notifications(context.facts.endpoint, topic) if failed in n.message]
    if not received:
        raise UnexpectedOutcome(f"nothing about {failed} was published to {topic}: "
                                "the inference-failure rule did not notify")
    for notification in received:
        context.facts.notifications.append(Notification(topic, notification.subject or DEFAULT_SUBJECT,
                                                        notification.message))
        # The result of this step is the e-mail itself: shown as it would arrive.
        print(format_email(notification, topic, [production.require_workload().alert_email]), flush=True)
    return f"{len(received)} alert(s) to {production.require_workload().alert_email} from {topic}"


def _production_endpoints(context: DemoContext) -> tuple[EndpointSettings, EndpointSettings]:
    """Production's single-model endpoint (moved by deploy-endpoint) and multi-model one (moved by the refresh)."""
    production = _production(context)
    by_mode: dict[str, EndpointSettings] = {}
    for endpoint in production.require_serving().endpoints:
        by_mode.setdefault(endpoint.mode, endpoint)
    missing = [mode for mode in (SINGLE_MODEL, MULTI_MODEL) if mode not in by_mode]
    if missing:
        raise ConfigError(f"{production.path}: field 'workload.serving.endpoints' has no {' and no '.join(missing)} "
                          "endpoint: the demo serves one of each mode; add it")
    return by_mode[SINGLE_MODEL], by_mode[MULTI_MODEL]


def _scores(invocation: EndpointInvocation) -> str:
    return ", ".join(f"{score:.3f}" for score in invocation.predictions)


def _invoke(context: DemoContext, step: str, endpoint: EndpointSettings, rows: tuple[str, ...],
            version: int) -> EndpointInvocation:
    """invoke-endpoint's library call with the rows (a multi-model endpoint: version's TargetModel); recorded."""
    multi_model = endpoint.mode == MULTI_MODEL
    answer = invoke(context.require_target(), _production(context), endpoint.name,
                    "".join(row + "\n" for row in rows), version=version if multi_model else None)
    if len(answer.predictions) != len(rows) or not all(0.0 <= score <= 1.0 for score in answer.predictions):
        raise UnexpectedOutcome(f"endpoint {endpoint.name} answered {answer.body[:200]!r} to {len(rows)} rows: "
                                "expected one probability per row")
    invocation = EndpointInvocation(step, endpoint.name, version, answer.target_model, rows, answer.predictions)
    context.facts.invocations.append(invocation)
    return invocation


def _record_serving(context: DemoContext, step: str, state: EndpointState) -> None:
    context.facts.serving.append(EndpointServing(step, state.endpoint, MULTI_MODEL if state.multi_model else
                                                 SINGLE_MODEL, state.status, state.config_name, state.versions))


def _require_versions(state: EndpointState, versions: tuple[int, ...]) -> None:
    if state.versions != versions:
        raise UnexpectedOutcome(f"{state.describe()}: expected version {', '.join(map(str, versions))}")


def _same_scores(what: str, got: EndpointInvocation, expected: EndpointInvocation) -> None:
    if got.predictions != expected.predictions:
        raise UnexpectedOutcome(f"{what}: {got.endpoint} scored [{_scores(got)}], {expected.endpoint} in step "
                                f"{expected.step} [{_scores(expected)}] for the same rows and version "
                                f"{expected.version}")


def _follow(context: DemoContext, endpoint: EndpointSettings, config_name: str) -> FollowedUpdate:
    """Follow a blue/green update to its end, moving the stack's clock through its baking periods."""
    from localaws.tools.stack import advance_clock

    target = context.require_target()
    sagemaker = _production_session(context).client("sagemaker")
    return follow_update(sagemaker, endpoint, config_name,
                         lambda seconds: advance_clock(target.endpoint, seconds), target.poll_seconds)


def _multi_model_serves(context: DemoContext, step: str, endpoint: EndpointSettings, why: str) -> EndpointState:
    """Wait (bounded) for the refresh the approval started: the multi-model endpoint serves every version the
    central group holds as Approved (read in the registry account)."""
    registry = context.config("registry")
    approved = tuple(summary["ModelPackageVersion"] for summary in model_registry.list_versions(
        context.session("registry").client("sagemaker"), registry.model_package_group_arn, APPROVED))
    state = wait_for_versions(_production_session(context).client("sagemaker"), _production(context), endpoint,
                              approved, why, context.require_target().poll_seconds)
    _record_serving(context, step, state)
    return state


def _deploy(context: DemoContext, endpoint: EndpointSettings, request: DeployRequest) -> tuple[str, EndpointState,
                                                                                               FollowedUpdate]:
    """deploy-endpoint's library call, then what its --wait does: follow the endpoint until it serves the new
    config, here moving the stack's clock through each baking period instead of sleeping it out. The action
    (created, updated, rolled-back), what serves now, and how the update went."""
    deployment = deploy_endpoint(request, context.require_target(), _production(context))
    followed = _follow(context, endpoint, deployment.config_name)
    state = serving_now(_production_session(context).client("sagemaker"), _production(context), followed.endpoint)
    return deployment.action, state, followed


def serve_first_version(context: DemoContext) -> str:
    """deploy-endpoint --version 1 on the single-model endpoint, followed to InService; invoke it with production
    batch rows; the multi-model endpoint serves version 1 too, by TargetModel, since the refresh its approval
    started."""
    from pipelines.data.prepare import BATCH, S3_KEYS

    single, multi = _production_endpoints(context)
    _, first = _version_trained_by(context, context.environments.train_label)
    s3 = _production_session(context).client("s3")
    context.capture_keys_before = capture_keys(s3, capture_s3_uri(_production(context)))
    action, state, _ = _deploy(context, single, DeployRequest(env=context.environments.last, endpoint=single.name,
                                                              version=first.version))
    _require_versions(state, (first.version,))
    _record_serving(context, ENDPOINT_V1, state)
    rows = first_rows(s3, _data_uri(context, context.environments.last, S3_KEYS[BATCH]), SAMPLE_ROWS)
    served = _invoke(context, ENDPOINT_V1, single, rows, first.version)
    _multi_model_serves(context, ENDPOINT_V1, multi, f"version {first.version}'s approval")
    by_target = _invoke(context, ENDPOINT_V1, multi, rows, first.version)
    _same_scores(f"TargetModel {by_target.target_model}", by_target, served)
    return (f"{single.name} {action}, serves version {first.version}: {len(rows)} production batch rows scored "
            f"{_scores(served)}; {multi.name} serves it as TargetModel {by_target.target_model}, same scores")


def serve_second_version(context: DemoContext) -> str:
    """deploy-endpoint --version 2: a blue/green update baked per the endpoint's deployment settings (the stack's
    clock moved through each baking period); its scores replace version 1's. The multi-model endpoint serves both
    versions by TargetModel once the refresh started by the approval has run."""
    single, multi = _production_endpoints(context)
    _, first = _version_trained_by(context, context.environments.train_label)
    _, second = _version_trained_by(context, context.environments.retrain_label)
    action, state, followed = _deploy(context, single, DeployRequest(
        env=context.environments.last, endpoint=single.name, version=second.version))
    if action != "updated":
        raise UnexpectedOutcome(f"deploying version {second.version} on {single.name} ended {action}, expected a "
                                f"blue/green update of the endpoint serving version {first.version}")
    _require_versions(state, (second.version,))
    _record_serving(context, ENDPOINT_V2, state)
    before = context.facts.invocation(ENDPOINT_V1, single.name, first.version)
    served = _invoke(context, ENDPOINT_V2, single, before.rows, second.version)
    if served.predictions == before.predictions:
        raise UnexpectedOutcome(f"{single.name} serves version {second.version} but scores the sample rows as "
                                f"version {first.version} did ({_scores(served)})")
    _multi_model_serves(context, ENDPOINT_V2, multi, f"version {second.version}'s approval")
    old = _invoke(context, ENDPOINT_V2, multi, before.rows, first.version)
    new = _invoke(context, ENDPOINT_V2, multi, before.rows, second.version)
    _same_scores(f"TargetModel {old.target_model}", old, before)
    _same_scores(f"TargetModel {new.target_model}", new, served)
    shares = ", then ".join(f"{share:.0%}" for share in followed.traffic_shares) or "all at once"
    return (f"{single.name} {single.deployment_strategy} update: {shares} of the traffic, each baked "
            f"{single.wait_interval_seconds} s (stack clock +{followed.advanced_seconds:g} s); serves version "
            f"{second.version}: scores {_scores(before)} -> {_scores(served)}; {multi.name} serves "
            f"{old.target_model} and {new.target_model}")


def roll_back_endpoint(context: DemoContext) -> str:
    """deploy-endpoint --rollback: version 1 serves again with its own scores; then the data capture of every
    invocation of the demo, counted under the data bucket's capture prefix."""
    production = _production(context)
    single, _ = _production_endpoints(context)
    _, first = _version_trained_by(context, context.environments.train_label)
    _, state, _ = _deploy(context, single, DeployRequest(env=context.environments.last, endpoint=single.name,
                                                         rollback=True))
    _require_versions(state, (first.version,))
    _record_serving(context, ENDPOINT_ROLLBACK, state)
    before = context.facts.invocation(ENDPOINT_V1, single.name, first.version)
    served = _invoke(context, ENDPOINT_ROLLBACK, single, before.rows, first.version)
    _same_scores(f"after the rollback to version {first.version}", served, before)

    capture_uri = capture_s3_uri(production)
    objects, lines = count_capture(_production_session(context).client("s3"), capture_uri, context.capture_keys_before)
    sampling = production.require_serving().capture_sampling_percent
    invocations = len(context.facts.invocations)
    context.facts.capture = CaptureCount(capture_uri, sampling, objects, lines, invocations)
    if sampling == 100 and lines != invocations:
        raise UnexpectedOutcome(f"data capture under {capture_uri} holds {lines} record(s) in {objects} object(s) "
                                f"for the demo's {invocations} invocations at 100% sampling")
    return (f"{single.name} rolled back to {state.config_name}: version {first.version} serves again, scores "
            f"{_scores(served)} as before; data capture: {objects} object(s), {lines} record(s) for "
            f"{invocations} invocations ({sampling}% sampled)")


def serve_in_the_secondary_region(context: DemoContext) -> str:
    """deploy-endpoint --region secondary: the version the primary serves now (2), from its artifact's replica and
    that region's image; the same rows sent to both regions must get the same scores."""
    production = _production(context)
    secondary = production.require_secondary_region()
    single, _ = _production_endpoints(context)
    _, second = _version_trained_by(context, context.environments.retrain_label)
    rows = context.facts.invocation(ENDPOINT_V2, single.name, second.version).rows
    deployment, comparison = deploy_and_compare(context.require_target(), production, single.name,
                                                [row.split(",") for row in rows], version=second.version)
    sagemaker = context.require_target().session(production.account_id, secondary.region).client("sagemaker")
    [variant] = sagemaker.describe_endpoint_config(EndpointConfigName=deployment.config_name)["ProductionVariants"]
    model = sagemaker.describe_model(ModelName=variant["ModelName"])
    served = RegionServing(single.name, second.version, production.aws_region, secondary.region,
                           model["PrimaryContainer"]["ModelDataUrl"], rows, comparison.primary.predictions,
                           comparison.secondary.predictions)
    context.facts.regions.append(served)
    # The primary's answer is an invocation of the demo like the others (its data capture is counted).
    context.facts.invocations.append(EndpointInvocation(ENDPOINT_SECONDARY, single.name, second.version, None, rows,
                                                        comparison.primary.predictions))
    if not comparison.identical:
        raise UnexpectedOutcome(f"endpoint {single.name} scored the same rows {served.primary} in "
                                f"{production.aws_region} but {served.secondary} in {secondary.region}")
    return (f"{single.name} in {secondary.region} serves version {second.version} from {served.model_data_url}: "
            f"scores {', '.join(f'{score:.3f}' for score in served.secondary)}, identical to {production.aws_region}'s")


def demo_steps(environments: DemoEnvironments, training_data: str | None = None) -> list[Step[DemoContext]]:
    """The loop through `environments`: trained and approved in the first, applied and served (version 1,
    smoke-tested) in each one between, and production's whole story in the last."""
    first, last = environments.first, environments.last
    workloads = ", ".join(environments.names)
    warehouse = [Step("warehouse", f"local, {workloads}", "mlops-local db up: PostgreSQL with the UCI data, its "
                      "connection in the warehouse secrets", start_warehouse)]
    if training_data != WAREHOUSE_SOURCE:
        warehouse = []
    train, retrain_label = environments.train_label, environments.retrain_label
    promoted_through = [step for middle in environments.middle for step in (
        Step(f"deploy-{middle}", middle, "the Jenkins deploy stages' scripts: read config, plan, apply, upsert",
             deploy_stages(middle)),
        Step(f"endpoints-{middle}", middle, "the Jenkins endpoint promotion's scripts: serve version 1 on every "
             "endpoint, smoke test", serve_and_smoke_test(middle)),
    )]
    return [
        Step("local-stack", "local", "start the local AWS stack (moto with the project's extensions)",
             start_local_stack),
        Step("infrastructure", f"registry, {workloads}", "mlops-infra bootstrap + apply of each account, side by side",
             apply_infrastructure),
        *warehouse,
        Step(f"data-{first}", first, f"prepare the UCI data set and upload it to {first}'s data bucket",
             prepare_data(first)),
        Step(f"data-{last}", last, f"upload the same files to {last}'s data bucket", prepare_data(last)),
        Step(f"upsert-{first}", first, f"run-pipeline: upload the scripts, upsert both pipelines in {first}",
             upsert_pipelines),
        Step(train, first, f"StartPipelineExecution of the train pipeline in {first} (real XGBoost on part 1)",
             train_first_version),
        Step("approve-v1", "registry", f"approve-model: approve the {first}-trained version in the central group",
             approve(train)),
        *promoted_through,
        Step(f"deploy-{last}", last, "the Jenkins deploy stages' scripts: read config, plan, apply, upsert",
             deploy_stages(last)),
        Step(ENDPOINT_V1, last, f"deploy-endpoint --version 1, followed to InService; invoke-endpoint with {last} "
             "rows", serve_first_version),
        Step("inference-clean", last, "the schedule rule fires (stack clock +1 day): inference with version 1",
             run_inference("inference-clean", None, SUCCEEDED, model_from=train)),
        Step("inference-outliers", last, "batch inference on the outlier batch: the data-quality check must fail it",
             run_inference("inference-outliers", "data/batch/outliers/", FAILED, model_from=train)),
        Step(retrain_label, last, "the train pipeline the EventBridge rule started, on part 1 + part 2", retrain),
        Step("alert-email", last, "the SNS alert read back, as the e-mail would read", read_alert),
        Step("approve-v2", "registry", "approve-model: approve the retrained version", approve(retrain_label)),
        Step(ENDPOINT_V2, last, "deploy-endpoint --version 2 (canary); the multi-model endpoint serves v1 and v2",
             serve_second_version),
        Step(ENDPOINT_SECONDARY, last, "deploy-endpoint --region secondary: version 2 from the replica, same "
             "scores in both regions", serve_in_the_secondary_region),
        Step(ENDPOINT_ROLLBACK, last, "deploy-endpoint --rollback: version 1 serves again; data capture counted",
             roll_back_endpoint),
        Step("inference-v2", last, "the schedule rule fires again: inference uses the new version",
             run_inference("inference-v2", None, SUCCEEDED, model_from=retrain_label)),
    ]
