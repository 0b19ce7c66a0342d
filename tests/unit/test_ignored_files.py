"""Files that hold secrets are git-ignored wherever they are written in the checkout."""

import shutil
import subprocess

import pytest

from pipelines.config import REPO_ROOT


@pytest.mark.skipif(shutil.which("git") is None or not (REPO_ROOT / ".git").exists(), reason="not a git checkout")
def test_jenkins_job_builder_settings_are_ignored():
    paths = ["jenkins_jobs.ini", "jenkins/jenkins_jobs.ini"]
    result = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=False)
    assert result.stdout.split() == paths, result.stderr
