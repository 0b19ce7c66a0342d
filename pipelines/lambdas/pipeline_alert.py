"""Lambda handler: an alert a person can act on when a SageMaker pipeline execution fails.

The target of the EventBridge failure rules (event "SageMaker Model Building Pipeline Execution Status
Change", which carries no failure reason). It reads the execution's FailureReason (DescribePipelineExecution),
the failed step (ListPipelineExecutionSteps, every page) and, when there is one, the data-quality violations
report (constraint_violations.json under the data bucket's monitoring prefix), then publishes to the alert
topic a message whose subject names the environment, the pipeline and the cause, e.g.
"[prod] mammo-batch-inference failed: data drift in Age (distance 0.3 > 0.1)".

Everything it reads fails soft: an unreadable execution, step list or report still gives an alert naming
the failure, with a note of what could not be read. Only publishing can fail the invocation (EventBridge
then retries it). Deployed by Terraform (handler `pipeline_alert.handler`) from pipeline_alert.zip
(`pipelines.lambdas.package`), which carries the registry and S3-URI modules beside it; it needs only boto3 (in the
Lambda runtime).

Environment: ALERT_TOPIC_ARN, ENVIRONMENT, MONITORING_BUCKET, MONITORING_PREFIX (the inference check writes
<prefix>/<pipeline>/<execution id>/constraint_violations.json), FEATURE_NAMES (comma-separated names of the
header-less columns _c0, _c1, ...), RETRAIN_ON_FAILURE_OF (the pipeline whose failure starts retraining),
RETRAIN_PIPELINE_NAME and RETRAIN_INPUT_DATA_URI (what that retraining runs).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from pipelines import s3_uri
from pipelines.model_registry import NO_APPROVED_MODEL

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

SUBJECT_LIMIT = 100  # SNS: at most 100 printable ASCII characters, no line break
DRIFT_DISTANCE = re.compile(r"distance:?\s*([0-9.eE+-]+)\s+exceeds\s+(?:\w+\s+)?threshold:?\s*([0-9.eE+-]+)")
VIOLATIONS_FILE = "constraint_violations.json"
CHECK_NAMES = {
    "baseline_drift_check": "drift",
    "completeness_check": "completeness",
    "data_type_check": "data type",
    "missing_column_check": "missing column",
    "extra_column_check": "extra column",
    "categorical_values_check": "categorical values",
}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    session = boto3.session.Session()
    return send_alert(event, Settings.from_environment(), session.client("sagemaker"), session.client("s3"),
                      session.client("sns"))


def send_alert(event: Mapping[str, Any], settings: Settings, sagemaker, s3, sns) -> dict[str, Any]:
    """Build the alert for one event and publish it to the alert topic; returns what was published."""
    alert = build_alert(event, settings, sagemaker, s3)
    sns.publish(TopicArn=settings.topic_arn, Subject=alert["subject"], Message=alert["message"])
    logger.info("published %r to %s", alert["subject"], settings.topic_arn)
    return alert


class Settings:
    def __init__(self, topic_arn: str, environment: str, bucket: str, prefix: str, feature_names: Sequence[str],
                 retrain_on_failure_of: str, retrain_pipeline: str, retrain_input: str):
        self.topic_arn, self.environment = topic_arn, environment
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.feature_names = list(feature_names)
        self.retrain_on_failure_of, self.retrain_pipeline, self.retrain_input = (
            retrain_on_failure_of, retrain_pipeline, retrain_input)

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            topic_arn=os.environ["ALERT_TOPIC_ARN"],
            environment=os.environ.get("ENVIRONMENT", "unknown"),
            bucket=os.environ.get("MONITORING_BUCKET", ""),
            prefix=os.environ.get("MONITORING_PREFIX", "monitoring"),
            feature_names=[n for n in os.environ.get("FEATURE_NAMES", "").split(",") if n],
            retrain_on_failure_of=os.environ.get("RETRAIN_ON_FAILURE_OF", ""),
            retrain_pipeline=os.environ.get("RETRAIN_PIPELINE_NAME", ""),
            retrain_input=os.environ.get("RETRAIN_INPUT_DATA_URI", ""),
        )

    def feature(self, column: str) -> str:
        """`_c<i>` (a header-less column) as the feature's name; any other name as it is."""
        match = re.fullmatch(r"_c(\d+)", column)
        if match and int(match.group(1)) < len(self.feature_names):
            return self.feature_names[int(match.group(1))]
        return column


