"""Generates jenkins/jobs.yaml, the Jenkins Job Builder definition of the deployment job, from the environment files:
the TARGET_ENV choices are the workload environments in promotion order (the first is the default), so adding an
environment file and listing it in the registry file's `promotion` is all a new environment needs.

    python -m pipelines.cli.jenkins_job           # rewrite jenkins/jobs.yaml
    python -m pipelines.cli.jenkins_job --check   # exit 4 when the committed file differs from the generated one
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.config import workload_environments
from pipelines.config.loader import REPO_ROOT
from pipelines.errors import InfraError

PROG = "python -m pipelines.cli.jenkins_job"
JOBS_YAML = REPO_ROOT / "jenkins" / "jobs.yaml"
JOB_NAME = "mlops-sagemaker-platform-deploy"
REPOSITORY = "https://github.com/example-org/mlops-sagemaker-platform"
HEADER = f"""\
# Jenkins Job Builder definition of the deployment job (load it with `jenkins-jobs update`, see README.md).
# Generated from environments/*.tfvars.json by `{PROG}`: edit the environment files or
# pipelines/infra/jenkins_job.py, not this file (a test fails when the two disagree).
# A plain pipeline job that runs the repository's Jenkinsfile from branch main. The job owns the parameters (the
# Jenkinsfile declares none), so the very first build already offers "Build with Parameters" and the TARGET_ENV
# choices follow the environment files.
"""


def job_definition(environments_dir: Path | None = None) -> list[dict]:
    """The job as Jenkins Job Builder reads it."""
    promotion = list(workload_environments(environments_dir))
    path = " -> ".join(promotion)
    parameters = [
        {"string": {"name": "targetAccount", "default": "", "trim": True, "description": (
            "The AWS account id (12 digits) of TARGET_ENV. Must equal accounts.<TARGET_ENV> in "
            "environments/<TARGET_ENV>.tfvars.json: a typed confirmation of where this build deploys.")}},
        {"choice": {"name": "TARGET_ENV", "choices": promotion, "description": (
            "The workload account to deploy: its settings are environments/<TARGET_ENV>.tfvars.json.")}},
        {"choice": {"name": "TERRAFORM_ACTION", "choices": ["plan", "apply"], "description": (
            "plan: show and archive the Terraform plan, change nothing. apply: apply that plan (after a manual "
            "approval when the environment's jenkins.apply_submitter names who may give it), then upsert the "
            "pipelines.")}},
        {"bool": {"name": "SKIP_PIPELINE_UPSERT", "default": False, "description": (
            "Apply the infrastructure only; leave the SageMaker pipeline definitions as they are.")}},
        {"string": {"name": "ENDPOINT_MODEL_VERSION", "default": "", "trim": True, "description": (
            "Serve this model package version (its number, Approved in the central registry) on the endpoints of "
            f"each environment in promotion order ({path}), each smoke-tested before the next, after an approval "
            "where the environment's jenkins.apply_submitter is set. Empty: the endpoints are left as they are.")}},
    ]
    return [{"job": {
        "name": JOB_NAME,
        "project-type": "pipeline",
        "description": ("Promotes the infrastructure (Terraform) and the SageMaker pipelines of one workload "
                        f"account, and a model version along the promotion ({path}). Managed by Jenkins Job "
                        "Builder from jenkins/jobs.yaml: changes made in the UI are overwritten."),
        "concurrent": False,
        "sandbox": True,
        "properties": [
            {"github": {"url": f"{REPOSITORY}/", "display-name": "mlops-sagemaker-platform"}},
            {"build-discarder": {"num-to-keep": 30, "artifact-num-to-keep": 10}},
        ],
        "parameters": parameters,
        "pipeline-scm": {
            "scm": [{"git": {"url": f"{REPOSITORY}.git", "branches": ["*/main"], "wipe-workspace": False}}],
            "script-path": "Jenkinsfile",
            "lightweight-checkout": True,
        },
    }}]


def render(environments_dir: Path | None = None) -> str:
    return HEADER + "\n" + yaml.safe_dump(job_definition(environments_dir), sort_keys=False, width=110)


def write(environments_dir: Path | None = None, path: Path = JOBS_YAML) -> bool:
    """Rewrite the file; True when it changed."""
    text = render(environments_dir)
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    return True


def check(environments_dir: Path | None = None, path: Path = JOBS_YAML) -> None:
    if not path.exists() or path.read_text() != render(environments_dir):
        raise InfraError(f"{path} is not what the environment files generate: run `{PROG}` and commit the result")
