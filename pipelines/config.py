"""Typed, validated view of `environments/<env>.tfvars.json`, the file Terraform reads with -var-file.

One file per account is the single source of configuration: Terraform, the Python commands and Jenkins
(readJSON) all read it. The checks here mirror the Terraform `validation` blocks so that a bad value is
caught by whichever tool reads it first, and every error names the file and the field.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.cli_support import read_text_file
from pipelines.errors import ConfigError

logger = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS_DIR = REPO_ROOT / "environments"
# The UCI Mammographic Mass data set's feature columns, in file order: what prepare-data validates and writes,
# and how the drift check names the columns of the header-less batch files (_c0 is Age).
FEATURES = ("Age", "Shape", "Margin", "Density")
ENVIRONMENTS_DIR_VARIABLE = "MLOPS_ENVIRONMENTS_DIR"
ENVIRONMENTS = ("registry", "dev", "prod")
WORKLOAD_ENVIRONMENTS = ("dev", "prod")

# ASCII only, matched whole (fullmatch): Terraform's RE2 `[0-9]` and `\w` know no full-width digits or accented
# letters, and `$` alone would let a trailing newline through.
ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-[0-9]", re.ASCII)
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
RESOURCE_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", re.ASCII)  # SageMaker pipeline / group names
IAM_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
KMS_ALIAS = re.compile(r"alias/[a-zA-Z0-9/_-]{1,250}", re.ASCII)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+", re.ASCII)
SCHEDULE = re.compile(r"(cron\([^()]+\)|rate\([0-9]+ (minute|minutes|hour|hours|day|days)\))", re.ASCII)
INSTANCE_TYPE = re.compile(r"ml\.[a-z0-9]+\.[a-z0-9]+", re.ASCII)
# An IAM role or user (never an account root or a wildcard); group 1 is its account.
PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):(role|user)/[a-zA-Z0-9+=,.@/_-]+", re.ASCII)
PRINCIPAL_HINT = "use an IAM role or user ARN such as arn:aws:iam::123456789012:role/name (no account root, no '*')"
EXTERNAL_ID = re.compile(r"[a-zA-Z0-9+=,.@:/_-]{2,1224}", re.ASCII)
# Jenkins' input `submitter`: user ids or group names separated by commas, none empty.
SUBMITTERS = re.compile(r"[^,\s]([^,]*[^,\s])?(\s*,\s*[^,\s]([^,]*[^,\s])?)*", re.ASCII)
APPROVAL_STATUSES = ("Approved", "PendingManualApproval", "Rejected")
PENDING_MANUAL_APPROVAL = "PendingManualApproval"
# How the data-quality baseline and drift check run: SageMaker Model Monitor's analyzer container (closed to new
# customers on 2026-07-30), or processing jobs on the scikit-learn image running the project's own analyzer.
MODEL_MONITOR, PROCESSING = "model-monitor", "processing"
DRIFT_CHECK_ENGINES = (MODEL_MONITOR, PROCESSING)
# Endpoints: one model per endpoint, or many behind one endpoint chosen per request by TargetModel.
SINGLE_MODEL, MULTI_MODEL = "single-model", "multi-model"
ENDPOINT_MODES = (SINGLE_MODEL, MULTI_MODEL)
# How UpdateEndpoint shifts traffic to the new fleet (BlueGreenUpdatePolicy.TrafficRoutingConfiguration.Type).
DEPLOYMENT_STRATEGIES = {"all-at-once": "ALL_AT_ONCE", "canary": "CANARY", "linear": "LINEAR"}
S3_PREFIX = re.compile(r"[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*", re.ASCII)
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


_WARNED: set[tuple[Path, str]] = set()


class _Fields:
    """Reads one JSON object of an environment file; errors carry the file and the dotted field path."""

    def __init__(self, path: Path, data: Any, where: str):
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: field '{where}' must be an object, got {type(data).__name__}")
        self.path, self.data, self.where = path, data, where
        self.known: set[str] = set()
        self.children: list[_Fields] = []

    def warn_unknown(self) -> None:
        """Log each key no field reads (a typo is otherwise silently ignored), with the closest known field."""
        for key in sorted(set(self.data) - self.known):
            if (self.path, self._name(key)) in _WARNED:  # a command may load the same file several times
                continue
            _WARNED.add((self.path, self._name(key)))
            match = closest(key, self.known)
            hint = f"; did you mean '{self._name(match)}'?" if match else ""
            logger.warning("%s: unknown field '%s' is ignored%s", self.path, self._name(key), hint)
        for child in self.children:
            child.warn_unknown()

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: field '{self._name(key)}' {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], pattern: re.Pattern | None = None, hint: str = "",
            default: Any = None, optional: bool = False):
        """`optional`: the key may be missing or null, both read as `default`."""
        self.known.add(key)
        if key not in self.data or (optional and self.data[key] is None):
            if optional:
                return default
            raise self._fail(key, "is missing")
        value = self.data[key]
        # bool is an int subclass: a float or int field must not silently accept true/false.
        if isinstance(value, bool) and kind is not bool:
            raise self._fail(key, f"must be {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self._fail(key, f"must be {_kind_name(kind)}, got {json.dumps(value)}")
        if pattern is not None and not pattern.fullmatch(value):
            raise self._fail(key, f"has invalid value {value!r}: {hint}")
        return value

    def string_list(self, key: str, pattern: re.Pattern, hint: str) -> tuple[str, ...]:
        """A non-empty list of strings, each matching `pattern`; an error names the item (`field[1]`)."""
        self.known.add(key)
        if key not in self.data:
            raise self._fail(key, "is missing")
        values = self.data[key]
        if not isinstance(values, list):
            raise self._fail(key, f"must be a list of strings, got {json.dumps(values)}")
        if not values:
            raise self._fail(key, "must list at least one value")
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise self._fail(f"{key}[{index}]", f"must be a string, got {json.dumps(value)}")
            if not pattern.fullmatch(value):
                raise self._fail(f"{key}[{index}]", f"has invalid value {value!r}: {hint}")
        return tuple(values)

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

    def child(self, key: str, optional: bool = False, missing_ok: bool = False) -> _Fields | None:
        """`optional`: the value may be null; `missing_ok` (with optional): the key may be left out too."""
        self.known.add(key)
        if key not in self.data:
            if optional and missing_ok:
                return None
            raise self._fail(key, "is missing")
        if optional and self.data[key] is None:
            return None
        child = _Fields(self.path, self.data[key], self._name(key))
        self.children.append(child)
        return child


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
    approver_role_name: str
    """The registry account's role that alone may approve or reject a version (approve-model assumes it)."""
    approver_trusted_principal_arns: tuple[str, ...]
    """The IAM roles or users that may assume the approver role."""


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
class PipelineSettings:
    processing_instance_type: str
    processing_instance_count: int
    training_instance_type: str
    transform_instance_type: str
    transform_instance_count: int
    auc_threshold: float
    model_approval_status: str
    drift_check_engine: str
    allow_auto_approval: bool = False
    """Dev only: lets a run register a version other than PendingManualApproval (prod may never set it)."""
    training_data: TrainingData = TrainingData()
    tuning: Tuning | None = None
    """Warm-start hyperparameter tuning instead of the fixed hyperparameters; None trains once."""


