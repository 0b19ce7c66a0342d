"""`workload`: a workload account's (dev, prod) data bucket, key, pipelines, roles, alerts, schedule, the train
pipeline's settings (training data, tuning, approval) and its serving."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass

from pipelines.config.accounts import REGISTRY
from pipelines.config.fields import (
    BUCKET_HINT,
    BUCKET_NAME,
    FUNCTION_HINT,
    FUNCTION_NAME,
    IAM_HINT,
    IAM_NAME,
    INSTANCE_HINT,
    INSTANCE_TYPE,
    NAME_HINT,
    RESOURCE_NAME,
    Fields,
)
from pipelines.config.serving import Serving, parse_serving

# The UCI Mammographic Mass data set's feature columns, in file order: what prepare-data validates and writes,
# and how the drift check names the columns of the header-less batch files (_c0 is Age).
FEATURES = ("Age", "Shape", "Margin", "Density")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+", re.ASCII)
SCHEDULE = re.compile(r"(cron\([^()]+\)|rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\))", re.ASCII)
# SageMaker's limit on a training job's MaxRuntimeInSeconds (StoppingCondition): 28 days.
MAX_TRAINING_RUNTIME_SECONDS = 28 * 24 * 60 * 60
DEFAULT_TRAINING_RUNTIME_SECONDS = 24 * 60 * 60  # what SDK v2 wrote (v3 writes 3600 s unless told)
CRON_FIELDS = 6  # EventBridge: minutes hours day-of-month month day-of-week year
APPROVAL_STATUSES = ("Approved", "PendingManualApproval", "Rejected")
PENDING_MANUAL_APPROVAL = "PendingManualApproval"
# How the data-quality baseline and drift check run: SageMaker Model Monitor's analyzer container (closed to new
# customers on 2026-07-30), or processing jobs on the scikit-learn image running the project's own analyzer.
MODEL_MONITOR, PROCESSING = "model-monitor", "processing"
DRIFT_CHECK_ENGINES = (MODEL_MONITOR, PROCESSING)
# Where the train pipeline reads its data: CSV files in the data bucket, or a query on the SQL warehouse.
S3_SOURCE, WAREHOUSE_SOURCE = "s3", "warehouse"
TRAINING_DATA_SOURCES = (S3_SOURCE, WAREHOUSE_SOURCE)
SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}", re.ASCII)
SQL_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?", re.ASCII)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8,17}", re.ASCII)
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-f]{8,17}", re.ASCII)
# Tuning ranges as CreateHyperParameterTuningJob names their kinds and scaling types.
RANGE_KINDS = ("integer", "continuous")
SCALING_TYPES = ("Auto", "Linear", "Logarithmic")
MAX_TUNING_JOBS = 750  # ResourceLimits.MaxNumberOfTrainingJobs


@dataclass(frozen=True)
class Schedule:
    expression: str
    enabled: bool


@dataclass(frozen=True)
class Warehouse:
    """The SQL warehouse the train pipeline can read: the connection secret Terraform creates (its value, JSON
    with host, port, dbname, username, password, is put by the warehouse's owner), the table, the default date
    window of DataStartDate/DataEndDate, and the VPC the extract job runs in (empty: no VpcConfig)."""

    secret_name: str
    table: str
    start_date: str
    end_date: str
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainingData:
    source: str = S3_SOURCE
    warehouse: Warehouse | None = None


@dataclass(frozen=True)
class ParameterRange:
    """One tuned hyperparameter: an integer or continuous range, as CreateHyperParameterTuningJob takes it."""

    name: str
    kind: str
    min_value: float
    max_value: float
    scaling: str


@dataclass(frozen=True)
class Tuning:
    """`workload.pipeline.tuning`: a Bayesian tuning job maximising validation:auc over `ranges`."""

    max_jobs: int
    max_parallel_jobs: int
    random_seed: int
    ranges: tuple[ParameterRange, ...]


@dataclass(frozen=True)
class PipelineSettings:
    processing_instance_type: str
    processing_instance_count: int
    training_instance_type: str
    training_max_runtime_seconds: int
    """The training job's StoppingCondition.MaxRuntimeInSeconds (a tuning job's, for each of its training jobs);
    optional in the file (a file written for the v2-based version has none): one day."""
    transform_instance_type: str
    transform_instance_count: int
    auc_threshold: float
    model_approval_status: str
    drift_check_engine: str
    allow_auto_approval: bool = False
    """Lets a run register a version other than PendingManualApproval: only in an environment whose applies no
    person approves (jenkins.apply_submitter null), such as the first of the promotion."""
    training_data: TrainingData = TrainingData()
    tuning: Tuning | None = None
    """Warm-start hyperparameter tuning instead of the fixed hyperparameters; None trains once."""


@dataclass(frozen=True)
class Workload:
    data_bucket_name: str
    kms_alias: str
    train_pipeline_name: str
    inference_pipeline_name: str
    latest_model_function_name: str
    alert_function_name: str
    sagemaker_execution_role_name: str
    lambda_role_name: str
    alert_lambda_role_name: str
    events_role_name: str
    alert_topic_name: str
    alert_email: str
    inference_schedule: Schedule
    pipeline: PipelineSettings
    serving: Serving | None = None
    """None: the account serves no endpoints."""


def parse_workload(top: Fields, environment: str) -> Workload | None:
    """`workload` of the file's top level `top`: set for a workload account, null for the registry."""
    fields = top.child("workload", optional=True)
    if environment != REGISTRY and fields is None:
        raise top.fail("workload", f"is required for the {environment} account")
    if environment == REGISTRY and fields is not None:
        raise top.fail("workload", f"must be null for the {environment} account (it runs no pipelines)")
    return _parse_workload(fields) if fields is not None else None


