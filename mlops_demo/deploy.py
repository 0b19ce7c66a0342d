"""Deploying to a workload environment the way Jenkins does: the Jenkinsfile's deploy stages and its endpoint
promotion are each one script under `scripts/`, run here in the Jenkinsfile's order with the environment its stages
get, including the credentials `withAWS(role: 'cross-account-jenkins-role', roleAccount: targetAccount)` would put
there: the Terraform-created role in that environment's account, assumed from the tooling account's credentials.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from pipelines.aws import Target
from pipelines.config import ENVIRONMENTS_DIR_VARIABLE, EnvConfig
from pipelines.errors import InfraError, UsageError

LOG = logging.getLogger(__name__)

# The Jenkinsfile's deploy stages, in its order (read config, plan, [approval], apply, upsert pipelines), each
# with the pattern of the output lines that say what it did (for the summary).
DEPLOY_STAGES = (
    ("Read config", "scripts/check-build-params.sh", re.compile(r"confirmed by .*")),
    ("Terraform plan", "scripts/terraform-plan.sh", re.compile(r"(Plan: .*|No changes\..*)")),
    ("Terraform apply", "scripts/terraform-apply.sh", re.compile(r"Apply complete!.*")),
    ("Upsert pipelines", "scripts/upsert-pipelines.sh", re.compile(r"\S+: (created|updated|unchanged) in account \d+")),
)
OUTPUT_TAIL_LINES = 15


def jenkins_role_credentials(config: EnvConfig, target: Target) -> dict[str, str]:
    """What withAWS exports: the session credentials of the Jenkins role in the target account, assumed with
    the caller's own (tooling account) credentials. The role must exist: the environment's Terraform creates it."""
    if config.jenkins is None:
        raise UsageError(f"{config.path}: field 'jenkins' is null: the {config.environment} account has no "
                         "Jenkins role to deploy with")
    role_arn = config.role_arn(config.jenkins.role_name)
    tooling = target.base_session(config.aws_region)
    caller = tooling.client("sts").get_caller_identity()["Account"]
    if caller != config.accounts.tooling:
        raise UsageError(f"Jenkins runs with the tooling account's credentials ({config.accounts.tooling}), "
                         f"the current ones are for {caller}")
    credentials = tooling.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="jenkins-deploy")["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def stage_environment(config: EnvConfig, work_dir: Path, target: Target) -> dict[str, str]:
    """The Jenkinsfile's stage environment for an apply build of the config's environment, plus the Jenkins role's
    credentials; the scripts reach the target through the standard AWS variables (AWS_ENDPOINT_URL for the local
    stack) and read the environment file the config came from."""
    return {
        **target.child_environment(os.environ),
        ENVIRONMENTS_DIR_VARIABLE: str(config.path.parent),
        "TARGET_ENV": config.environment,
        "TERRAFORM_ACTION": "apply",
        "TARGET_ACCOUNT": config.account_id,
        "PLAN_FILE": str(work_dir / "terraform" / f"{config.environment}.tfplan"),
        "REPORTS_DIR": str(work_dir / "reports"),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        # The scripts run this interpreter's console scripts, wherever its virtualenv lives.
        "VENV_BIN": str(Path(sys.executable).parent),
        **jenkins_role_credentials(config, target),
    }


def run_stage(repo_root: Path, stage: str, script: str, environment: dict[str, str]) -> str:
    """Run one stage script; its output goes to the log; a failure raises with the output's tail."""
    LOG.info("Jenkins stage '%s': %s", stage, script)
    completed = subprocess.run([str(repo_root / script)], cwd=repo_root, env=environment, capture_output=True,
                               text=True, check=False)
    output = (completed.stdout + completed.stderr).strip()
    for line in output.splitlines():
        LOG.info("  %s", line)
    if completed.returncode != 0:
        tail = "\n".join(output.splitlines()[-OUTPUT_TAIL_LINES:])
        raise InfraError(f"Jenkins stage '{stage}' ({script}) exited with status {completed.returncode}:\n{tail}")
    return output


def deploy(config: EnvConfig, repo_root: Path, work_dir: Path, target: Target) -> list[str]:
    """Run every deploy stage; returns what each one reported doing, e.g. "Terraform plan: Plan: 0 to add..."."""
    environment = stage_environment(config, work_dir, target)
    said = []
    for stage, script, pattern in DEPLOY_STAGES:
        output = run_stage(repo_root, stage, script, environment)
        found = [match.group(0) for match in map(pattern.search, output.splitlines()) if match]
        said.append(f"{stage}: {', '.join(found) or 'done'}")
    return said


# The Jenkinsfile's endpoint promotion through one environment, in its order.
ENDPOINT_STAGES = (
    ("Serve", "scripts/deploy-endpoints.sh"),
    ("Smoke test", "scripts/smoke-test-endpoints.sh"),
)


def serve_endpoints(config: EnvConfig, repo_root: Path, work_dir: Path, target: Target, version: int) -> list[str]:
    """Serve `version` on every endpoint of the config's environment and smoke-test them, with the scripts of the
    Jenkinsfile's endpoint promotion; returns each stage's last output line."""
    environment = {**stage_environment(config, work_dir, target), "ENDPOINT_ENV": config.environment,
                   "ENDPOINT_MODEL_VERSION": str(version)}
    said = []
    for stage, script in ENDPOINT_STAGES:
        output = run_stage(repo_root, stage, script, environment)
        said.append(f"{stage}: {output.splitlines()[-1] if output else 'done'}")
    return said