@dataclass(frozen=True)
class EndpointSettings:
    """One SageMaker endpoint of a workload account: its fleet, scaling, deployment guardrails and alarms."""

    name: str
    mode: str
    """single-model (one model per endpoint config) or multi-model (versions chosen per request by TargetModel)."""
    instance_type: str
    initial_instance_count: int
    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: int
    """Application Auto Scaling target for SageMakerVariantInvocationsPerInstance."""
    deployment_strategy: str
    """all-at-once, canary or linear (see DEPLOYMENT_STRATEGIES)."""
    traffic_step_percent: int | None
    """Canary size or linear step, in percent of the fleet's capacity; None for all-at-once."""
    wait_interval_seconds: int
    """Baking period after each traffic shift, during which an alarm in ALARM rolls the update back."""
    error_alarm_threshold: int
    """Invocation5XXErrors per minute at which the errors alarm goes to ALARM."""
    latency_alarm_threshold_ms: int
    """Average ModelLatency per minute, in milliseconds, at which the latency alarm goes to ALARM."""
    autoscaling_enabled: bool = False
    """Whether Terraform registers the variant with Application Auto Scaling. AWS registers only a variant of an
    existing endpoint, so it is switched on once deploy-endpoint has created the endpoint."""

    variant_name = "AllTraffic"
    """Every config of an endpoint keeps one variant name: blue/green deployments require the same name."""

    @property
    def routing_type(self) -> str:
        return DEPLOYMENT_STRATEGIES[self.deployment_strategy]

    @property
    def error_alarm_name(self) -> str:
        return f"{self.name}-invocation-5xx-errors"

    @property
    def latency_alarm_name(self) -> str:
        return f"{self.name}-model-latency"

    @property
    def alarm_names(self) -> tuple[str, str]:
        return self.error_alarm_name, self.latency_alarm_name