def _parse_workload(fields: Fields) -> Workload:
    schedule_fields = fields.child("inference_schedule")
    pipeline_fields = fields.child("pipeline")
    serving_fields = fields.child("serving", optional=True) if "serving" in fields.data else None
    threshold = pipeline_fields.between("auc_threshold", 0, 1, (int, float))
    workload = Workload(
        data_bucket_name=fields.get("data_bucket_name", str, BUCKET_NAME, BUCKET_HINT),
        kms_alias=fields.kms_alias("kms_alias"),
        train_pipeline_name=fields.get("train_pipeline_name", str, RESOURCE_NAME, NAME_HINT),
        inference_pipeline_name=fields.get("inference_pipeline_name", str, RESOURCE_NAME, NAME_HINT),
        latest_model_function_name=fields.get("latest_model_function_name", str, FUNCTION_NAME, FUNCTION_HINT),
        alert_function_name=fields.get("alert_function_name", str, FUNCTION_NAME, FUNCTION_HINT),
        sagemaker_execution_role_name=fields.get("sagemaker_execution_role_name", str, IAM_NAME, IAM_HINT),
        lambda_role_name=fields.get("lambda_role_name", str, IAM_NAME, IAM_HINT),
        alert_lambda_role_name=fields.get("alert_lambda_role_name", str, IAM_NAME, IAM_HINT),
        events_role_name=fields.get("events_role_name", str, IAM_NAME, IAM_HINT),
        alert_topic_name=fields.get("alert_topic_name", str, re.compile(r"[\w-]{1,256}", re.ASCII),
                                    "SNS topic names are 1-256 of [A-Za-z0-9_-]"),
        alert_email=fields.get("alert_email", str, EMAIL, "use an address such as team@example.com"),
        inference_schedule=Schedule(expression=_schedule_expression(schedule_fields),
                                    enabled=schedule_fields.get("enabled", bool)),
        pipeline=PipelineSettings(
            processing_instance_type=pipeline_fields.get("processing_instance_type", str, INSTANCE_TYPE, INSTANCE_HINT),
            processing_instance_count=pipeline_fields.positive("processing_instance_count"),
            training_instance_type=pipeline_fields.get("training_instance_type", str, INSTANCE_TYPE, INSTANCE_HINT),
            training_max_runtime_seconds=pipeline_fields.between("training_max_runtime_seconds", 1,
                                                                 MAX_TRAINING_RUNTIME_SECONDS,
                                                                 default=DEFAULT_TRAINING_RUNTIME_SECONDS),
            transform_instance_type=pipeline_fields.get("transform_instance_type", str, INSTANCE_TYPE, INSTANCE_HINT),
            transform_instance_count=pipeline_fields.positive("transform_instance_count"),
            auc_threshold=float(threshold),
            model_approval_status=pipeline_fields.choice("model_approval_status", APPROVAL_STATUSES),
            drift_check_engine=pipeline_fields.choice("drift_check_engine", DRIFT_CHECK_ENGINES),
            allow_auto_approval=pipeline_fields.get("allow_auto_approval", bool, default=False, optional=True),
            training_data=_parse_training_data(pipeline_fields),
            tuning=_parse_tuning(pipeline_fields),
        ),
        serving=parse_serving(serving_fields) if serving_fields is not None else None,
    )
    # SageMaker lower-cases pipeline ARNs: two names differing in case would be one pipeline.
    if workload.train_pipeline_name.lower() == workload.inference_pipeline_name.lower():
        raise fields.fail("inference_pipeline_name", f"is {workload.inference_pipeline_name!r}, the name of "
                                                     "workload.train_pipeline_name: the two pipelines need different "
                                                     "names (pipeline ARNs are case-insensitive)")
    _check_approval(pipeline_fields, workload.pipeline)
    return workload


