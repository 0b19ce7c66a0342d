"""One table of bad inputs that both readers of an environment file must refuse, naming the same field.

Each case breaks one committed file (`environments/<environment>.tfvars.json`): the value at `path` (dotted, list
items as `[N]`) becomes `value`. The Python loader must raise ConfigError naming `field`, and Terraform must fail
the plan with the `validation` block of mlops-infra/variables.tf whose error_message contains `rule`, its message
naming `field` too (tests/config/test_bad_inputs.py, tests/terraform_static/test_bad_inputs.py). Every validation
block has at least one case, so a new block without one fails the suite (the coverage test).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

from pipelines.config import ENVIRONMENTS_DIR, REPO_ROOT

VARIABLES_TF = REPO_ROOT / "mlops-infra" / "variables.tf"
# Variables no environment file holds, so no bad file can reach their blocks: the runner passes lambda_zip_dir
# (the zip it builds) with -var, and no Python reader exists for it.
NOT_IN_ENVIRONMENT_FILES = {"lambda_zip_dir": "passed by the runner with -var, built from the repository"}
PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@functools.cache
def committed(environment: str) -> dict:
    """The committed file of `environment`, parsed (copy it before changing it)."""
    return json.loads((ENVIRONMENTS_DIR / f"{environment}.tfvars.json").read_text())


@dataclass(frozen=True)
class BadInput:
    environment: str
    path: str
    value: Any
    field: str
    """The name both tools' messages must hold, list items as `[]` (see `names_field`)."""
    rule: str
    """A piece of the error_message of the validation block the case breaks, unique among its variable's blocks."""

    @property
    def variable(self) -> str:
        return _keys(self.path)[0]

    @property
    def id(self) -> str:
        """The case as a test id (no '::', which would split a module between xdist workers: tests/conftest.py)."""
        return re.sub(r":{2,}", ":", f"{self.environment}:{self.path}={json.dumps(self.value)[:40]}")

    def document(self) -> dict:
        """The committed file with the case's change."""
        document = copy.deepcopy(committed(self.environment))
        *parents, last = _keys(self.path)
        target = document
        for key in parents:
            target = target[key]
        target[last] = copy.deepcopy(self.value)
        return document


def _keys(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in PATH_PART.findall(path)]


def names_field(message: str, field: str) -> bool:
    """Whether `message` names `field` ('workload.serving.endpoints[].mode'; list indexes in the message count as
    `[]`): whole, or as a section it names plus the rest of the name, as Terraform's 'workload.pipeline.
    processing_instance_type, training_instance_type and ...' names workload.pipeline.training_instance_type."""
    text = re.sub(r"\[\d+\]", "[]", message)
    parts = field.split(".")

    def named(name: str) -> bool:
        return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text) is not None

    return any(named(".".join(parts[:cut])) and (cut == len(parts) or named(".".join(parts[cut:])))
               for cut in range(len(parts), 0, -1))


@dataclass(frozen=True)
class ValidationBlock:
    variable: str
    index: int
    """Position among the variable's validation blocks."""
    error_message: str


@functools.cache
def validation_blocks() -> tuple[ValidationBlock, ...]:
    """Every `validation` block of mlops-infra/variables.tf, in file order."""
    blocks = []
    for declaration in hcl2.loads(VARIABLES_TF.read_text())["variable"]:
        for variable, body in declaration.items():
            for index, block in enumerate(body.get("validation", [])):
                # The parser keeps the string's escapes; Terraform prints the string itself.
                message = re.sub(r"\\([\\\"])", r"\1", block["error_message"][0])
                blocks.append(ValidationBlock(variable, index, message))
    return tuple(blocks)


def block_of(case: BadInput) -> ValidationBlock:
    """The one block of the case's variable whose message holds the case's rule."""
    matches = [block for block in validation_blocks()
               if block.variable == case.variable and case.rule in block.error_message]
    if len(matches) != 1:
        raise LookupError(f"{case.id}: rule {case.rule!r} matches {len(matches)} validation blocks of "
                          f"var.{case.variable}, not one")
    return matches[0]


def _tuning(**changes) -> dict:
    """A valid tuning section with `changes`."""
    return {"max_jobs": 4, "max_parallel_jobs": 2, "random_seed": 7,
            "ranges": {"eta": {"kind": "continuous", "min": 0.05, "max": 0.5}}, **changes}


