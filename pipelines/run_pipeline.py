"""What `run-pipeline` does: upload the pipelines' scripts, upsert the pipelines, optionally start and follow them.

`run_pipelines(RunRequest, Target)` checks every input (kwargs, tags, parameter names and values against the
definitions' declared types) before its first AWS call, then returns one `PipelineRun` per pipeline. Following an
execution (`wait`) leaves it running where it runs whatever happens to the caller. The CLI is
pipelines/cli/run_pipeline.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.aws import Target
from pipelines.aws_calls import explained_aws_errors
from pipelines.config import (
    APPROVAL_STATUSES,
    PENDING_MANUAL_APPROVAL,
    EnvConfig,
    load_config,
    workload_environments,
)
from pipelines.errors import ExecutionFailed, UsageError
from pipelines.execution import PipelineExecution
from pipelines.pipeline_definition.parameters import check_given_values
from pipelines.train.tuning import PARENT_PARAMETER, parent_tuning_job

logger = logging.getLogger("run-pipeline")
PIPELINE_CHOICES = ("train", "inference", "all")
APPROVAL_PARAMETER = "ModelApprovalStatus"


@dataclass(frozen=True)
class RunRequest:
    env: str | None = None
    pipeline: str | None = None
    module_name: str | None = None
    role_arn: str | None = None
    kwargs: str | None = None
    tags: str | None = None
    description: str | None = None
    local: bool = False
    start: bool = False
    wait: bool = False
    execution_arn: str | None = None
    parameters: tuple[str, ...] = ()
    """NAME=VALUE items."""
    environments_dir: Path | None = None
    """Where the environment files are read (default: pipelines.config.default_environments_dir())."""


@dataclass(frozen=True)
class PipelineRun:
    """What run-pipeline did to one pipeline: its upsert and, when started, its execution."""

    pipeline_name: str
    account_id: str
    upsert: str | None = None
    """created, updated or unchanged (None when only an existing execution was followed)."""
    execution_arn: str | None = None
    status: str | None = None
    """The execution's last known status (final with --wait)."""
    failure_reason: str | None = None


def parse_parameters(items: Sequence[str]) -> dict[str, str]:
    values = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name.strip():
            raise UsageError(f"--parameters {item!r}: use NAME=VALUE, e.g. --parameters AucScoreThreshold=0.8")
        values[name.strip()] = value
    return values


def check_approval_parameter(config: EnvConfig, parameters: Mapping[str, str]) -> None:
    """New versions are registered PendingManualApproval and approved by an approver (approve-model); a run may
    ask for another status only where the environment file allows auto-approval (where no person approves the
    environment's applies: jenkins.apply_submitter null)."""
    value = parameters.get(APPROVAL_PARAMETER)
    if value is None or value == PENDING_MANUAL_APPROVAL:
        return
    if value not in APPROVAL_STATUSES:
        raise UsageError(f"--parameters {APPROVAL_PARAMETER}={value!r} is not a model approval status: use "
                         f"{PENDING_MANUAL_APPROVAL}, or leave the parameter out")
    if not config.require_workload().pipeline.allow_auto_approval:
        raise UsageError(
            f"--parameters {APPROVAL_PARAMETER}={value} is refused in {config.environment}: versions are registered "
            f"{PENDING_MANUAL_APPROVAL} and approved by an approver with approve-model; leave the parameter out"
            + (f" (or set 'workload.pipeline.allow_auto_approval' to true in {config.path} and list "
               f"{config.environment} in the registry file's 'model_registry.auto_approving_environments')"
               if config.jenkins is None or config.jenkins.apply_submitter is None else ""))
    # The registry admits Approved registrations only from the environments its file lists: refused here rather
    # than at the end of a training run.
    workload_environments(config.path.parent)


def parse_tags(text: str | None) -> list[dict[str, str]]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"--tags is not valid JSON ({error.msg} at column {error.colno}): {text!r}") from None
    if isinstance(value, dict):
        value = [{"Key": k, "Value": v} for k, v in value.items()]
    if not isinstance(value, list) or not all(
            isinstance(t, dict) and set(t) == {"Key", "Value"} and all(isinstance(x, str) for x in t.values())
            for t in value):
        raise UsageError('--tags must be [{"Key": "k", "Value": "v"}, ...] or {"k": "v"} with string values')
    return value