@dataclass(frozen=True)
class Serving:
    """The workload account's endpoints and what they share: the execution role, data capture, and the
    function that refreshes multi-model endpoints when the registry approves or rejects a version."""

    execution_role_name: str
    refresh_function_name: str
    refresh_role_name: str
    models_prefix: str
    """Key prefix in the data bucket under which each multi-model endpoint's versions live:
    <models_prefix>/<endpoint>/<model package group>/v<N>.tar.gz."""
    capture_prefix: str
    """Key prefix in the data bucket for data capture (expired after capture_retention_days)."""
    capture_sampling_percent: int
    capture_retention_days: int
    endpoints: tuple[EndpointSettings, ...]

    def endpoint(self, name: str) -> EndpointSettings | None:
        return next((endpoint for endpoint in self.endpoints if endpoint.name == name), None)

    @property
    def multi_model_endpoints(self) -> tuple[EndpointSettings, ...]:
        return tuple(endpoint for endpoint in self.endpoints if endpoint.mode == MULTI_MODEL)


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


@dataclass(frozen=True)
class Jenkins:
    role_name: str
    log_group_name: str
    log_retention_days: int
    principal_arn: str
    """The tooling account's IAM role or user Jenkins runs as: the only principal the deployment role trusts."""
    prod_apply_submitter: str
    """Jenkins users or groups (comma-separated) who may approve a prod apply (the Jenkinsfile's input submitter)."""
    external_id: str | None = None
    """The sts:ExternalId Jenkins presents when it assumes the deployment role, if any."""