def build_alert(event: Mapping[str, Any], settings: Settings, sagemaker, s3) -> dict[str, Any]:
    """Subject and message for one status-change event; every read fails soft into `notes`."""
    detail = event.get("detail") or {}
    execution_arn = detail.get("pipelineExecutionArn") or ""
    pipeline_name = _pipeline_name(detail.get("pipelineArn") or execution_arn)
    execution_id = execution_arn.rsplit("/", 1)[-1] if "/execution/" in execution_arn else ""
    status = detail.get("currentPipelineExecutionStatus") or "Failed"
    region = event.get("region") or _arn_part(execution_arn, 3)
    notes: list[str] = []

    execution = _soft(notes, "the execution (DescribePipelineExecution)",
                      lambda: sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn)) or {}
    steps = _soft(notes, "the execution's steps (ListPipelineExecutionSteps)",
                  lambda: list_steps(sagemaker, execution_arn)) or []
    failed_steps = [step for step in steps if step.get("StepStatus") == "Failed"]
    failed = failed_steps[0] if failed_steps else None
    failure_reason = execution.get("FailureReason") or (failed or {}).get("FailureReason") or ""

    report_uri = _report_uri(steps, settings, pipeline_name, execution_id)
    violations = None
    if report_uri:
        violations = _soft(notes, f"the violations report {report_uri}", lambda: read_violations(s3, report_uri))

    cause = _cause(violations, failed, failure_reason, settings)
    subject = _subject(f"[{settings.environment}] {pipeline_name or 'pipeline'} {status.lower()}: {cause}")
    lines = [
        f"Environment: {settings.environment}",
        f"Pipeline: {pipeline_name}",
        f"Status: {status} (was {detail.get('previousPipelineExecutionStatus') or 'unknown'}) at "
        f"{event.get('time') or detail.get('executionEndTime') or 'unknown time'}",
        f"Cause: {cause}",
        f"Execution: {execution_arn}",
    ]
    if failed:
        reason = failed.get("FailureReason") or ((failed.get("Metadata") or {}).get("Fail") or {}).get("ErrorMessage")
        lines.append(f"Failed step: {failed.get('StepName')} ({failed.get('StepDisplayName') or 'step'}): "
                     f"{reason or 'no reason given'}")
    else:
        lines.append("Failed step: not found in the execution's steps")
    lines.append(f"Failure reason: {failure_reason or 'not given'}")
    if violations:
        lines += ["", f"Data-quality violations ({len(violations)}, report {report_uri}):",
                  *_table(violations, settings)]
    lines += ["", f"Retraining: {_retraining(pipeline_name, settings)}"]
    if region and pipeline_name and execution_id:
        lines.append(f"Console: https://{region}.console.aws.amazon.com/sagemaker/home?region={region}"
                     f"#/pipelines/{pipeline_name}/executions/{execution_id}")
    if notes:
        lines += ["", "Could not read (the alert is based on the rest):", *[f"- {note}" for note in notes]]
    return {"subject": subject, "message": "\n".join(lines) + "\n", "cause": cause,
            "violations": violations or [], "failed_step": (failed or {}).get("StepName")}


def list_steps(sagemaker, execution_arn: str) -> list[dict]:
    steps: list[dict] = []
    for page in sagemaker.get_paginator("list_pipeline_execution_steps").paginate(
            PipelineExecutionArn=execution_arn):
        steps.extend(page.get("PipelineExecutionSteps", []))
    return steps