def _schedule_expression(fields: Fields) -> str:
    expression = fields.get("expression", str, SCHEDULE, "use an EventBridge expression: cron(0 6 * * ? *) or "
                                                         "rate(1 day)")
    # Split on single spaces, as Terraform's check does: two spaces in a row make an empty field.
    if expression.startswith("cron(") and len(expression[len("cron("):-1].strip().split(" ")) != CRON_FIELDS:
        raise fields.fail("expression", f"has invalid value {expression!r}: an EventBridge cron() has exactly six "
                                        "fields (minutes hours day-of-month month day-of-week year), e.g. "
                                        "cron(0 6 * * ? *)")
    return expression


def _parse_training_data(pipeline_fields: Fields) -> TrainingData:
    """`workload.pipeline.training_data` (optional: CSV files in the data bucket)."""
    if pipeline_fields.data.get("training_data") is None:
        pipeline_fields.known.add("training_data")
        return TrainingData()
    fields = pipeline_fields.child("training_data")
    source = fields.choice("source", TRAINING_DATA_SOURCES)
    warehouse_fields = fields.child("warehouse", optional=True) if "warehouse" in fields.data else None
    if warehouse_fields is None:
        fields.known.add("warehouse")
        if source == WAREHOUSE_SOURCE:
            raise fields.fail("warehouse", "is missing: the warehouse source needs its secret_name, table, "
                                           "start_date and end_date")
        return TrainingData(source)
    dates = {}
    for key in ("start_date", "end_date"):
        text = warehouse_fields.get(key, str, ISO_DATE, "use a date written YYYY-MM-DD")
        try:
            dates[key] = datetime.date.fromisoformat(text)
        except ValueError:
            raise warehouse_fields.fail(key, f"has invalid value {text!r}: not a calendar date") from None
    if dates["start_date"] > dates["end_date"]:
        raise warehouse_fields.fail("end_date", "must not be before start_date (the default window would be empty)")
    network = {key: _id_list(warehouse_fields, key, pattern) for key, pattern in
               (("subnet_ids", SUBNET_ID), ("security_group_ids", SECURITY_GROUP_ID))}
    if bool(network["subnet_ids"]) != bool(network["security_group_ids"]):
        raise warehouse_fields.fail("subnet_ids", "and security_group_ids must both be set (the extract job runs in "
                                                  "that VPC) or both be empty")
    return TrainingData(source, Warehouse(
        secret_name=warehouse_fields.get("secret_name", str, SECRET_NAME,
                                         "Secrets Manager names are 1-512 of [A-Za-z0-9/_+=.@-]"),
        table=warehouse_fields.get("table", str, SQL_TABLE, "use a table name, optionally schema-qualified "
                                                             "(letters, digits, '_')"),
        start_date=dates["start_date"].isoformat(), end_date=dates["end_date"].isoformat(), **network))


