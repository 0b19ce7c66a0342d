"""Typed, validated view of `environments/<env>.tfvars.json`, the file Terraform reads with -var-file.

One file per account is the single source of configuration: Terraform, the Python commands and Jenkins
(readJSON) all read it. The checks here mirror the Terraform `validation` blocks so that a bad value is
caught by whichever tool reads it first, and every error names the file and the field.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS_DIR = REPO_ROOT / "environments"
ENVIRONMENTS_DIR_VARIABLE = "MLOPS_ENVIRONMENTS_DIR"
ENVIRONMENTS = ("registry", "dev", "prod")
WORKLOAD_ENVIRONMENTS = ("dev", "prod")

ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
RESOURCE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")  # SageMaker pipeline / group names
IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
KMS_ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SCHEDULE = re.compile(r"^(cron\([^()]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$")
INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
APPROVAL_STATUSES = ("Approved", "PendingManualApproval", "Rejected")
# How the data-quality baseline and drift check run: SageMaker Model Monitor's analyzer container (closed to new
# customers on 2026-07-30), or processing jobs on the scikit-learn image running the project's own analyzer.
MODEL_MONITOR, PROCESSING = "model-monitor", "processing"
DRIFT_CHECK_ENGINES = (MODEL_MONITOR, PROCESSING)


class _Fields:
    """Reads one JSON object of an environment file; errors carry the file and the dotted field path."""

    def __init__(self, path: Path, data: Any, where: str):
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: field '{where}' must be an object, got {type(data).__name__}")
        self.path, self.data, self.where = path, data, where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: field '{self._name(key)}' {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], pattern: re.Pattern | None = None, hint: str = ""):
        if key not in self.data:
            raise self._fail(key, "is missing")
        value = self.data[key]
        # bool is an int subclass: a float or int field must not silently accept true/false.
        if isinstance(value, bool) and kind is not bool:
            raise self._fail(key, f"must be {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self._fail(key, f"must be {_kind_name(kind)}, got {json.dumps(value)}")
        if pattern is not None and not pattern.match(value):
            raise self._fail(key, f"has invalid value {value!r}: {hint}")
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.get(key, str)
        if value not in choices:
            raise self._fail(key, f"has invalid value {value!r}: use one of {', '.join(choices)}")
        return value

    def positive(self, key: str, kind: type | tuple[type, ...] = int):
        value = self.get(key, kind)
        if value <= 0:
            raise self._fail(key, f"must be greater than 0, got {value}")
        return value

    def child(self, key: str, optional: bool = False) -> _Fields | None:
        if key not in self.data:
            raise self._fail(key, "is missing")
        if optional and self.data[key] is None:
            return None
        return _Fields(self.path, self.data[key], self._name(key))


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "an object"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


@dataclass(frozen=True)
class Accounts:
    tooling: str
    registry: str
    dev: str
    prod: str


@dataclass(frozen=True)
class ModelRegistry:
    model_package_group_name: str
    artifacts_bucket_name: str
    access_log_bucket_name: str
    kms_alias: str
    noncurrent_version_expiration_days: int


@dataclass(frozen=True)
class Schedule:
    expression: str
    enabled: bool


@dataclass(frozen=True)
class PipelineSettings:
    processing_instance_type: str
    processing_instance_count: int
    training_instance_type: str
    transform_instance_type: str
    transform_instance_count: int
    auc_threshold: float
    model_approval_status: str
    drift_check_engine: str


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


@dataclass(frozen=True)
class Jenkins:
    role_name: str
    log_group_name: str
    log_retention_days: int


@dataclass(frozen=True)
class EnvConfig:
    """One account's configuration, with the ARNs the commands derive from it."""

    path: Path
    environment: str
    aws_region: str
    project_name: str
    accounts: Accounts
    terraform_state_bucket: str
    model_registry: ModelRegistry
    workload: Workload | None
    jenkins: Jenkins | None

    @property
    def account_id(self) -> str:
        return getattr(self.accounts, self.environment)

    @property
    def state_key(self) -> str:
        return f"mlops-infra/{self.environment}.tfstate"

    @property
    def model_package_group_arn(self) -> str:
        group = self.model_registry.model_package_group_name
        return f"arn:aws:sagemaker:{self.aws_region}:{self.accounts.registry}:model-package-group/{group}"

    @property
    def model_artifacts_kms_alias_arn(self) -> str:
        return f"arn:aws:kms:{self.aws_region}:{self.accounts.registry}:{self.model_registry.kms_alias}"

    def require_workload(self) -> Workload:
        if self.workload is None:
            raise ConfigError(
                f"{self.path}: environment '{self.environment}' has no 'workload' section; "
                f"pipelines run in a workload account ({', '.join(WORKLOAD_ENVIRONMENTS)})"
            )
        return self.workload

    def role_arn(self, role_name: str) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{role_name}"

    @property
    def sagemaker_execution_role_arn(self) -> str:
        return self.role_arn(self.require_workload().sagemaker_execution_role_name)

    @property
    def workload_kms_alias_arn(self) -> str:
        return f"arn:aws:kms:{self.aws_region}:{self.account_id}:{self.require_workload().kms_alias}"

    def pipeline_arn(self, pipeline_name: str) -> str:
        return f"arn:aws:sagemaker:{self.aws_region}:{self.account_id}:pipeline/{pipeline_name.lower()}"

    @property
    def latest_model_function_arn(self) -> str:
        name = self.require_workload().latest_model_function_name
        return f"arn:aws:lambda:{self.aws_region}:{self.account_id}:function:{name}"

    @property
    def alert_function_arn(self) -> str:
        name = self.require_workload().alert_function_name
        return f"arn:aws:lambda:{self.aws_region}:{self.account_id}:function:{name}"

    @property
    def alert_topic_arn(self) -> str:
        return f"arn:aws:sns:{self.aws_region}:{self.account_id}:{self.require_workload().alert_topic_name}"