def read_violations(s3, uri: str) -> list[dict] | None:
    """The report's violations; None when there is no report (the check did not run or found nothing to write)."""
    bucket, key = s3_uri.split(uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    document = json.loads(body)
    violations = document.get("violations") if isinstance(document, dict) else None
    if not isinstance(violations, list):
        raise ValueError("it holds no 'violations' list")
    return [v for v in violations if isinstance(v, dict)]


def _report_uri(steps: Sequence[Mapping], settings: Settings, pipeline_name: str, execution_id: str) -> str:
    """The QualityCheck step's ViolationReport (model-monitor engine), else where both engines write it."""
    for step in steps:
        report = ((step.get("Metadata") or {}).get("QualityCheck") or {}).get("ViolationReport")
        if report:
            return report
    if settings.bucket and pipeline_name and execution_id:
        return s3_uri.join(settings.bucket, settings.prefix, pipeline_name, execution_id, VIOLATIONS_FILE)
    return ""


def _cause(violations: list[dict] | None, failed: Mapping | None, failure_reason: str, settings: Settings) -> str:
    if violations:
        drift = [v for v in violations if v.get("constraint_check_type") == "baseline_drift_check"]
        if drift:
            shown = [_drift_text(v, settings) for v in drift]
            more = len(violations) - len(drift)
            return "data drift in " + ", ".join(shown) + (f", +{more} more" if more else "")
        return "data-quality violations: " + ", ".join(
            f"{settings.feature(str(v.get('feature_name')))} "
            f"{CHECK_NAMES.get(v.get('constraint_check_type'), v.get('constraint_check_type'))}"
            for v in violations)
    if NO_APPROVED_MODEL in failure_reason:
        return "no approved model version"
    if failed:
        return f"step {failed.get('StepName')} failed"
    return "execution failed" + (f": {failure_reason}" if failure_reason else "")


def _drift_text(violation: Mapping, settings: Settings) -> str:
    name = settings.feature(str(violation.get("feature_name")))
    figures = DRIFT_DISTANCE.search(str(violation.get("description", "")))
    if not figures:
        return name
    return f"{name} (distance {_figure(figures.group(1))} > {_figure(figures.group(2))})"


def _figure(text: str) -> str:
    try:
        return f"{float(text):.2f}"
    except ValueError:
        return text


def _table(violations: Sequence[Mapping], settings: Settings) -> list[str]:
    rows = [(settings.feature(str(v.get("feature_name"))), str(v.get("constraint_check_type")),
             str(v.get("description"))) for v in violations]
    header = ("feature", "check", "figures")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(2)]
    return [f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}" for row in [header, *rows]]


def _retraining(pipeline_name: str, settings: Settings) -> str:
    if settings.retrain_pipeline and pipeline_name and pipeline_name.lower() == settings.retrain_on_failure_of.lower():
        return (f"the failure rule started pipeline {settings.retrain_pipeline} on "
                f"{settings.retrain_input or 'its default data'}; approve its new version once it succeeds")
    return "none started by this failure"


def _subject(text: str) -> str:
    printable = "".join(c if 32 <= ord(c) < 127 else "?" for c in " ".join(text.split()))
    return printable if len(printable) <= SUBJECT_LIMIT else printable[:SUBJECT_LIMIT - 3] + "..."


def _soft(notes: list[str], what: str, read):
    try:
        return read()
    except (ClientError, BotoCoreError, ValueError) as error:
        logger.warning("could not read %s: %s", what, error)
        notes.append(f"{what}: {error}")
        return None


def _pipeline_name(arn: str) -> str:
    # arn:aws:sagemaker:<region>:<account>:pipeline/<name>[/execution/<id>]
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
    parts = resource.split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "pipeline" else ""


def _arn_part(arn: str, index: int) -> str:
    parts = arn.split(":")
    return parts[index] if len(parts) > index else ""
