"""Environments are files: the workload environments and their promotion order come from environments/ alone,
the files must agree with each other (workload_environments), and no code names one of them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pipelines.config import (
    ENVIRONMENTS_DIR,
    REPO_ROOT,
    environments,
    load_config,
    workload_environments,
)
from pipelines.errors import ConfigError

QA_ACCOUNT = "555555555555"


def copy_environments(tmp_path: Path) -> Path:
    directory = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS_DIR, directory)
    return directory


def read(directory: Path, name: str) -> dict:
    return json.loads((directory / f"{name}.tfvars.json").read_text())


def write(directory: Path, name: str, document: dict) -> Path:
    path = directory / f"{name}.tfvars.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def add_qa(directory: Path, after: str = "dev") -> None:
    """A fourth workload environment, qa, in a fifth account: its file (staging's, renamed) and its entries in
    the registry file's accounts and promotion."""
    qa = read(directory, "staging")
    qa["environment"] = "qa"
    qa["accounts"] = {"tooling": qa["accounts"]["tooling"], "registry": qa["accounts"]["registry"], "qa": QA_ACCOUNT}
    qa["terraform_state_bucket"] = f"mammo-tfstate-{QA_ACCOUNT}"
    qa["workload"]["data_bucket_name"] = f"mammo-data-{QA_ACCOUNT}"
    qa["jenkins"]["apply_submitter"] = None
    write(directory, "qa", qa)
    registry = read(directory, "registry")
    registry["accounts"]["qa"] = QA_ACCOUNT
    promotion = registry["promotion"]
    promotion.insert(promotion.index(after) + 1, "qa")
    write(directory, "registry", registry)


def allow_auto_approval(directory: Path, name: str) -> None:
    document = read(directory, name)
    document["workload"]["pipeline"]["allow_auto_approval"] = True
    write(directory, name, document)


def list_auto_approving(directory: Path, name: str) -> None:
    registry = read(directory, "registry")
    registry["model_registry"]["auto_approving_environments"] = [name]
    write(directory, "registry", registry)


def test_the_committed_files_promote_dev_staging_prod():
    assert workload_environments() == ("dev", "staging", "prod")
    assert environments() == ("registry", "dev", "staging", "prod")
    accounts = {name: load_config(name).account_id for name in environments()}
    assert len(set(accounts.values())) == len(accounts)  # one account each
    assert load_config("registry").accounts.workloads == {name: accounts[name] for name in workload_environments()}


def test_a_new_environment_is_one_file_and_its_registry_entries(tmp_path):
    directory = copy_environments(tmp_path)
    add_qa(directory)
    assert workload_environments(directory) == ("dev", "qa", "staging", "prod")
    qa = load_config("qa", directory)
    assert (qa.account_id, qa.require_workload().data_bucket_name) == (QA_ACCOUNT, f"mammo-data-{QA_ACCOUNT}")
    assert qa.jenkins.apply_submitter is None


@pytest.mark.parametrize(("breaks", "message"), [
    # A file with a workload the promotion leaves out.
    (lambda d: write(d, "qa", {**read(d, "staging"), "environment": "qa",
                               "accounts": {"tooling": "123456789012", "registry": "111111111111", "qa": QA_ACCOUNT}}),
     r"registry\.tfvars\.json: field 'promotion' does not list 'qa', which has a workload"),
    # The promotion (and accounts) naming an environment without a file.
    (lambda d: (d / "staging.tfvars.json").unlink(),
     r"registry\.tfvars\.json: field 'promotion\[1\]' names 'staging', but there is no .*staging\.tfvars\.json"),
    # A workload file whose account is not the one the registry lists for it (another environment's).
    (lambda d: write(d, "staging", {**read(d, "staging"), "accounts": {
        "tooling": "123456789012", "registry": "111111111111", "staging": "333333333333"}}),
     r"staging\.tfvars\.json: field 'accounts\.staging' is 333333333333, but the registry file lists 444444444444"),
    # A file allowing auto-approval the registry does not list: the group would deny its Approved registrations.
    (lambda d: allow_auto_approval(d, "dev"),
     r"registry\.tfvars\.json: field 'model_registry\.auto_approving_environments' does not list 'dev', whose file "
     r"allows auto-approval \(.*dev\.tfvars\.json: workload\.pipeline\.allow_auto_approval\): the registry would "
     r"deny its Approved registrations"),
    # A listed environment whose file does not allow it: a grant nobody uses.
    (lambda d: list_auto_approving(d, "dev"),
     r"registry\.tfvars\.json: field 'model_registry\.auto_approving_environments' lists 'dev', whose file does "
     r"not allow auto-approval .*: remove 'dev' \(a grant nobody uses\)"),
    # A file name with upper case or a space.
    (lambda d: shutil.copy(d / "staging.tfvars.json", d / "Pre Prod.tfvars.json"),
     r"Pre Prod\.tfvars\.json: field 'environment': invalid file name 'Pre Prod': use 1-20 lower-case letters"),
])
def test_files_that_disagree_are_refused_naming_file_and_field(tmp_path, breaks, message):
    directory = copy_environments(tmp_path)
    breaks(directory)
    with pytest.raises(ConfigError, match=message) as raised:
        workload_environments(directory)
    assert raised.value.exit_code == 2


def test_an_environment_allowing_auto_approval_is_listed_in_the_registry_file(tmp_path):
    directory = copy_environments(tmp_path)
    allow_auto_approval(directory, "dev")
    list_auto_approving(directory, "dev")
    assert workload_environments(directory) == ("dev", "staging", "prod")
    assert load_config("registry", directory).model_registry.auto_approving_environments == ("dev",)
    assert load_config("registry").model_registry.auto_approving_environments == ()


def test_a_command_refuses_an_environment_set_that_disagrees(tmp_path, monkeypatch, capsys):
    from pipelines.cli import get_pipeline_definition

    directory = copy_environments(tmp_path)
    (directory / "prod.tfvars.json").unlink()
    monkeypatch.setenv("MLOPS_ENVIRONMENTS_DIR", str(directory))
    assert get_pipeline_definition.main(["--pipeline", "train"]) == 2
    assert "field 'promotion[2]' names 'prod', but there is no" in capsys.readouterr().err


# Where code lives (tests, docs, examples and environments/ may name environments): Python (the demo's too),
# Terraform, Groovy and the stage scripts.
CODE = [*REPO_ROOT.glob("pipelines/**/*.py"), *REPO_ROOT.glob("localaws/**/*.py"),
        *REPO_ROOT.glob("mlops_demo/**/*.py"), *REPO_ROOT.glob("mlops-infra/**/*.tf"), REPO_ROOT / "Jenkinsfile",
        *REPO_ROOT.glob("jenkins/**/*.groovy"),
        *REPO_ROOT.glob("scripts/**/*.sh"), *REPO_ROOT.glob("scripts/**/*.py")]
# `dev` or `prod` as a value (a quoted literal, "dev" or 'prod') or as a key (accounts.dev, config.prod), outside
# comments; prose (docstrings, help texts, descriptions) may use them as examples.
NAMED = re.compile(r"""(["'](dev|prod)["'])|((?<=\w)\.(dev|prod)(?![\w-]))""")
COMMENT = re.compile(r"(^\s*(#|//).*$)|(\s(#|//)\s.*$)")


def test_no_code_names_a_workload_environment():
    named = []
    for path in CODE:
        if "/tests/" in f"/{path.relative_to(REPO_ROOT)}":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if NAMED.search(COMMENT.sub("", line)):
                named.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert named == [], "code naming dev or prod (environments are files):\n" + "\n".join(named)


@pytest.mark.parametrize(("line", "named"), [
    ('env: str = "dev"', True), ("accounts.prod", True), ("when { expression { params.TARGET_ENV == 'prod' } }", True),
    ('"mlops-prod-approvers"', False), ("the registry, dev and prod accounts", False), ("pre-prod", False),
])
def test_the_grep_finds_a_name_in_code_only(line, named):
    assert bool(NAMED.search(line)) is named