def _eta(**changes) -> dict:
    return {"ranges": {"eta": {"kind": "continuous", "min": 0.05, "max": 0.5, **changes}}}


WAREHOUSE = "workload.pipeline.training_data.warehouse"
ENDPOINT = "workload.serving.endpoints[]"
TOOLING_ROLE = "arn:aws:iam::123456789012:role"

CASES = (
    BadInput("dev", "environment", "Dev", "environment", "environment must be 1-20 lower-case letters"),
    BadInput("staging", "environment", "pre prod", "environment", "environment must be 1-20 lower-case letters"),
    BadInput("dev", "aws_region", "US-EAST-1", "aws_region", "aws_region must be a region code"),
    BadInput("registry", "aws_region", "us-east", "aws_region", "aws_region must be a region code"),
    BadInput("dev", "project_name", "mammo_project", "project_name", "project_name must be"),
    BadInput("prod", "project_name", "m", "project_name", "project_name must be"),
    BadInput("dev", "accounts.tooling", "12345", "accounts.tooling", "must each be an AWS account id"),
    BadInput("prod", "accounts.prod", "33333333333x", "accounts", "must each be an AWS account id"),
    BadInput("dev", "accounts.registry", "222222222222", "accounts.registry", "must be different accounts"),
    # An account reused by another environment (the registry file lists them all).
    BadInput("registry", "accounts.staging", "333333333333", "accounts", "must be different accounts"),
    BadInput("registry", "accounts.Staging", "555555555555", "accounts", "accounts keys must be tooling, registry"),
    BadInput("staging", "accounts", {"tooling": "123456789012", "registry": "111111111111"}, "accounts",
             "and the account of the file's own environment"),
    # The promotion naming an environment without an account (and file), and an account missing from it.
    BadInput("registry", "promotion", ["dev", "qa", "staging", "prod"], "promotion",
             "promotion must list workload environments, each once"),
    BadInput("registry", "promotion", ["dev", "prod", "dev"], "promotion",
             "promotion must list workload environments, each once"),
    BadInput("registry", "promotion", ["dev", "prod"], "promotion", "promotion must list every workload account"),
    BadInput("registry", "promotion", None, "promotion", "promotion must be set in the registry file"),
    BadInput("dev", "promotion", ["dev"], "promotion", "promotion must be set in the registry file"),
    BadInput("registry", "terraform_state_bucket", "Mammo-TFState", "terraform_state_bucket",
             "terraform_state_bucket must be an S3 bucket name"),

    BadInput("registry", "model_registry.model_package_group_name", "mammo_severity",
             "model_registry.model_package_group_name", "model_package_group_name must be"),
    BadInput("registry", "model_registry.artifacts_bucket_name", "Bad_Bucket", "model_registry.artifacts_bucket_name",
             "must be S3 bucket names"),
    BadInput("prod", "model_registry.access_log_bucket_name", "ab", "model_registry.access_log_bucket_name",
             "must be S3 bucket names"),
    BadInput("dev", "model_registry.access_log_bucket_name", "mammo-model-artifacts-111111111111",
             "model_registry.access_log_bucket_name", "a bucket cannot log to itself"),
    BadInput("registry", "model_registry.kms_alias", "mammo-model-artifacts", "model_registry.kms_alias",
             "model_registry.kms_alias must start with"),
    BadInput("registry", "model_registry.kms_alias", "alias/aws/s3", "model_registry.kms_alias",
             "model_registry.kms_alias must start with"),
    BadInput("registry", "model_registry.noncurrent_version_expiration_days", 0,
             "model_registry.noncurrent_version_expiration_days", "noncurrent_version_expiration_days must be"),
    BadInput("dev", "model_registry.noncurrent_version_expiration_days", 1.5,
             "model_registry.noncurrent_version_expiration_days", "noncurrent_version_expiration_days must be"),
    BadInput("registry", "model_registry.approver_role_name", "bad role", "model_registry.approver_role_name",
             "approver_role_name must be an IAM role name"),
    BadInput("registry", "model_registry.approver_trusted_principal_arns", [],
             "model_registry.approver_trusted_principal_arns", "must list at least one IAM role or user ARN"),
    BadInput("prod", "model_registry.approver_trusted_principal_arns", ["arn:aws:iam::123456789012:root"],
             "model_registry.approver_trusted_principal_arns", "must list at least one IAM role or user ARN"),
    BadInput("dev", "model_registry.approver_trusted_principal_arns", [f"{TOOLING_ROLE}/a", f"{TOOLING_ROLE}/*"],
             "model_registry.approver_trusted_principal_arns", "must list at least one IAM role or user ARN"),
    # Only the promotion's first environment may auto-approve, listed once, in the registry file.
    BadInput("registry", "model_registry.auto_approving_environments", ["qa"],
             "model_registry.auto_approving_environments", "must list environments of promotion, each once"),
    BadInput("registry", "model_registry.auto_approving_environments", ["dev", "dev"],
             "model_registry.auto_approving_environments", "must list environments of promotion, each once"),
    BadInput("dev", "model_registry.auto_approving_environments", ["dev"],
             "model_registry.auto_approving_environments", "must list environments of promotion, each once"),
    BadInput("registry", "model_registry.auto_approving_environments", ["staging"],
             "model_registry.auto_approving_environments", "may list only the first environment of promotion"),

    BadInput("dev", "workload", None, "workload", "workload must be set for a workload environment"),
    BadInput("registry", "workload", committed("dev")["workload"], "workload",
             "workload must be set for a workload environment"),
    BadInput("dev", "workload.data_bucket_name", "Mammo_Data", "workload.data_bucket_name",
             "workload.data_bucket_name must be"),
    BadInput("dev", "workload.kms_alias", "mammo-data", "workload.kms_alias", "workload.kms_alias must start with"),
    BadInput("prod", "workload.kms_alias", "alias/aws/s3", "workload.kms_alias", "workload.kms_alias must start with"),
    BadInput("dev", "workload.train_pipeline_name", "mammo_train", "workload.train_pipeline_name",
             "must be SageMaker pipeline names"),
    BadInput("prod", "workload.inference_pipeline_name", "-mammo-inference", "workload.inference_pipeline_name",
             "must be SageMaker pipeline names"),
    BadInput("dev", "workload.inference_pipeline_name", committed("dev")["workload"]["train_pipeline_name"].upper(),
             "workload.inference_pipeline_name", "must differ (pipeline ARNs are case-insensitive)"),
    BadInput("dev", "workload.latest_model_function_name", "latest model", "workload.latest_model_function_name",
             "must be Lambda function names"),
    BadInput("prod", "workload.alert_function_name", "x" * 65, "workload.alert_function_name",
             "must be Lambda function names"),
    BadInput("dev", "workload.sagemaker_execution_role_name", "bad role", "workload.sagemaker_execution_role_name",
             "workload.events_role_name must be IAM role names"),
    BadInput("prod", "workload.events_role_name", "role/events", "workload.events_role_name",
             "workload.events_role_name must be IAM role names"),
    BadInput("dev", "workload.alert_topic_name", "alert\u00e9s", "workload.alert_topic_name",
             "alert_topic_name must be an SNS topic name"),
    BadInput("dev", "workload.alert_email", "mlops-alerts", "workload.alert_email", "alert_email must be"),
    BadInput("dev", "workload.inference_schedule.expression", "daily", "workload.inference_schedule.expression",
             "must be an EventBridge schedule expression"),
    BadInput("prod", "workload.inference_schedule.expression", "rate(0 days)", "workload.inference_schedule.expression",
             "must be an EventBridge schedule expression"),
    BadInput("prod", "workload.inference_schedule.expression", "cron(0 6 * * ?)",
             "workload.inference_schedule.expression", "cron() has exactly six fields"),
    BadInput("dev", "workload.pipeline.processing_instance_type", "m5.large",
             "workload.pipeline.processing_instance_type", "must be SageMaker instance types"),
    BadInput("dev", "workload.pipeline.training_instance_type", "ml.m5", "workload.pipeline.training_instance_type",
             "must be SageMaker instance types"),
    BadInput("prod", "workload.pipeline.transform_instance_type", "ml.M5.large",
             "workload.pipeline.transform_instance_type", "must be SageMaker instance types"),
    BadInput("dev", "workload.pipeline.processing_instance_count", 0, "workload.pipeline.processing_instance_count",
             "transform_instance_count must be whole numbers"),
    BadInput("prod", "workload.pipeline.transform_instance_count", 1.5, "workload.pipeline.transform_instance_count",
             "transform_instance_count must be whole numbers"),
    BadInput("prod", "workload.pipeline.training_max_runtime_seconds", 2419201,
             "workload.pipeline.training_max_runtime_seconds", "training_max_runtime_seconds must be whole seconds"),
    BadInput("dev", "workload.pipeline.training_max_runtime_seconds", 3600.5,
             "workload.pipeline.training_max_runtime_seconds", "training_max_runtime_seconds must be whole seconds"),
    BadInput("dev", "workload.pipeline.auc_threshold", 1.5, "workload.pipeline.auc_threshold",
             "auc_threshold must be between 0 and 1"),
    BadInput("prod", "workload.pipeline.auc_threshold", -0.1, "workload.pipeline.auc_threshold",
             "auc_threshold must be between 0 and 1"),
    BadInput("dev", "workload.pipeline.model_approval_status", "Maybe", "workload.pipeline.model_approval_status",
             "must be one of Approved, PendingManualApproval, Rejected"),
    BadInput("prod", "workload.pipeline.allow_auto_approval", True, "workload.pipeline.allow_auto_approval",
             "allow_auto_approval must be false where jenkins.apply_submitter is set"),
    BadInput("dev", "workload.pipeline.model_approval_status", "Approved", "workload.pipeline.model_approval_status",
             "must be PendingManualApproval"),
    BadInput("prod", "workload.pipeline.model_approval_status", "Rejected", "workload.pipeline.model_approval_status",
             "must be PendingManualApproval"),
    BadInput("dev", "workload.pipeline.tuning", _tuning(max_jobs=2, max_parallel_jobs=3),
             "workload.pipeline.tuning.max_parallel_jobs", "workload.pipeline.tuning (null trains once"),
    BadInput("prod", "workload.pipeline.tuning", _tuning(max_jobs=751), "workload.pipeline.tuning.max_jobs",
             "workload.pipeline.tuning (null trains once"),
    BadInput("dev", "workload.pipeline.tuning", _tuning(random_seed=-1), "workload.pipeline.tuning.random_seed",
             "workload.pipeline.tuning (null trains once"),
    BadInput("dev", "workload.pipeline.tuning", _tuning(ranges={}), "workload.pipeline.tuning",
             "workload.pipeline.tuning (null trains once"),
    BadInput("dev", "workload.pipeline.tuning", _tuning(**_eta(kind="categorical")), "workload.pipeline.tuning",
             "workload.pipeline.tuning (null trains once"),
    BadInput("dev", "workload.pipeline.tuning", _tuning(**_eta(min=0.6)), "workload.pipeline.tuning",
             "workload.pipeline.tuning (null trains once"),
    BadInput("prod", "workload.pipeline.tuning", _tuning(**_eta(scaling="Log")), "workload.pipeline.tuning",
             "workload.pipeline.tuning (null trains once"),
    BadInput("dev", "workload.pipeline.tuning", _tuning(**_eta(min=0, scaling="Logarithmic")),
             "workload.pipeline.tuning", "workload.pipeline.tuning (null trains once"),
    BadInput("dev", "workload.pipeline.drift_check_engine", "clarify", "workload.pipeline.drift_check_engine",
             "drift_check_engine must be model-monitor"),
    BadInput("dev", "workload.pipeline.training_data.source", "lake", "workload.pipeline.training_data.source",
             "training_data.source must be s3"),
    BadInput("prod", "workload.pipeline.training_data", {"source": "warehouse"}, WAREHOUSE,
             "training_data.warehouse is missing"),
    BadInput("dev", f"{WAREHOUSE}.secret_name", "has space", f"{WAREHOUSE}.secret_name",
             "training_data.warehouse needs a Secrets Manager secret_name"),
    BadInput("dev", f"{WAREHOUSE}.table", "masses; DROP TABLE x", f"{WAREHOUSE}.table",
             "training_data.warehouse needs a Secrets Manager secret_name"),
    BadInput("prod", f"{WAREHOUSE}.start_date", "2024-02-30", f"{WAREHOUSE}.start_date",
             "training_data.warehouse needs a Secrets Manager secret_name"),
    BadInput("dev", f"{WAREHOUSE}.end_date", "31/12/2026", f"{WAREHOUSE}.end_date",
             "training_data.warehouse needs a Secrets Manager secret_name"),
    BadInput("dev", f"{WAREHOUSE}.subnet_ids", ["subnet-0123456789abcdef0"], f"{WAREHOUSE}.subnet_ids",
             "training_data.warehouse needs a Secrets Manager secret_name"),

    BadInput("dev", "workload.serving.execution_role_name", "bad role", "workload.serving.execution_role_name",
             "workload.serving.refresh_role_name must be IAM role names"),
    BadInput("prod", "workload.serving.refresh_role_name", "x" * 65, "workload.serving.refresh_role_name",
             "workload.serving.refresh_role_name must be IAM role names"),
    BadInput("dev", "workload.serving.refresh_function_name", "refresh models",
             "workload.serving.refresh_function_name", "refresh_function_name must be a Lambda function name"),
    BadInput("dev", "workload.serving.models_prefix", "/models/", "workload.serving.models_prefix",
             "must be S3 key prefixes"),
    BadInput("prod", "workload.serving.data_capture.prefix", "capture/", "workload.serving.data_capture.prefix",
             "must be S3 key prefixes"),
    BadInput("dev", "workload.serving.data_capture.sampling_percent", 101,
             "workload.serving.data_capture.sampling_percent", "sampling_percent must be a whole number"),
    BadInput("prod", "workload.serving.data_capture.sampling_percent", 12.5,
             "workload.serving.data_capture.sampling_percent", "sampling_percent must be a whole number"),
    BadInput("dev", "workload.serving.data_capture.retention_days", 0, "workload.serving.data_capture.retention_days",
             "retention_days must be a whole number of days"),
    BadInput("dev", "workload.serving.endpoints[0].name", "mammo_severity", f"{ENDPOINT}.name",
             "endpoints[].name must be a SageMaker endpoint name"),
    BadInput("prod", "workload.serving.endpoints[1].name", "mammo-severity", "workload.serving.endpoints",
             "names an endpoint twice"),
    BadInput("dev", "workload.serving.endpoints[1].mode", "serverless", f"{ENDPOINT}.mode",
             "endpoints[].mode must be one of"),
    BadInput("dev", "workload.serving.endpoints[0].instance_type", "ml.m5", f"{ENDPOINT}.instance_type",
             "endpoints[].instance_type must be a SageMaker instance type"),
    BadInput("dev", "workload.serving.endpoints[0].initial_instance_count", 0, f"{ENDPOINT}.initial_instance_count",
             "autoscaling.target_invocations_per_instance must be whole numbers"),
    BadInput("prod", "workload.serving.endpoints[0].autoscaling.min_capacity", 0,
             f"{ENDPOINT}.autoscaling.min_capacity",
             "autoscaling.target_invocations_per_instance must be whole numbers"),
    BadInput("dev", "workload.serving.endpoints[1].autoscaling.max_capacity", 2.5,
             f"{ENDPOINT}.autoscaling.max_capacity",
             "autoscaling.target_invocations_per_instance must be whole numbers"),
    BadInput("dev", "workload.serving.endpoints[0].autoscaling.target_invocations_per_instance", -1,
             f"{ENDPOINT}.autoscaling.target_invocations_per_instance",
             "autoscaling.target_invocations_per_instance must be whole numbers"),
    BadInput("prod", "workload.serving.endpoints[0].initial_instance_count", 9, f"{ENDPOINT}.initial_instance_count",
             "initial_instance_count must lie between"),
    BadInput("dev", "workload.serving.endpoints[0].deployment.strategy", "blue-green",
             f"{ENDPOINT}.deployment.strategy", "deployment.strategy must be one of"),
    BadInput("dev", "workload.serving.endpoints[0].deployment.traffic_step_percent", 10,
             f"{ENDPOINT}.deployment.traffic_step_percent", "traffic_step_percent must be null for the all-at-once"),
    BadInput("prod", "workload.serving.endpoints[0].deployment.traffic_step_percent", None,
             f"{ENDPOINT}.deployment.traffic_step_percent", "traffic_step_percent must be null for the all-at-once"),
    BadInput("prod", "workload.serving.endpoints[0].deployment.traffic_step_percent", 100,
             f"{ENDPOINT}.deployment.traffic_step_percent", "traffic_step_percent must be null for the all-at-once"),
    BadInput("dev", "workload.serving.endpoints[0].deployment.wait_interval_seconds", 3601,
             f"{ENDPOINT}.deployment.wait_interval_seconds", "wait_interval_seconds must be a whole number"),
    BadInput("dev", "workload.serving.endpoints[0].alarms.invocation_5xx_errors", 0,
             f"{ENDPOINT}.alarms.invocation_5xx_errors", "alarms.model_latency_ms must be whole numbers"),
    BadInput("prod", "workload.serving.endpoints[1].alarms.model_latency_ms", 0.5,
             f"{ENDPOINT}.alarms.model_latency_ms", "alarms.model_latency_ms must be whole numbers"),

    BadInput("registry", "jenkins", committed("dev")["jenkins"], "jenkins",
             "jenkins may only be set for a workload account"),
    BadInput("dev", "jenkins.role_name", "bad role", "jenkins.role_name", "jenkins.role_name must be an IAM role name"),
    BadInput("dev", "jenkins.log_group_name", "jenkins log", "jenkins.log_group_name",
             "log_group_name must be a CloudWatch log group name"),
    BadInput("dev", "jenkins.log_retention_days", 0, "jenkins.log_retention_days",
             "log_retention_days must be a retention CloudWatch Logs accepts"),
    BadInput("prod", "jenkins.log_retention_days", 2, "jenkins.log_retention_days",
             "log_retention_days must be a retention CloudWatch Logs accepts"),
    BadInput("dev", "jenkins.principal_arn", "arn:aws:iam::333333333333:role/jenkins", "jenkins.principal_arn",
             "jenkins.principal_arn must be the ARN"),
    BadInput("prod", "jenkins.principal_arn", "arn:aws:iam::123456789012:root", "jenkins.principal_arn",
             "jenkins.principal_arn must be the ARN"),
    BadInput("dev", "jenkins.external_id", "x", "jenkins.external_id", "external_id must be null or 2-1224"),
    BadInput("prod", "jenkins.external_id", "mlops jenkins", "jenkins.external_id",
             "external_id must be null or 2-1224"),
    BadInput("dev", "jenkins.apply_submitter", "approvers,,alice", "jenkins.apply_submitter",
             "apply_submitter must be null (no approval) or name"),
    BadInput("prod", "jenkins.apply_submitter", "", "jenkins.apply_submitter",
             "apply_submitter must be null (no approval) or name"),

    BadInput("prod", "secondary_region.region", "US-WEST-2", "secondary_region.region",
             "secondary_region.region must be a region code"),
    BadInput("registry", "secondary_region.region", "us-east-1", "secondary_region.region",
             "must differ from aws_region"),
    BadInput("prod", "secondary_region.region", "cn-north-1", "secondary_region.region",
             "must be in the partition of aws_region"),
    BadInput("registry", "secondary_region.replica_artifacts_bucket_name", "Replica_Bucket",
             "secondary_region.replica_artifacts_bucket_name", "replica_artifacts_bucket_name must be an S3 bucket"),
    BadInput("prod", "secondary_region.replica_artifacts_bucket_name", "mammo-model-artifacts-logs-111111111111",
             "secondary_region.replica_artifacts_bucket_name", "bucket names are global"),
    BadInput("registry", "secondary_region.replica_kms_alias", "mammo-replica", "secondary_region.replica_kms_alias",
             "replica_kms_alias must start with"),
    BadInput("prod", "secondary_region.replica_kms_alias", "alias/aws/s3", "secondary_region.replica_kms_alias",
             "replica_kms_alias must start with"),
    BadInput("registry", "secondary_region.endpoints", ["mammo-severity"], "secondary_region.endpoints",
             "this account serves no endpoints"),
    BadInput("prod", "secondary_region.endpoints", ["mammo-severity-versions"], "secondary_region.endpoints",
             "must name single-model endpoints"),
    BadInput("prod", "secondary_region.endpoints", ["mammo-severty"], "secondary_region.endpoints",
             "must name single-model endpoints"),
    BadInput("prod", "secondary_region.endpoints", [], "secondary_region.endpoints",
             "must list at least one endpoint and name each once"),
    BadInput("prod", "secondary_region.endpoints", ["mammo-severity", "mammo-severity"], "secondary_region.endpoints",
             "must list at least one endpoint and name each once"),
    BadInput("prod", "secondary_region",
             {**committed("prod")["secondary_region"], "replication_enabled": False, "endpoints": ["mammo-severity"]},
             "secondary_region.endpoints", "replication_enabled is false"),
)


def write_case(case: BadInput, directory: Path) -> Path:
    """The case's file as `<directory>/<environment>.tfvars.json`, as load_config(environment, directory) reads it."""
    path = directory / f"{case.environment}.tfvars.json"
    path.write_text(json.dumps(case.document(), indent=2))
    return path