def run_pipelines(request: RunRequest, target: Target) -> list[PipelineRun]:
    """Upload, upsert and optionally start and follow; progress goes to `target.progress`.

    Raises ExecutionFailed when a followed execution ends Failed or Stopped, UsageError for bad input (before
    any AWS call).
    """
    # Imported here so argument errors and --help stay fast: the SDK takes seconds to import.
    from pipelines.definitions import PIPELINE_MODULES, build_pipeline, parse_kwargs

    kwargs = parse_kwargs(request.kwargs)
    tags = parse_tags(request.tags)
    parameters = parse_parameters(request.parameters)
    if request.wait and not (request.start or request.execution_arn):
        raise UsageError("--wait needs --start (or --execution-arn to follow an execution already started)")
    if request.execution_arn and (request.start or not request.wait):
        raise UsageError("--execution-arn goes with --wait alone: it follows an execution, it starts none")
    env = kwargs.pop("env", None) or request.env
    if env is None:
        raise UsageError(f"give --env ({', '.join(workload_environments())}) or \"env\" in --kwargs")
    config = load_config(env, request.environments_dir)
    config.require_workload()
    check_approval_parameter(config, parameters)
    if request.execution_arn:
        return [follow(target, config, request.execution_arn)]
    role = kwargs.get("role") or request.role_arn or config.sagemaker_execution_role_arn
    if request.role_arn and "role" not in kwargs:
        kwargs["role"] = request.role_arn
    if request.module_name:
        module_names = [request.module_name]
    else:
        selected = request.pipeline or "all"
        module_names = list(PIPELINE_MODULES.values()) if selected == "all" else [PIPELINE_MODULES[selected]]

    # Build every definition (pure) and check every input before the first AWS call: nothing half-done.
    built = [build_pipeline(name, env, kwargs) for name in module_names]
    declared = {name for pipeline in built for name in pipeline.parameter_names}
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise UsageError(f"unknown pipeline parameter(s) {', '.join(unknown)}: "
                         f"the pipeline(s) declare {', '.join(sorted(declared))}")
    for pipeline in built:
        check_given_values(json.loads(pipeline.definition), parameters)

    session = target.session(config.account_id, config.aws_region)
    runs = []
    for pipeline in built:
        with explained_aws_errors(f"uploading the code of {pipeline.name}"):
            upload_code(session, config, pipeline.code_assets)
        with explained_aws_errors(f"upserting {pipeline.name}"):
            outcome = upsert(session, pipeline.name, pipeline.definition, role, request.description, tags)
        target.progress(f"{pipeline.name}: {outcome} in account {config.account_id}")
        runs.append(PipelineRun(pipeline.name, config.account_id, upsert=outcome))
    if not request.start:
        return runs
    executions = []
    for pipeline in built:
        own = {name: value for name, value in parameters.items() if name in pipeline.parameter_names}
        if PARENT_PARAMETER in pipeline.parameter_names and PARENT_PARAMETER not in own:
            with explained_aws_errors("looking up the tuning job of the latest Approved model version"):
                own[PARENT_PARAMETER] = parent_tuning_job(session.client("sagemaker"), config)
            target.progress(f"{pipeline.name}: " + (f"warm start from tuning job {own[PARENT_PARAMETER]}"
                                                    if own[PARENT_PARAMETER] else "tuning without warm start"))
        with explained_aws_errors(f"starting {pipeline.name}"):
            execution = PipelineExecution.start(session, pipeline.name, own, poll_seconds=target.poll_seconds)
        target.progress(f"{pipeline.name}: started {execution.arn}")
        executions.append(execution)
    runs = [PipelineRun(run.pipeline_name, run.account_id, run.upsert, execution.arn, "Executing")
            for run, execution in zip(runs, executions, strict=True)]
    if not request.wait:
        return runs
    return [_finish(run, _wait(target, run.pipeline_name, execution))
            for run, execution in zip(runs, executions, strict=True)]


def follow(target: Target, config: EnvConfig, execution_arn: str) -> PipelineRun:
    """Follow an execution started earlier (by this command, a rule, another client) to its end."""
    parts = execution_arn.split(":")
    if len(parts) != 6 or parts[2] != "sagemaker" or "/execution/" not in parts[5]:
        raise UsageError(f"--execution-arn {execution_arn!r} is not a pipeline execution ARN "
                         "(arn:aws:sagemaker:REGION:ACCOUNT:pipeline/NAME/execution/ID)")
    if parts[4] != config.account_id:
        raise UsageError(f"--execution-arn is in account {parts[4]}, but --env {config.environment} is account "
                         f"{config.account_id}")
    pipeline_name = parts[5].split("/")[1]
    session = target.session(config.account_id, config.aws_region)
    execution = PipelineExecution(session.client("sagemaker"), execution_arn, poll_seconds=target.poll_seconds)
    with explained_aws_errors(f"following {execution_arn}"):
        execution.describe()  # an unknown ARN is named now, not after the first poll
    return _finish(PipelineRun(pipeline_name, config.account_id, execution_arn=execution_arn),
                   _wait(target, pipeline_name, execution))


