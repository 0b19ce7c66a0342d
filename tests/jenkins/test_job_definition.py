"""jenkins/jobs.yaml rendered offline by Jenkins Job Builder (`jenkins-jobs test`), and the XML Jenkins gets."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from jenkins_harness import JENKINSFILE

from pipelines.cli import jenkins_job
from pipelines.config import load_config
from pipelines.errors import InfraError
from pipelines.infra.jenkins_job import JOBS_YAML, check, write
from pipelines.infra.jenkins_job import render as generate

pytestmark = pytest.mark.jenkins

JOB_NAME = "mlops-sagemaker-platform-deploy"
REPOSITORY = "https://github.com/example-org/mlops-sagemaker-platform"
PARAMETER_TYPES = {
    "hudson.model.StringParameterDefinition": "string",
    "hudson.model.ChoiceParameterDefinition": "choice",
    "hudson.model.BooleanParameterDefinition": "booleanParam",
}


def render(jenkins_jobs: str, jobs_yaml: Path, output: Path) -> subprocess.CompletedProcess:
    # An empty configuration file: rendering needs no Jenkins server and must not read /etc/jenkins_jobs.
    config = output / "jenkins_jobs.ini"
    config.write_text("[job_builder]\nignore_cache=True\n")
    return subprocess.run(
        [jenkins_jobs, "--conf", str(config), "test", "--config-xml", "-o", str(output / "jobs"), str(jobs_yaml)],
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture(scope="module")
def job_xml(require_tool, tmp_path_factory) -> ElementTree.Element:
    output = tmp_path_factory.mktemp("jjb")
    result = render(require_tool("jenkins-jobs"), JOBS_YAML, output)
    assert result.returncode == 0, result.stderr
    rendered = sorted(path.parent.name for path in (output / "jobs").glob("*/config.xml"))
    assert rendered == [JOB_NAME]
    # Our own file, just rendered: no untrusted XML.
    return ElementTree.parse(output / "jobs" / JOB_NAME / "config.xml").getroot()  # noqa: S314


def test_pipeline_script_comes_from_git_main(job_xml):
    assert job_xml.tag == "flow-definition"
    definition = job_xml.find("definition")
    assert definition.get("class") == "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition"
    assert definition.findtext("scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/url") == f"{REPOSITORY}.git"
    assert [branch.text for branch in definition.iterfind("scm/branches/hudson.plugins.git.BranchSpec/name")] == [
        "*/main"]
    assert definition.findtext("scriptPath") == "Jenkinsfile"
    assert definition.findtext("sandbox") == "true"


def test_github_project_concurrency_and_discarder(job_xml):
    properties = job_xml.find("properties")
    assert properties.findtext("com.coravy.hudson.plugins.github.GithubProjectProperty/projectUrl") == f"{REPOSITORY}/"
    no_concurrent_builds = "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty"
    assert properties.find(no_concurrent_builds) is not None
    assert properties.findtext("jenkins.model.BuildDiscarderProperty/strategy/numToKeep") == "30"


def test_target_account_parameter(job_xml):
    parameters = job_xml.find("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions")
    target_account = parameters.find("hudson.model.StringParameterDefinition")
    assert target_account.findtext("name") == "targetAccount"
    assert target_account.findtext("defaultValue") in ("", None)
    assert target_account.findtext("trim") == "true"


def test_the_target_env_choices_are_the_promotion(job_xml):
    parameters = job_xml.find("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions")
    [target_env] = [entry for entry in parameters if entry.findtext("name") == "TARGET_ENV"]
    assert [choice.text for choice in target_env.iterfind("choices/a/string")] == list(
        load_config("registry").promotion)


def test_the_committed_job_is_the_one_the_environment_files_generate():
    assert JOBS_YAML.read_text() == generate(), "run `python -m pipelines.cli.jenkins_job` and commit jenkins/jobs.yaml"
    assert jenkins_job.main(["--check"]) == 0


def test_a_stale_job_definition_is_reported_and_rewritten(tmp_path):
    stale = tmp_path / "jobs.yaml"
    stale.write_text(JOBS_YAML.read_text().replace("        - prod\n", ""))

    with pytest.raises(InfraError, match=f"{stale} is not what the environment files generate: run "):
        check(path=stale)
    assert write(path=stale) is True
    check(path=stale)


def test_the_jenkinsfile_declares_no_parameters_of_its_own():
    # Jenkins replaces a job's parameters with a Jenkinsfile's parameters { } on every build: the job owns them.
    assert not re.search(r"^\s*parameters\s*\{", JENKINSFILE.read_text(), re.MULTILINE)


def test_a_broken_job_definition_does_not_render(require_tool, tmp_path):
    broken = tmp_path / "jobs.yaml"
    broken.write_text(JOBS_YAML.read_text().replace("project-type: pipeline", "project-type: pipelin"))
    result = render(require_tool("jenkins-jobs"), broken, tmp_path)
    assert result.returncode != 0
    assert "pipelin" in result.stderr