def _id_list(fields: Fields, key: str, pattern: re.Pattern) -> tuple[str, ...]:
    """A list of ids, possibly empty (missing reads as empty)."""
    fields.known.add(key)
    values = fields.data.get(key) or []
    if not isinstance(values, list):
        raise fields.fail(key, f"must be a list of strings, got {json.dumps(values)}")
    for index, value in enumerate(values):
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise fields.fail(f"{key}[{index}]", f"has invalid value {json.dumps(value)}: use ids such as "
                                                 f"{pattern.pattern.split('-')[0]}-0123456789abcdef0")
    return tuple(values)


def _parse_tuning(pipeline_fields: Fields) -> Tuning | None:
    if "tuning" not in pipeline_fields.data:
        pipeline_fields.known.add("tuning")
        return None
    fields = pipeline_fields.child("tuning", optional=True)
    if fields is None:
        return None
    max_jobs = fields.positive("max_jobs")
    parallel = fields.positive("max_parallel_jobs")
    if max_jobs > MAX_TUNING_JOBS:
        raise fields.fail("max_jobs", f"must be at most {MAX_TUNING_JOBS}, got {max_jobs}")
    if parallel > max_jobs:
        raise fields.fail("max_parallel_jobs", f"must be at most max_jobs ({max_jobs}), got {parallel}")
    seed = fields.get("random_seed", int)
    if seed < 0:
        raise fields.fail("random_seed", f"must be 0 or greater, got {seed}")
    ranges_fields = fields.child("ranges")
    if not ranges_fields.data:
        raise fields.fail("ranges", "must name at least one hyperparameter, e.g. {\"eta\": {\"kind\": "
                                    "\"continuous\", \"min\": 0.05, \"max\": 0.5}}")
    ranges = []
    for name in sorted(ranges_fields.data):
        entry = ranges_fields.child(name)
        kind = entry.choice("kind", RANGE_KINDS)
        number = int if kind == "integer" else (int, float)
        low, high = entry.get("min", number), entry.get("max", number)
        if low > high:
            raise entry.fail("min", f"must not be greater than max ({high}), got {low}")
        scaling = entry.get("scaling", str, default="Auto", optional=True)
        if scaling not in SCALING_TYPES:
            raise entry.fail("scaling", f"has invalid value {scaling!r}: use one of {', '.join(SCALING_TYPES)}")
        if scaling == "Logarithmic" and low <= 0:
            raise entry.fail("min", f"must be greater than 0 for {scaling} scaling, got {low}")
        ranges.append(ParameterRange(name, kind, low, high, scaling))
    return Tuning(max_jobs, parallel, seed, tuple(ranges))


def _check_approval(fields: Fields, settings: PipelineSettings) -> None:
    """Versions are registered PendingManualApproval and approved by the approver role, unless the file allows
    auto-approval (which the loader allows only where no person approves the applies)."""
    if settings.model_approval_status != PENDING_MANUAL_APPROVAL and not settings.allow_auto_approval:
        raise fields.fail("model_approval_status", f"is {settings.model_approval_status!r}: use "
                                                   f"{PENDING_MANUAL_APPROVAL} (versions are approved with "
                                                   "approve-model), or set 'workload.pipeline."
                                                   "allow_auto_approval' to true (only where jenkins."
                                                   "apply_submitter is null)")