def _wait(target: Target, name: str, execution: PipelineExecution) -> dict[str, Any]:
    def log_step(step: str, status: str, entry: dict[str, Any]) -> None:
        reason = f" ({entry['FailureReason']})" if entry.get("FailureReason") else ""
        target.progress(f"{name}: step {step} {status}{reason}")

    try:
        target.progress(f"{name}: following {execution.arn}")
        with explained_aws_errors(f"following {execution.arn}"):
            return execution.wait(on_step_change=log_step)
    except KeyboardInterrupt:
        # Only this command stops: the execution goes on where it runs, and can be followed again.
        raise ExecutionDetached(name, execution.arn) from None


def _finish(run: PipelineRun, final: dict[str, Any]) -> PipelineRun:
    status = final["PipelineExecutionStatus"]
    finished = PipelineRun(run.pipeline_name, run.account_id, run.upsert, run.execution_arn, status,
                           final.get("FailureReason"))
    if status != "Succeeded":
        reason = final.get("FailureReason") or "no failure reason given"
        raise ExecutionFailed(f"{run.pipeline_name} execution {run.execution_arn} ended {status}: {reason}")
    return finished


class ExecutionDetached(KeyboardInterrupt):
    """--wait was interrupted: the execution still runs; the message says how to follow it again."""

    def __init__(self, pipeline_name: str, execution_arn: str):
        super().__init__(f"{pipeline_name}: stopped following {execution_arn}; it is still running. Follow it "
                         f"again with: run-pipeline --env ENV --wait --execution-arn {execution_arn}")


def upload_code(session, config: EnvConfig, assets) -> None:
    """Upload each script to its content-addressed key, with S3's SHA-256 checksum, unless an object whose
    checksum is the key's digest is there already. An object that differs from its key (changed in place, or
    stored without a checksum) is never trusted: it is replaced, and the replacement logged."""
    s3 = session.client("s3")
    for asset in assets:
        body = asset.body
        digest = hashlib.sha256(body).digest()
        stored = stored_sha256(s3, asset.bucket, asset.key)
        if stored == base64.b64encode(digest).decode():
            logger.info("code already uploaded: %s", asset.s3_uri)
            continue
        if stored is not None:
            logger.warning("replacing %s: its SHA-256 checksum %s is not the one its key names (%s)",
                           asset.s3_uri, stored or "(none)", digest.hex())
        s3.put_object(Bucket=asset.bucket, Key=asset.key, Body=body, ChecksumAlgorithm="SHA256",
                      ChecksumSHA256=base64.b64encode(digest).decode(),
                      ServerSideEncryption="aws:kms", SSEKMSKeyId=config.workload_kms_alias_arn)
        logger.info("uploaded %s", asset.s3_uri)


def stored_sha256(s3, bucket: str, key: str) -> str | None:
    """The object's SHA-256 checksum (base64) as S3 keeps it; "" when it has none; None when there is no object."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return head.get("ChecksumSHA256") or ""


def upsert(session, name: str, definition: str, role: str, description: str | None,
           tags: list[dict[str, str]]) -> str:
    """Create the pipeline, or update it when its stored definition or role differ; returns what happened."""
    sagemaker = session.client("sagemaker")
    request: dict[str, Any] = {"PipelineName": name, "PipelineDefinition": definition, "RoleArn": role}
    if description:
        request["PipelineDescription"] = description
    current = describe_pipeline(sagemaker, name)
    if current is None:
        sagemaker.create_pipeline(**request, **({"Tags": tags} if tags else {}))
        return "created"
    same_definition = json.loads(current["PipelineDefinition"]) == json.loads(definition)
    same_description = description is None or current.get("PipelineDescription") == description
    if same_definition and current.get("RoleArn") == role and same_description:
        return "unchanged"
    sagemaker.update_pipeline(**request)
    return "updated"


def describe_pipeline(sagemaker, name: str) -> dict[str, Any] | None:
    try:
        return sagemaker.describe_pipeline(PipelineName=name)
    except sagemaker.exceptions.ResourceNotFound:
        return None
    except sagemaker.exceptions.ClientError as error:
        # Some SageMaker front ends (and moto) answer ValidationException "Could not find pipeline ...".
        if "Could not find" in error.response["Error"].get("Message", ""):
            return None
        raise