def default_environments_dir() -> Path:
    """Where the environment files are read: MLOPS_ENVIRONMENTS_DIR if set (copies of the files, e.g. the demo's
    with another drift-check engine, reach the commands and stage scripts it runs), else `<repo>/environments`."""
    return Path(os.environ.get(ENVIRONMENTS_DIR_VARIABLE) or ENVIRONMENTS_DIR)


def environment_file(environment: str, environments_dir: Path | None = None) -> Path:
    return (environments_dir or default_environments_dir()) / f"{environment}.tfvars.json"


def load_config(environment: str, environments_dir: Path | None = None) -> EnvConfig:
    """Load `<environments_dir>/<environment>.tfvars.json`, raising ConfigError naming file and field."""
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {environment!r}: use one of {', '.join(ENVIRONMENTS)}")
    return load_config_file(environment_file(environment, environments_dir), expected_environment=environment)


def load_config_file(path: Path, expected_environment: str | None = None) -> EnvConfig:
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: environment file not found") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    config = _parse(Path(path), _Fields(Path(path), raw, ""))
    if expected_environment is not None and config.environment != expected_environment:
        raise ConfigError(
            f"{path}: field 'environment' is {config.environment!r} but the file is for {expected_environment!r}"
        )
    return config


def _parse(path: Path, top: _Fields) -> EnvConfig:
    account_hint = "an AWS account id is exactly 12 digits, as a string"
    accounts_fields = top.child("accounts")
    accounts = Accounts(**{
        role: accounts_fields.get(role, str, ACCOUNT_ID, account_hint) for role in ("tooling", *ENVIRONMENTS)
    })
    environment = top.choice("environment", ENVIRONMENTS)
    bucket_hint = "S3 bucket names are 3-63 lowercase letters, digits, dots and hyphens"
    name_hint = "use letters, digits and single hyphens, at most 63 characters"

    registry_fields = top.child("model_registry")
    model_registry = ModelRegistry(
        model_package_group_name=registry_fields.get("model_package_group_name", str, RESOURCE_NAME, name_hint),
        artifacts_bucket_name=registry_fields.get("artifacts_bucket_name", str, BUCKET_NAME, bucket_hint),
        access_log_bucket_name=registry_fields.get("access_log_bucket_name", str, BUCKET_NAME, bucket_hint),
        kms_alias=registry_fields.get("kms_alias", str, KMS_ALIAS, "a KMS alias starts with 'alias/'"),
        noncurrent_version_expiration_days=registry_fields.positive("noncurrent_version_expiration_days"),
    )

    workload_fields = top.child("workload", optional=True)
    if environment in WORKLOAD_ENVIRONMENTS and workload_fields is None:
        raise ConfigError(f"{path}: field 'workload' is required for the {environment} account")
    if environment == "registry" and workload_fields is not None:
        raise ConfigError(f"{path}: field 'workload' must be null for the registry account (it runs no pipelines)")
    workload = _parse_workload(workload_fields, name_hint, bucket_hint) if workload_fields else None

    jenkins_fields = top.child("jenkins", optional=True)
    jenkins = None
    if jenkins_fields is not None:
        jenkins = Jenkins(
            role_name=jenkins_fields.get("role_name", str, IAM_NAME, "IAM role names are 1-64 of [A-Za-z0-9+=,.@_-]"),
            log_group_name=jenkins_fields.get("log_group_name", str, re.compile(r"^[\w/.#-]{1,512}$"),
                                              "log group names use [A-Za-z0-9_/.#-]"),
            log_retention_days=jenkins_fields.positive("log_retention_days"),
        )

    return EnvConfig(
        path=path,
        environment=environment,
        aws_region=top.get("aws_region", str, REGION, "use a region code such as us-east-1"),
        project_name=top.get("project_name", str, re.compile(r"^[a-z][a-z0-9-]{1,20}$"),
                             "use 2-21 lowercase letters, digits or hyphens, starting with a letter"),
        accounts=accounts,
        terraform_state_bucket=top.get("terraform_state_bucket", str, BUCKET_NAME, bucket_hint),
        model_registry=model_registry,
        workload=workload,
        jenkins=jenkins,
    )


