"""A fourth workload environment, qa, in a fifth account, added in a copy of environments/ (one new file and its
entries in the registry file): the registry's grants follow, its own plan succeeds, and without it the registry
file is the one the repo ships again (whose test run grants qa nothing).

The registry's test file asserts every grant (central key, artifacts bucket, model package group, replica bucket
and key, event bus targets) against exactly the accounts of the registry file's `promotion`, so running it with
the changed file checks the grants of the changed list. On the AWS provider's mock: no AWS, no credentials.
"""

from __future__ import annotations

import json
import re

import pytest
from config.test_environments import QA_ACCOUNT, add_qa, copy_environments  # tests/ is on sys.path

from pipelines.config import ENVIRONMENTS_DIR, workload_environments
from pipelines.infra.terraform import TERRAFORM_ROOT

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

RUN_RESULT = re.compile(r'^\s*run "([\w-]+)"\.\.\. (\w+)', re.MULTILINE)


def _test(terraform, data_dir, lambda_zip_var_file, var_file, *files) -> dict[str, str]:
    result = terraform.run(TERRAFORM_ROOT, "test", *(f"-filter=tests/{name}" for name in files),
                           f"-var-file={var_file}", f"-var-file={lambda_zip_var_file}", data_dir=data_dir)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return dict(RUN_RESULT.findall(output))


def test_qa_is_granted_plans_on_its_own_and_is_revoked_when_removed(terraform, main_root_data_dir,
                                                                     lambda_zip_var_file, tmp_path):
    directory = copy_environments(tmp_path)
    add_qa(directory)
    assert workload_environments(directory) == ("dev", "qa", "staging", "prod")
    registry_with_qa = json.loads((directory / "registry.tfvars.json").read_text())
    assert registry_with_qa["accounts"]["qa"] == QA_ACCOUNT

    granted = _test(terraform, main_root_data_dir, lambda_zip_var_file, directory / "registry.tfvars.json",
                    "registry.tftest.hcl")
    assert len(granted) > 3
    assert set(granted.values()) == {"pass"}, granted
    own = _test(terraform, main_root_data_dir, lambda_zip_var_file, directory / "qa.tfvars.json",
                "workload.tftest.hcl")
    assert len(own) > 3
    assert set(own.values()) == {"pass"}, own

    # Removing qa: its file, and its entries in the registry file.
    (directory / "qa.tfvars.json").unlink()
    registry = dict(registry_with_qa, promotion=[name for name in registry_with_qa["promotion"] if name != "qa"],
                    accounts={name: account for name, account in registry_with_qa["accounts"].items() if name != "qa"})
    (directory / "registry.tfvars.json").write_text(json.dumps(registry, indent=2))
    assert workload_environments(directory) == ("dev", "staging", "prod")
    # What is left is the registry file the repo ships, whose run of the same exact-set assertions (over the list
    # without qa) is test_terraform_tests.py's [registry]: running it again here would prove nothing more.
    assert registry == json.loads((ENVIRONMENTS_DIR / "registry.tfvars.json").read_text())
