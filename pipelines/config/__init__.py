"""Typed, validated view of `environments/<env>.tfvars.json`, the file Terraform reads with -var-file.

One file per account is the single source of configuration: Terraform, the Python commands and Jenkins
(readJSON) all read it. The checks here mirror the Terraform `validation` blocks of mlops-infra/variables.tf so
that a bad value is caught by whichever tool reads it first, and every error names the file and the field;
tests/config/bad_inputs.py holds one bad input per block, which both tools must reject naming the same field.

One module per section of the file, each with the rules of its fields: accounts, registry (model_registry),
workload, serving (workload.serving), jenkins, regions (aws_region, secondary_region); `fields` reads any of
them with errors naming file and field, `loader` puts them together. This package re-exports their public
names, so `from pipelines.config import load_config` is the way in.
"""

from pipelines.config.accounts import (
    ACCOUNT_ID,
    ENVIRONMENT_HINT,
    ENVIRONMENT_NAME,
    REGISTRY,
    TOOLING,
    Accounts,
    valid_environment_name,
)
from pipelines.config.fields import (
    BUCKET_NAME,
    IAM_NAME,
    INSTANCE_TYPE,
    KMS_ALIAS,
    PRINCIPAL_ARN,
    PRINCIPAL_HINT,
    RESOURCE_NAME,
    closest,
)
from pipelines.config.jenkins import EXTERNAL_ID, SUBMITTERS, Jenkins
from pipelines.config.loader import (
    ENVIRONMENTS_DIR,
    ENVIRONMENTS_DIR_VARIABLE,
    REPO_ROOT,
    EnvConfig,
    default_environments_dir,
    environment_file,
    environment_names,
    environments,
    load_config,
    load_config_file,
    workload_environments,
)
from pipelines.config.regions import REGION, SecondaryRegion, known_regions, region_partitions
from pipelines.config.registry import ModelRegistry
from pipelines.config.serving import (
    DEPLOYMENT_STRATEGIES,
    ENDPOINT_MODES,
    MULTI_MODEL,
    S3_PREFIX,
    SINGLE_MODEL,
    EndpointSettings,
    Serving,
)
from pipelines.config.workload import (
    APPROVAL_STATUSES,
    DRIFT_CHECK_ENGINES,
    EMAIL,
    FEATURES,
    ISO_DATE,
    MAX_TUNING_JOBS,
    MODEL_MONITOR,
    PENDING_MANUAL_APPROVAL,
    PROCESSING,
    RANGE_KINDS,
    S3_SOURCE,
    SCALING_TYPES,
    SCHEDULE,
    SECRET_NAME,
    SECURITY_GROUP_ID,
    SQL_TABLE,
    SUBNET_ID,
    TRAINING_DATA_SOURCES,
    WAREHOUSE_SOURCE,
    ParameterRange,
    PipelineSettings,
    Schedule,
    TrainingData,
    Tuning,
    Warehouse,
    Workload,
)
from pipelines.errors import ConfigError

__all__ = [
    "ACCOUNT_ID", "APPROVAL_STATUSES", "BUCKET_NAME", "DEPLOYMENT_STRATEGIES", "DRIFT_CHECK_ENGINES", "EMAIL",
    "ENDPOINT_MODES", "ENVIRONMENTS_DIR", "ENVIRONMENTS_DIR_VARIABLE", "ENVIRONMENT_HINT", "ENVIRONMENT_NAME",
    "EXTERNAL_ID", "FEATURES", "IAM_NAME", "INSTANCE_TYPE", "ISO_DATE", "KMS_ALIAS", "MAX_TUNING_JOBS",
    "MODEL_MONITOR", "MULTI_MODEL", "PENDING_MANUAL_APPROVAL", "PRINCIPAL_ARN", "PRINCIPAL_HINT", "PROCESSING",
    "RANGE_KINDS", "REGION", "REGISTRY", "REPO_ROOT", "RESOURCE_NAME", "S3_PREFIX", "S3_SOURCE", "SCALING_TYPES",
    "SCHEDULE", "SECRET_NAME", "SECURITY_GROUP_ID", "SINGLE_MODEL", "SQL_TABLE", "SUBMITTERS", "SUBNET_ID", "TOOLING",
    "TRAINING_DATA_SOURCES", "WAREHOUSE_SOURCE", "Accounts", "ConfigError", "EndpointSettings", "EnvConfig", "Jenkins",
    "ModelRegistry", "ParameterRange", "PipelineSettings", "Schedule", "SecondaryRegion", "Serving", "TrainingData",
    "Tuning", "Warehouse", "Workload", "closest", "default_environments_dir", "environment_file", "environment_names",
    "environments", "known_regions", "load_config", "load_config_file", "region_partitions", "valid_environment_name",
    "workload_environments"
]