def _parse_workload(fields: _Fields, name_hint: str, bucket_hint: str) -> Workload:
    function_hint = "Lambda function names are 1-64 of [A-Za-z0-9_-]"
    function_name = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
    iam_hint = "IAM role names are 1-64 of [A-Za-z0-9+=,.@_-]"
    schedule_fields = fields.child("inference_schedule")
    pipeline_fields = fields.child("pipeline")
    instance_hint = "use a SageMaker instance type such as ml.m5.large"
    threshold = pipeline_fields.get("auc_threshold", (int, float))
    if not 0 <= threshold <= 1:
        raise ConfigError(f"{fields.path}: field 'workload.pipeline.auc_threshold' must be between 0 and 1, "
                          f"got {threshold}")
    return Workload(
        data_bucket_name=fields.get("data_bucket_name", str, BUCKET_NAME, bucket_hint),
        kms_alias=fields.get("kms_alias", str, KMS_ALIAS, "a KMS alias starts with 'alias/'"),
        train_pipeline_name=fields.get("train_pipeline_name", str, RESOURCE_NAME, name_hint),
        inference_pipeline_name=fields.get("inference_pipeline_name", str, RESOURCE_NAME, name_hint),
        latest_model_function_name=fields.get("latest_model_function_name", str, function_name, function_hint),
        alert_function_name=fields.get("alert_function_name", str, function_name, function_hint),
        sagemaker_execution_role_name=fields.get("sagemaker_execution_role_name", str, IAM_NAME, iam_hint),
        lambda_role_name=fields.get("lambda_role_name", str, IAM_NAME, iam_hint),
        alert_lambda_role_name=fields.get("alert_lambda_role_name", str, IAM_NAME, iam_hint),
        events_role_name=fields.get("events_role_name", str, IAM_NAME, iam_hint),
        alert_topic_name=fields.get("alert_topic_name", str, re.compile(r"^[\w-]{1,256}$"),
                                    "SNS topic names are 1-256 of [A-Za-z0-9_-]"),
        alert_email=fields.get("alert_email", str, EMAIL, "use an address such as team@example.com"),
        inference_schedule=Schedule(
            expression=schedule_fields.get("expression", str, SCHEDULE,
                                           "use an EventBridge expression: cron(0 6 * * ? *) or rate(1 day)"),
            enabled=schedule_fields.get("enabled", bool),
        ),
        pipeline=PipelineSettings(
            processing_instance_type=pipeline_fields.get("processing_instance_type", str, INSTANCE_TYPE, instance_hint),
            processing_instance_count=pipeline_fields.positive("processing_instance_count"),
            training_instance_type=pipeline_fields.get("training_instance_type", str, INSTANCE_TYPE, instance_hint),
            transform_instance_type=pipeline_fields.get("transform_instance_type", str, INSTANCE_TYPE, instance_hint),
            transform_instance_count=pipeline_fields.positive("transform_instance_count"),
            auc_threshold=float(threshold),
            model_approval_status=pipeline_fields.choice("model_approval_status", APPROVAL_STATUSES),
            drift_check_engine=pipeline_fields.choice("drift_check_engine", DRIFT_CHECK_ENGINES),
        ),
    )
