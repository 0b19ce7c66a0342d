"""jenkins/jobs.yaml rendered offline by Jenkins Job Builder (`jenkins-jobs test`), and the XML Jenkins gets."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from jenkins_harness import DEV_PLAN, REPO_ROOT

pytestmark = pytest.mark.jenkins

JOBS_YAML = REPO_ROOT / "jenkins" / "jobs.yaml"
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


def test_prod_account_parameter(job_xml):
    parameters = job_xml.find("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions")
    prod_account = parameters.find("hudson.model.StringParameterDefinition")
    assert prod_account.findtext("name") == "prodAccount"
    assert prod_account.findtext("defaultValue") in ("", None)
    assert prod_account.findtext("trim") == "true"


def test_job_and_jenkinsfile_declare_the_same_parameters(job_xml, run_jenkinsfile):
    # The job declares them for the first build; the Jenkinsfile re-declares them on every build. They must agree.
    parameters = job_xml.find("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions")
    from_job = []
    for definition in parameters:
        choices = [choice.text for choice in definition.iterfind("choices/a/string")]
        from_job.append((PARAMETER_TYPES[definition.tag], definition.findtext("name"), choices or None,
                         definition.findtext("defaultValue") or ""))
    from_jenkinsfile = []
    for definition in run_jenkinsfile(DEV_PLAN)["parameters"]:
        args = definition["args"][0]
        default = args.get("defaultValue", "")
        from_jenkinsfile.append((definition["name"], args["name"], args.get("choices"),
                                 str(default).lower() if isinstance(default, bool) else default))
    assert from_job == from_jenkinsfile


def test_a_broken_job_definition_does_not_render(require_tool, tmp_path):
    broken = tmp_path / "jobs.yaml"
    broken.write_text(JOBS_YAML.read_text().replace("project-type: pipeline", "project-type: pipelin"))
    result = render(require_tool("jenkins-jobs"), broken, tmp_path)
    assert result.returncode != 0
    assert "pipelin" in result.stderr
