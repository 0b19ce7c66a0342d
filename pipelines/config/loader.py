"""Loads `environments/<env>.tfvars.json` into an `EnvConfig`: each section is read by its module (accounts,
registry, workload, serving, jenkins, regions); this one puts them together and derives the ARNs."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.config.accounts import (
    ENVIRONMENT_HINT,
    REGISTRY,
    Accounts,
    parse_accounts,
    parse_promotion,
    valid_environment_name,
)
from pipelines.config.fields import BUCKET_HINT, BUCKET_NAME, Fields, closest
from pipelines.config.jenkins import Jenkins, parse_jenkins
from pipelines.config.regions import SecondaryRegion, parse_region, parse_secondary_region
from pipelines.config.registry import ModelRegistry, check_auto_approving_environments, parse_model_registry
from pipelines.config.serving import EndpointSettings, Serving
from pipelines.config.workload import Workload, parse_workload
from pipelines.errors import ConfigError
from pipelines.files import read_text_file

REPO_ROOT_VARIABLE = "MLOPS_REPO_ROOT"


def _repo_root() -> Path:
    """The checkout the commands work in: its environment files, Terraform, data and `.local`.

    An editable install sits in the checkout. An installed wheel (a Jenkins agent's `pip install .`) does not: its
    commands run in the job's workspace, the checkout, so they work from the current folder (or MLOPS_REPO_ROOT).
    """
    if os.environ.get(REPO_ROOT_VARIABLE):
        return Path(os.environ[REPO_ROOT_VARIABLE]).resolve()
    beside_package = Path(__file__).resolve().parents[2]
    return beside_package if (beside_package / "environments").is_dir() else Path.cwd().resolve()


REPO_ROOT = _repo_root()
ENVIRONMENTS_DIR = REPO_ROOT / "environments"
ENVIRONMENTS_DIR_VARIABLE = "MLOPS_ENVIRONMENTS_DIR"
SUFFIX = ".tfvars.json"
PROJECT_NAME = re.compile(r"[a-z][a-z0-9-]{1,20}", re.ASCII)


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
    promotion: tuple[str, ...] | None = None
    """Registry file only: the workload environments in the order they are promoted through."""

    @property
    def account_id(self) -> str:
        return self.accounts.of(self.environment)

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
                f"pipelines run in a workload account ({', '.join(self.accounts.workloads)})"
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
    return (environments_dir or default_environments_dir()) / f"{environment}{SUFFIX}"


def load_config(environment: str, environments_dir: Path | None = None) -> EnvConfig:
    """Load `<environments_dir>/<environment>.tfvars.json`, raising ConfigError naming file and field."""
    path = environment_file(environment, environments_dir)
    if not valid_environment_name(environment):
        raise ConfigError(f"{path}: invalid environment name {environment!r}: {ENVIRONMENT_HINT}")
    if not path.exists():
        known = environment_names(path.parent)
        match = closest(environment, known)
        hint = f"did you mean {match!r}?" if match else f"there are: {', '.join(known) or 'none'}"
        raise ConfigError(f"{path}: environment file not found ({environment!r}); {hint}")
    return load_config_file(path, expected_environment=environment)


def environment_names(environments_dir: Path | None = None) -> tuple[str, ...]:
    """The names of the environment files of the folder (<name>.tfvars.json), sorted, valid or not."""
    directory = environments_dir or default_environments_dir()
    return tuple(sorted(path.name.removesuffix(SUFFIX) for path in directory.glob(f"*{SUFFIX}")))


def workload_environments(environments_dir: Path | None = None) -> tuple[str, ...]:
    """The workload environments in promotion order, after checking the files agree with each other: every file
    is validly named, every file with a `workload` section is in the registry file's `promotion` (and each name
    there has its file), each one's account is the one the registry file lists for it, and the environments
    allowing auto-approval are exactly those the registry file's `model_registry.auto_approving_environments`
    lists."""
    directory = environments_dir or default_environments_dir()
    for name in environment_names(directory):
        if not valid_environment_name(name):
            raise ConfigError(f"{environment_file(name, directory)}: field 'environment': invalid file name "
                              f"{name!r}: {ENVIRONMENT_HINT}")
    registry = load_config(REGISTRY, directory)
    order = registry.promotion or ()
    for index, name in enumerate(order):
        if not environment_file(name, directory).is_file():
            raise ConfigError(f"{registry.path}: field 'promotion[{index}]' names {name!r}, but there is no "
                              f"{environment_file(name, directory)}: add the file or remove {name!r}")
    for name in environment_names(directory):
        if name == REGISTRY:
            continue
        config = load_config(name, directory)
        if config.workload is not None and name not in order:
            raise ConfigError(f"{registry.path}: field 'promotion' does not list {name!r}, which has a workload "
                              f"({config.path}): add it to 'promotion' and 'accounts'")
        if name in order and config.accounts.of(name) != registry.accounts.of(name):
            raise ConfigError(f"{config.path}: field 'accounts.{name}' is {config.accounts.of(name)}, but the "
                              f"registry file lists {registry.accounts.of(name)}: one account per environment")
        _check_auto_approval(registry, config)
    return order


def _check_auto_approval(registry: EnvConfig, config: EnvConfig) -> None:
    """The group lets an account register versions Approved only where the registry file lists its environment:
    a workload file allowing auto-approval without it would have every Approved registration denied, and a listed
    environment that does not allow it holds a grant nobody uses."""
    allows = config.workload is not None and config.workload.pipeline.allow_auto_approval
    listed = config.environment in registry.model_registry.auto_approving_environments
    field = "model_registry.auto_approving_environments"
    if allows and not listed:
        raise ConfigError(f"{registry.path}: field '{field}' does not list {config.environment!r}, whose file "
                          f"allows auto-approval ({config.path}: workload.pipeline.allow_auto_approval): the "
                          f"registry would deny its Approved registrations; list {config.environment!r} there or "
                          "set allow_auto_approval to false")
    if listed and not allows:
        raise ConfigError(f"{registry.path}: field '{field}' lists {config.environment!r}, whose file does not "
                          f"allow auto-approval ({config.path}: workload.pipeline.allow_auto_approval is false): "
                          f"remove {config.environment!r} (a grant nobody uses) or set allow_auto_approval to true")


def environments(environments_dir: Path | None = None) -> tuple[str, ...]:
    """Every environment with its own Terraform state: the registry, then the workload environments in order."""
    return (REGISTRY, *workload_environments(environments_dir))


def load_config_file(path: Path, expected_environment: str | None = None) -> EnvConfig:
    try:
        raw = json.loads(read_text_file(Path(path), "environment file", ConfigError))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    top = Fields(Path(path), raw, "")
    config = _parse(Path(path), top)
    top.warn_unknown()
    if expected_environment is not None and config.environment != expected_environment:
        raise ConfigError(
            f"{path}: field 'environment' is {config.environment!r} but the file is for {expected_environment!r}"
        )
    return config


def _parse(path: Path, top: Fields) -> EnvConfig:
    environment = top.get("environment", str)
    if not valid_environment_name(environment):
        raise top.fail("environment", f"has invalid value {environment!r}: {ENVIRONMENT_HINT}")
    accounts = parse_accounts(top.child("accounts"), environment)
    registry_fields = top.child("model_registry")
    model_registry = parse_model_registry(registry_fields)
    workload = parse_workload(top, environment)
    jenkins = parse_jenkins(top, accounts, environment)
    if workload is not None and workload.pipeline.allow_auto_approval and jenkins and jenkins.apply_submitter:
        raise ConfigError(f"{path}: field 'workload.pipeline.allow_auto_approval' must be false where "
                          "jenkins.apply_submitter is set: an environment whose changes a person approves must not "
                          "register versions that no approver reviewed")
    aws_region = parse_region(top)
    secondary_region = parse_secondary_region(top, aws_region, model_registry, workload)
    config = EnvConfig(
        path=path,
        environment=environment,
        aws_region=aws_region,
        project_name=top.get("project_name", str, PROJECT_NAME,
                             "use 2-21 lowercase letters, digits or hyphens, starting with a letter"),
        accounts=accounts,
        terraform_state_bucket=top.get("terraform_state_bucket", str, BUCKET_NAME, BUCKET_HINT),
        model_registry=model_registry,
        workload=workload,
        jenkins=jenkins,
        secondary_region=secondary_region,
        promotion=parse_promotion(top, environment, accounts),
    )
    check_auto_approving_environments(registry_fields, model_registry, config.promotion)
    return config
