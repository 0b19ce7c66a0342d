"""The Inputs and Outputs tables of every Terraform README are generated from variables.tf and outputs.tf."""

from __future__ import annotations

import shutil

import pytest

from pipelines.errors import InfraError, UsageError
from pipelines.infra import docs
from pipelines.infra.terraform import TERRAFORM_ROOT

pytestmark = pytest.mark.terraform


def test_every_readme_matches_its_variables_and_outputs():
    assert docs.stale_readmes() == [], "regenerate with `python -m pipelines.cli.infra_docs`"


def test_every_module_and_root_has_a_generated_readme():
    documented = {path.relative_to(TERRAFORM_ROOT).as_posix() for path in docs.documented_dirs()}
    modules = {f"modules/{path.name}" for path in (TERRAFORM_ROOT / "modules").iterdir() if path.is_dir()}
    assert documented == {".", "bootstrap"} | modules


@pytest.fixture
def tree_copy(tmp_path):
    copy = tmp_path / "mlops-infra"
    shutil.copytree(TERRAFORM_ROOT, copy, ignore=shutil.ignore_patterns(".terraform*"))
    return copy


def test_a_changed_description_makes_the_readme_stale_until_regenerated(tree_copy):
    variables = tree_copy / "modules" / "secure-bucket" / "variables.tf"
    variables.write_text(variables.read_text().replace('description = "Name of the bucket."',
                                                       'description = "Name of the bucket, renamed."'))
    assert docs.stale_readmes(tree_copy) == [tree_copy / "modules" / "secure-bucket" / "README.md"]
    stale = r"mlops-infra/modules/secure-bucket/README\.md; regenerate them with `python -m pipelines\.cli\.infra_docs`"
    with pytest.raises(InfraError, match=stale):
        docs.check_readmes(tree_copy)

    assert docs.write_readmes(tree_copy) == [tree_copy / "modules" / "secure-bucket" / "README.md"]
    readme = (tree_copy / "modules" / "secure-bucket" / "README.md").read_text()
    assert "| bucket_name | Name of the bucket, renamed. | `string` | n/a | yes |" in readme
    assert docs.stale_readmes(tree_copy) == []


def test_a_new_output_and_a_new_optional_input_appear_in_the_tables(tree_copy):
    module = tree_copy / "modules" / "notifications"
    (module / "outputs.tf").write_text((module / "outputs.tf").read_text() + (
        '\noutput "subscription_arn" {\n  description = "ARN of the email subscription."\n'
        '  value       = aws_sns_topic_subscription.email.arn\n}\n'))
    (module / "variables.tf").write_text((module / "variables.tf").read_text() + (
        '\nvariable "delivery_policy" {\n  description = "Retry policy | JSON."\n  type = object({\n'
        '    retries = number # per message\n    backoff = optional(string, "linear")\n  })\n'
        '  default = { retries = 3 }\n}\n'))
    docs.write_readmes(tree_copy)
    readme = (module / "README.md").read_text()
    assert "| subscription_arn | ARN of the email subscription. |" in readme
    assert ('| delivery_policy | Retry policy \\| JSON. '
            '| `object({retries = number, backoff = optional(string, "linear")})` | `{"retries": 3}` | no |') in readme


def test_a_readme_without_the_markers_is_named(tree_copy):
    readme = tree_copy / "modules" / "kms" / "README.md"
    readme.write_text(readme.read_text().replace(docs.END, ""))
    with pytest.raises(UsageError, match=r"kms/README.md: needs exactly one"):
        docs.stale_readmes(tree_copy)
