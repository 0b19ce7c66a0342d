"""The Groovy harness itself, on a small Jenkinsfile that uses what the project's does not (dir, withEnv, nested
when conditions, returnStatus, every post condition), so the recordings the other tests rely on are right."""

from __future__ import annotations

import pytest
from jenkins_harness import HarnessError

pytestmark = pytest.mark.jenkins

SAMPLE = """
pipeline {
    agent { label 'linux' }
    parameters {
        choice(name: 'MODE', choices: ['fast', 'full'], description: '')
        booleanParam(name: 'LOUD', defaultValue: true, description: '')
    }
    environment {
        BASE = 'b'
        DERIVED = "${env.BASE}-${params.MODE}"
    }
    stages {
        stage('Nested conditions') {
            when {
                allOf {
                    not { expression { params.MODE == 'full' } }
                    anyOf {
                        environment name: 'BASE', value: 'nope'
                        expression { params.LOUD }
                    }
                }
            }
            steps {
                dir('sub/dir') {
                    withEnv(['EXTRA=1']) {
                        sh 'echo in-dir'
                    }
                }
                sh 'echo at-root'
            }
        }
        stage('Status') {
            steps {
                script {
                    def status = sh(script: 'probe', returnStatus: true)
                    env.PROBE_STATUS = "${status}"
                }
                echo "probe said ${env.PROBE_STATUS}"
            }
        }
        stage('Skipped') {
            when { expression { params.MODE == 'full' } }
            steps { sh 'never' }
        }
    }
    post {
        cleanup { echo 'cleanup' }
        unsuccessful { echo 'unsuccessful' }
        success { echo 'success' }
        always { echo 'always' }
    }
}
"""


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "Jenkinsfile"
    path.write_text(SAMPLE)
    return path


def test_directories_environment_layers_and_nested_conditions(run_jenkinsfile, sample):
    report = run_jenkinsfile({}, jenkinsfile=sample)

    assert report["agent"] == "custom"
    assert report["params"] == {"MODE": "fast", "LOUD": True}
    assert report["environment"] == {"BASE": "b", "DERIVED": "b-fast"}
    in_dir, at_root, probe = report["commands"]
    assert (in_dir["script"], in_dir["dir"], in_dir["env"]["EXTRA"]) == ("echo in-dir", "sub/dir", "1")
    assert (at_root["dir"], "EXTRA" in at_root["env"]) == (".", False)
    assert [entry["when"] for entry in report["stages"]] == [True, None, False]
    assert probe["script"] == "probe"
    assert probe["env"]["DERIVED"] == "b-fast"
    assert probe["env"]["JOB_NAME"] == "mlops-sagemaker-platform-deploy"


def test_return_status_reaches_the_script_and_post_runs_in_jenkins_order(run_jenkinsfile, sample):
    passing = run_jenkinsfile({}, jenkinsfile=sample)
    failing = run_jenkinsfile({}, jenkinsfile=sample, fail_commands=["probe"])

    assert [entry["message"] for entry in passing["echoes"]] == ["probe said 0", "always", "success", "cleanup"]
    # returnStatus: a failing command is a value, not a failed stage.
    assert [entry["message"] for entry in failing["echoes"]] == ["probe said 1", "always", "success", "cleanup"]
    assert failing["result"] == "SUCCESS"


def test_a_failure_runs_the_unsuccessful_post_block(run_jenkinsfile, sample):
    report = run_jenkinsfile({}, jenkinsfile=sample, fail_commands=["at-root"])

    assert report["result"] == "FAILURE"
    assert [entry["status"] for entry in report["stages"]] == ["failed", "skipped: earlier failure",
                                                                "skipped: earlier failure"]
    assert [entry["message"] for entry in report["echoes"]] == ["always", "unsuccessful", "cleanup"]


def test_the_when_branch_of_multibranch_jobs_is_refused(run_jenkinsfile, tmp_path):
    path = tmp_path / "Jenkinsfile"
    path.write_text(SAMPLE.replace("expression { params.MODE == 'full' }", "branch 'main'"))
    with pytest.raises(HarnessError, match="'branch' only works in multibranch jobs"):
        run_jenkinsfile({}, jenkinsfile=path)


def test_a_condition_the_harness_cannot_evaluate_is_refused_not_ignored(run_jenkinsfile, tmp_path):
    path = tmp_path / "Jenkinsfile"
    path.write_text(SAMPLE.replace("expression { params.MODE == 'full' }",
                                   "equals expected: 'full', actual: params.MODE"))
    with pytest.raises(HarnessError, match="the test harness cannot evaluate 'equals'"):
        run_jenkinsfile({}, jenkinsfile=path)


def test_an_unknown_parameter_is_refused(run_jenkinsfile, sample):
    with pytest.raises(HarnessError, match="unknown build parameter 'MOOD'"):
        run_jenkinsfile({"MOOD": "x"}, jenkinsfile=sample)