@dataclass(frozen=True)
class SecondaryRegion:
    """A second region of the platform (`secondary_region`): the registry replicates the model artifacts there
    (its own bucket and customer managed key), and prod can serve from it. Settings of what prod deploys in
    that region are added here as optional fields, each read by `_parse_secondary_region`."""

    region: str
    replication_enabled: bool
    """Whether S3 replicates new artifacts to the replica (the rule's Status); off keeps the replica and its key."""
    replica_artifacts_bucket_name: str
    replica_kms_alias: str
    """Alias, in the secondary region of the registry account, of the key the replicas are encrypted with."""
    replicate_delete_markers: bool = False
    """False: a delete in the primary bucket leaves the replica readable (a model served in the secondary
    region keeps its model data)."""
    endpoints: tuple[str, ...] = ()
    """The endpoints of `workload.serving` that `deploy-endpoint --region secondary` serves there (field
    `endpoints`; left out or null: every single-model endpoint of the primary). A multi-model endpoint is served
    from the data bucket's models prefix, which has no replica, so it stays in the primary region."""


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
    secondary_region: SecondaryRegion | None = None

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
    def approver_role_arn(self) -> str:
        return f"arn:aws:iam::{self.accounts.registry}:role/{self.model_registry.approver_role_name}"

    @property
    def model_artifacts_kms_alias_arn(self) -> str:
        return f"arn:aws:kms:{self.aws_region}:{self.accounts.registry}:{self.model_registry.kms_alias}"

    def require_secondary_region(self) -> SecondaryRegion:
        if self.secondary_region is None:
            raise ConfigError(f"{self.path}: field 'secondary_region' is not set: add it (region, replication_enabled, "
                              "replica_artifacts_bucket_name, replica_kms_alias) to use a second region")
        return self.secondary_region

    @property
    def replica_artifacts_kms_alias_arn(self) -> str:
        """The replica key's alias ARN: registry account, secondary region."""
        secondary = self.require_secondary_region()
        return f"arn:aws:kms:{secondary.region}:{self.accounts.registry}:{secondary.replica_kms_alias}"

    def replica_artifact_uri(self, uri: str) -> str:
        """The replica of an object of the artifacts bucket (`s3://<artifacts>/<key>`): same key, replica bucket."""
        secondary = self.require_secondary_region()
        prefix = f"s3://{self.model_registry.artifacts_bucket_name}/"
        if not uri.startswith(prefix):
            raise ConfigError(f"{uri!r} is not in the model-artifacts bucket ({prefix}): only its objects are "
                              "replicated to the secondary region")
        return f"s3://{secondary.replica_artifacts_bucket_name}/{uri[len(prefix):]}"

    def require_secondary_endpoint(self, name: str) -> EndpointSettings:
        """An endpoint `deploy-endpoint --region secondary` may serve: listed in `secondary_region.endpoints`,
        with replication on (else the replica it would serve is not kept current)."""
        endpoint = self.require_endpoint(name)
        secondary = self.require_secondary_region()
        if not secondary.replication_enabled:
            raise ConfigError(f"{self.path}: field 'secondary_region.replication_enabled' is false, but a deploy "
                              f"of {name} in the secondary region ({secondary.region}) was requested: the replicas "
                              "are no longer kept current; enable replication (and apply) first")
        if name not in secondary.endpoints:
            raise ConfigError(f"{self.path}: endpoint {name!r} is not in 'secondary_region.endpoints' "
                              f"({', '.join(secondary.endpoints) or 'none'}): add it to serve it in "
                              f"{secondary.region}")
        return endpoint

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

    def require_serving(self) -> Serving:
        serving = self.require_workload().serving
        if serving is None:
            raise ConfigError(f"{self.path}: field 'workload.serving' is null: the {self.environment} account serves "
                              "no endpoints; add a 'serving' section to deploy one")
        return serving

    def require_endpoint(self, name: str) -> EndpointSettings:
        serving = self.require_serving()
        endpoint = serving.endpoint(name)
        if endpoint is None:
            known = [candidate.name for candidate in serving.endpoints]
            match = closest(name, known)
            hint = f"did you mean {match!r}?" if match else f"configured: {', '.join(known) or 'none'}"
            raise ConfigError(f"{self.path}: no endpoint {name!r} in 'workload.serving.endpoints'; {hint}")
        return endpoint

    @property
    def endpoint_execution_role_arn(self) -> str:
        return self.role_arn(self.require_serving().execution_role_name)

    @property
    def endpoint_refresh_function_arn(self) -> str:
        name = self.require_serving().refresh_function_name
        return f"arn:aws:lambda:{self.aws_region}:{self.account_id}:function:{name}"

    def endpoint_arn(self, name: str) -> str:
        return f"arn:aws:sagemaker:{self.aws_region}:{self.account_id}:endpoint/{name.lower()}"

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
        raw = json.loads(read_text_file(Path(path), "environment file", ConfigError))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    top = _Fields(Path(path), raw, "")
    config = _parse(Path(path), top)
    top.warn_unknown()
    if expected_environment is not None and config.environment != expected_environment:
        raise ConfigError(
            f"{path}: field 'environment' is {config.environment!r} but the file is for {expected_environment!r}"
        )
    return config


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word` (difflib), preferring one with the same letters: a swapped pair is the
    commonest typo, and difflib alone ranks 'us-west-1' above 'us-east-1' for 'us-esat-1'."""
    candidates = difflib.get_close_matches(word, sorted(choices), n=5)
    same_letters = [candidate for candidate in candidates if sorted(candidate) == sorted(word)]
    return (same_letters or candidates or [None])[0]


@functools.cache
def region_partitions() -> dict[str, str]:
    """{region: partition} for every region of every partition in botocore's endpoint data (the same list the
    SDK resolves against)."""
    import botocore.loaders  # botocore is a dependency already; imported here to keep `import config` light

    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return {region: partition["partition"] for partition in endpoints["partitions"] for region in partition["regions"]}


@functools.cache
def known_regions() -> frozenset[str]:
    return frozenset(region_partitions())


def _region(fields: _Fields, key: str = "aws_region") -> str:
    region = fields.get(key, str, REGION, "use a region code such as us-east-1")
    if region not in known_regions():
        match = closest(region, known_regions())
        hint = f"did you mean {match!r}?" if match else "use a region code such as us-east-1"
        raise fields._fail(key, f"has invalid value {region!r}: not an AWS region; {hint}")
    return region


def _parse_secondary_region(fields: _Fields, primary_region: str, model_registry: ModelRegistry,
                            bucket_hint: str, workload: Workload | None) -> SecondaryRegion:
    region = _region(fields, "region")
    if region == primary_region:
        raise fields._fail("region", f"is {region!r}, the same as 'aws_region': name another region for the "
                                     "replicas, or set 'secondary_region' to null for one region only")
    partitions = region_partitions()
    if partitions[region] != partitions[primary_region]:
        raise fields._fail("region", f"has invalid value {region!r}: it is in partition {partitions[region]}, "
                                     f"'aws_region' ({primary_region}) in {partitions[primary_region]}; S3 "
                                     "replicates within one partition")
    bucket = fields.get("replica_artifacts_bucket_name", str, BUCKET_NAME, bucket_hint)
    taken = {model_registry.artifacts_bucket_name: "model_registry.artifacts_bucket_name",
             model_registry.access_log_bucket_name: "model_registry.access_log_bucket_name"}
    if bucket in taken:
        raise fields._fail("replica_artifacts_bucket_name", f"is {bucket!r}, the name of {taken[bucket]}: bucket "
                                                            "names are global, name the replica bucket differently")
    alias = fields.get("replica_kms_alias", str, KMS_ALIAS, "a KMS alias starts with 'alias/'")
    if alias.startswith("alias/aws/"):
        raise fields._fail("replica_kms_alias", f"has invalid value {alias!r}: alias/aws/ is reserved for AWS "
                                                "managed keys; name a customer managed key's alias")
    replication_enabled = fields.get("replication_enabled", bool)
    return SecondaryRegion(
        region=region,
        replication_enabled=replication_enabled,
        replica_artifacts_bucket_name=bucket,
        replica_kms_alias=alias,
        replicate_delete_markers=fields.get("replicate_delete_markers", bool, default=False, optional=True),
        endpoints=_secondary_endpoints(fields, workload, replication_enabled),
    )


def _secondary_endpoints(fields: _Fields, workload: Workload | None, replication_enabled: bool) -> tuple[str, ...]:
    """`secondary_region.endpoints`: names of single-model endpoints of `workload.serving`; by default all of them."""
    serving = workload.serving if workload is not None else None
    if fields.data.get("endpoints") is None:
        fields.known.add("endpoints")
        if serving is None:
            return ()
        return tuple(endpoint.name for endpoint in serving.endpoints if endpoint.mode != MULTI_MODEL)
    if serving is None:
        raise fields._fail("endpoints", "is set but this account serves no endpoints ('workload.serving' is null "
                                        "or absent): leave it out, or null")
    names = fields.string_list("endpoints", RESOURCE_NAME, "use an endpoint name of 'workload.serving.endpoints'")
    for index, name in enumerate(names):
        endpoint = serving.endpoint(name)
        if endpoint is None:
            known = [candidate.name for candidate in serving.endpoints]
            match = closest(name, known)
            raise fields._fail(f"endpoints[{index}]", f"has invalid value {name!r}: not an endpoint of "
                                                      "'workload.serving.endpoints'; "
                                                      + (f"did you mean {match!r}?" if match else
                                                         f"configured: {', '.join(known)}"))
        if endpoint.mode == MULTI_MODEL:
            raise fields._fail(f"endpoints[{index}]", f"has invalid value {name!r}: it is multi-model, served from "
                                                      "the data bucket's models prefix, which has no replica; list "
                                                      "single-model endpoints only")
    if len(set(names)) != len(names):
        raise fields._fail("endpoints", "lists an endpoint twice: name each once")
    if not replication_enabled:
        raise fields._fail("endpoints", "lists endpoints to deploy in the secondary region but "
                                        "'secondary_region.replication_enabled' is false: the replicas they would "
                                        "serve are no longer kept current; enable replication, or set 'endpoints' "
                                        "to null")
    return names


def _parse(path: Path, top: _Fields) -> EnvConfig:
    account_hint = "an AWS account id is exactly 12 digits, as a string"
    accounts_fields = top.child("accounts")
    accounts = Accounts(**{
        role: accounts_fields.get(role, str, ACCOUNT_ID, account_hint) for role in ("tooling", *ENVIRONMENTS)
    })
    by_id: dict[str, list[str]] = {}
    for role in ("tooling", *ENVIRONMENTS):
        by_id.setdefault(getattr(accounts, role), []).append(f"accounts.{role}")
    shared = [names for names in by_id.values() if len(names) > 1]
    if shared:
        raise ConfigError(f"{path}: fields {' and '.join(shared[0])} are the same account: tooling, registry, dev "
                          "and prod must be four different accounts (the cross-account policies rely on it)")
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
        approver_role_name=registry_fields.get("approver_role_name", str, IAM_NAME,
                                               "IAM role names are 1-64 of [A-Za-z0-9+=,.@_-]"),
        approver_trusted_principal_arns=registry_fields.string_list("approver_trusted_principal_arns",
                                                                    PRINCIPAL_ARN, PRINCIPAL_HINT),
    )

    workload_fields = top.child("workload", optional=True)
    if environment in WORKLOAD_ENVIRONMENTS and workload_fields is None:
        raise ConfigError(f"{path}: field 'workload' is required for the {environment} account")
    if environment == "registry" and workload_fields is not None:
        raise ConfigError(f"{path}: field 'workload' must be null for the registry account (it runs no pipelines)")
    workload = _parse_workload(workload_fields, name_hint, bucket_hint) if workload_fields else None
    if workload is not None:
        _check_approval(path, environment, workload.pipeline)

    jenkins_fields = top.child("jenkins", optional=True)
    jenkins = _parse_jenkins(jenkins_fields, accounts) if jenkins_fields is not None else None

    aws_region = _region(top)
    secondary_fields = top.child("secondary_region", optional=True, missing_ok=True)
    secondary_region = (_parse_secondary_region(secondary_fields, aws_region, model_registry, bucket_hint, workload)
                        if secondary_fields is not None else None)

    return EnvConfig(
        path=path,
        environment=environment,
        aws_region=aws_region,
        project_name=top.get("project_name", str, re.compile(r"[a-z][a-z0-9-]{1,20}", re.ASCII),
                             "use 2-21 lowercase letters, digits or hyphens, starting with a letter"),
        accounts=accounts,
        terraform_state_bucket=top.get("terraform_state_bucket", str, BUCKET_NAME, bucket_hint),
        model_registry=model_registry,
        workload=workload,
        jenkins=jenkins,
        secondary_region=secondary_region,
    )


def _parse_jenkins(fields: _Fields, accounts: Accounts) -> Jenkins:
    jenkins = Jenkins(
        role_name=fields.get("role_name", str, IAM_NAME, "IAM role names are 1-64 of [A-Za-z0-9+=,.@_-]"),
        log_group_name=fields.get("log_group_name", str, re.compile(r"[\w/.#-]{1,512}", re.ASCII),
                                  "log group names use [A-Za-z0-9_/.#-]"),
        log_retention_days=fields.positive("log_retention_days"),
        principal_arn=fields.get("principal_arn", str, PRINCIPAL_ARN, PRINCIPAL_HINT),
        external_id=fields.get("external_id", str, EXTERNAL_ID, "use null or 2-1224 of [A-Za-z0-9+=,.@:/_-]",
                               optional=True),
        prod_apply_submitter=fields.get("prod_apply_submitter", str, SUBMITTERS,
                                        "name the Jenkins users or groups who may approve a prod apply, separated "
                                        "by commas (e.g. mlops-prod-approvers,alice), with no empty name"),
    )
    if PRINCIPAL_ARN.fullmatch(jenkins.principal_arn).group(1) != accounts.tooling:
        raise fields._fail("principal_arn", f"has invalid value {jenkins.principal_arn!r}: Jenkins runs in the "
                                            f"tooling account (accounts.tooling, {accounts.tooling}); use a role or "
                                            "user there")
    return jenkins


def _parse_workload(fields: _Fields, name_hint: str, bucket_hint: str) -> Workload:
    function_hint = "Lambda function names are 1-64 of [A-Za-z0-9_-]"
    function_name = re.compile(r"[a-zA-Z0-9_-]{1,64}", re.ASCII)
    iam_hint = "IAM role names are 1-64 of [A-Za-z0-9+=,.@_-]"
    schedule_fields = fields.child("inference_schedule")
    pipeline_fields = fields.child("pipeline")
    serving_fields = fields.child("serving", optional=True) if "serving" in fields.data else None
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
        alert_topic_name=fields.get("alert_topic_name", str, re.compile(r"[\w-]{1,256}", re.ASCII),
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
            allow_auto_approval=pipeline_fields.get("allow_auto_approval", bool, default=False, optional=True),
            training_data=_parse_training_data(pipeline_fields),
            tuning=_parse_tuning(pipeline_fields),
        ),
        serving=_parse_serving(serving_fields, name_hint) if serving_fields is not None else None,
    )


def _parse_serving(fields: _Fields, name_hint: str) -> Serving:
    iam_hint = "IAM role names are 1-64 of [A-Za-z0-9+=,.@_-]"
    prefix_hint = "use an S3 key prefix such as endpoint-capture (no leading or trailing '/')"
    capture = fields.child("data_capture")
    sampling = capture.get("sampling_percent", int)
    if not 0 <= sampling <= 100:
        raise capture._fail("sampling_percent", f"must be between 0 and 100, got {sampling}")
    endpoints_value = fields.data.get("endpoints")
    fields.known.add("endpoints")
    if not isinstance(endpoints_value, list):
        raise fields._fail("endpoints", f"must be a list of endpoint objects, got {json.dumps(endpoints_value)}")
    endpoints = []
    for index, value in enumerate(endpoints_value):
        endpoint_fields = _Fields(fields.path, value, f"{fields.where}.endpoints[{index}]")
        fields.children.append(endpoint_fields)
        endpoints.append(_parse_endpoint(endpoint_fields, name_hint))
    names = [endpoint.name for endpoint in endpoints]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise fields._fail("endpoints", f"names endpoint {duplicate!r} twice: endpoint names are unique in an account")
    return Serving(
        execution_role_name=fields.get("execution_role_name", str, IAM_NAME, iam_hint),
        refresh_function_name=fields.get("refresh_function_name", str, re.compile(r"[a-zA-Z0-9_-]{1,64}", re.ASCII),
                                         "Lambda function names are 1-64 of [A-Za-z0-9_-]"),
        refresh_role_name=fields.get("refresh_role_name", str, IAM_NAME, iam_hint),
        models_prefix=fields.get("models_prefix", str, S3_PREFIX, prefix_hint),
        capture_prefix=capture.get("prefix", str, S3_PREFIX, prefix_hint),
        capture_sampling_percent=sampling,
        capture_retention_days=capture.positive("retention_days"),
        endpoints=tuple(endpoints),
    )


def _parse_endpoint(fields: _Fields, name_hint: str) -> EndpointSettings:
    autoscaling = fields.child("autoscaling")
    deployment = fields.child("deployment")
    alarms = fields.child("alarms")
    initial = fields.positive("initial_instance_count")
    minimum, maximum = autoscaling.positive("min_capacity"), autoscaling.positive("max_capacity")
    if not minimum <= initial <= maximum:
        raise fields._fail("initial_instance_count", f"is {initial}: it must lie between autoscaling.min_capacity "
                                                     f"({minimum}) and autoscaling.max_capacity ({maximum})")
    strategy = deployment.choice("strategy", tuple(DEPLOYMENT_STRATEGIES))
    step = deployment.get("traffic_step_percent", int, optional=True)
    if strategy == "all-at-once":
        if step is not None:
            raise deployment._fail("traffic_step_percent", "must be null for the all-at-once strategy (it shifts all "
                                                           "traffic in one step)")
    elif step is None or not 1 <= step <= 99:
        raise deployment._fail("traffic_step_percent", f"must be between 1 and 99 for the {strategy} strategy, "
                                                       f"got {json.dumps(step)}")
    wait = deployment.get("wait_interval_seconds", int)
    if not 0 <= wait <= 3600:
        raise deployment._fail("wait_interval_seconds", f"must be between 0 and 3600, got {wait}")
    return EndpointSettings(
        name=fields.get("name", str, RESOURCE_NAME, name_hint),
        mode=fields.choice("mode", ENDPOINT_MODES),
        instance_type=fields.get("instance_type", str, INSTANCE_TYPE, "use a SageMaker instance type such as "
                                                                      "ml.m5.large"),
        initial_instance_count=initial,
        min_capacity=minimum,
        max_capacity=maximum,
        target_invocations_per_instance=autoscaling.positive("target_invocations_per_instance"),
        deployment_strategy=strategy,
        traffic_step_percent=step,
        wait_interval_seconds=wait,
        error_alarm_threshold=alarms.positive("invocation_5xx_errors"),
        latency_alarm_threshold_ms=alarms.positive("model_latency_ms"),
        autoscaling_enabled=autoscaling.get("enabled", bool, default=False, optional=True),
    )


def _parse_training_data(pipeline_fields: _Fields) -> TrainingData:
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
            raise fields._fail("warehouse", "is missing: the warehouse source needs its secret_name, table, "
                                            "start_date and end_date")
        return TrainingData(source)
    dates = {}
    for key in ("start_date", "end_date"):
        text = warehouse_fields.get(key, str, ISO_DATE, "use a date written YYYY-MM-DD")
        try:
            dates[key] = datetime.date.fromisoformat(text)
        except ValueError:
            raise warehouse_fields._fail(key, f"has invalid value {text!r}: not a calendar date") from None
    if dates["start_date"] > dates["end_date"]:
        raise warehouse_fields._fail("end_date", "must not be before start_date (the default window would be empty)")
    network = {key: _id_list(warehouse_fields, key, pattern) for key, pattern in
               (("subnet_ids", SUBNET_ID), ("security_group_ids", SECURITY_GROUP_ID))}
    if bool(network["subnet_ids"]) != bool(network["security_group_ids"]):
        raise warehouse_fields._fail("subnet_ids", "and security_group_ids must both be set (the extract job runs in "
                                                   "that VPC) or both be empty")
    return TrainingData(source, Warehouse(
        secret_name=warehouse_fields.get("secret_name", str, SECRET_NAME,
                                         "Secrets Manager names are 1-512 of [A-Za-z0-9/_+=.@-]"),
        table=warehouse_fields.get("table", str, SQL_TABLE, "use a table name, optionally schema-qualified "
                                                             "(letters, digits, '_')"),
        start_date=dates["start_date"].isoformat(), end_date=dates["end_date"].isoformat(), **network))


def _id_list(fields: _Fields, key: str, pattern: re.Pattern) -> tuple[str, ...]:
    """A list of ids, possibly empty (missing reads as empty)."""
    fields.known.add(key)
    values = fields.data.get(key) or []
    if not isinstance(values, list):
        raise fields._fail(key, f"must be a list of strings, got {json.dumps(values)}")
    for index, value in enumerate(values):
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise fields._fail(f"{key}[{index}]", f"has invalid value {json.dumps(value)}: use ids such as "
                                                  f"{pattern.pattern.split('-')[0]}-0123456789abcdef0")
    return tuple(values)
def _parse_tuning(pipeline_fields: _Fields) -> Tuning | None:
    if "tuning" not in pipeline_fields.data:
        pipeline_fields.known.add("tuning")
        return None
    fields = pipeline_fields.child("tuning", optional=True)
    if fields is None:
        return None
    max_jobs = fields.positive("max_jobs")
    parallel = fields.positive("max_parallel_jobs")
    if max_jobs > MAX_TUNING_JOBS:
        raise fields._fail("max_jobs", f"must be at most {MAX_TUNING_JOBS}, got {max_jobs}")
    if parallel > max_jobs:
        raise fields._fail("max_parallel_jobs", f"must be at most max_jobs ({max_jobs}), got {parallel}")
    seed = fields.get("random_seed", int)
    if seed < 0:
        raise fields._fail("random_seed", f"must be 0 or greater, got {seed}")
    ranges_fields = fields.child("ranges")
    if not ranges_fields.data:
        raise fields._fail("ranges", "must name at least one hyperparameter, e.g. {\"eta\": {\"kind\": "
                                     "\"continuous\", \"min\": 0.05, \"max\": 0.5}}")
    ranges = []
    for name in sorted(ranges_fields.data):
        entry = ranges_fields.child(name)
        kind = entry.choice("kind", RANGE_KINDS)
        number = int if kind == "integer" else (int, float)
        low, high = entry.get("min", number), entry.get("max", number)
        if low > high:
            raise entry._fail("min", f"must not be greater than max ({high}), got {low}")
        scaling = entry.get("scaling", str, default="Auto", optional=True)
        if scaling not in SCALING_TYPES:
            raise entry._fail("scaling", f"has invalid value {scaling!r}: use one of {', '.join(SCALING_TYPES)}")
        if scaling == "Logarithmic" and low <= 0:
            raise entry._fail("min", f"must be greater than 0 for {scaling} scaling, got {low}")
        ranges.append(ParameterRange(name, kind, low, high, scaling))
    return Tuning(max_jobs, parallel, seed, tuple(ranges))


def _check_approval(path: Path, environment: str, settings: PipelineSettings) -> None:
    """Versions are registered PendingManualApproval and approved by the approver role; only dev may opt out."""
    if settings.allow_auto_approval and environment != "dev":
        raise ConfigError(f"{path}: field 'workload.pipeline.allow_auto_approval' must be false in {environment}: "
                          "only dev may register versions that no approver reviewed")
    if settings.model_approval_status != PENDING_MANUAL_APPROVAL and not settings.allow_auto_approval:
        raise ConfigError(
            f"{path}: field 'workload.pipeline.model_approval_status' is {settings.model_approval_status!r}: use "
            f"{PENDING_MANUAL_APPROVAL} (versions are approved with approve-model), or in dev set "
            "'workload.pipeline.allow_auto_approval' to true")
