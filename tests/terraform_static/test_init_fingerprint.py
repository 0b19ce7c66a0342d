"""`terraform init` runs again only when what it reads changed: a policy statement edited in a copy of the root
keeps the fingerprint, a module source, a provider's version, a new resource type or the lock file changes it."""

from __future__ import annotations

import shutil

import pytest

from pipelines.infra.terraform import TERRAFORM_ROOT, _init_fingerprint

MODULE = "modules/serving/main.tf"


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "mlops-infra"
    shutil.copytree(TERRAFORM_ROOT, root, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*_override.tf"))
    backend = tmp_path / "backend.hcl"
    backend.write_text('bucket = "state"\n')
    return root, lambda: _init_fingerprint(root, backend, {})


def test_a_statement_edit_keeps_the_fingerprint(tree):
    root, fingerprint = tree
    before = fingerprint()
    path = root / MODULE
    path.write_text(path.read_text().replace('actions   = ["s3:GetObject"]', 'actions   = ["s3:GetObjectVersion"]', 1))
    assert fingerprint() == before


@pytest.mark.parametrize(("file", "edit"), [
    (MODULE, lambda text: text + '\nmodule "more" {\n  source = "../secure-bucket"\n}\n'),
    (MODULE, lambda text: text + '\nresource "random_id" "suffix" {\n  byte_length = 4\n}\n'),
    ("versions.tf", lambda text: text.replace('"~> 5.100"', '"~> 5.101"', 1)),
    (".terraform.lock.hcl", lambda text: text + "\n"),
], ids=["module-call", "resource-type", "provider-version", "lock-file"])
def test_what_init_reads_changes_the_fingerprint(tree, file, edit):
    root, fingerprint = tree
    before = fingerprint()
    path = root / file
    path.write_text(edit(path.read_text()))
    assert fingerprint() != before
