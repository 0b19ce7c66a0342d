"""The terraform runner's own behaviour: files it generates, credentials it passes, errors it raises.

Fast: no apply. Tests that run the terraform binary are marked `terraform`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest

from pipelines.aws import Target
from pipelines.config import REPO_ROOT, load_config
from pipelines.errors import InfraError, UsageError
from pipelines.infra import static_checks, terraform
from pipelines.infra.terraform import EMULATOR_OVERRIDE, TerraformRunner

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

ENDPOINT = "http://127.0.0.1:4566"
LOCAL, AWS = Target.local_stack(ENDPOINT), Target(None)


@pytest.fixture
def dev_runner(tmp_path) -> TerraformRunner:
    """A runner for dev on the local stack at ENDPOINT (nothing listens there: these tests run no terraform)."""
    return TerraformRunner(load_config("dev"), work_dir=tmp_path / "work", target=LOCAL)


@pytest.fixture
def aws_runner(tmp_path) -> TerraformRunner:
    """A runner for dev on AWS itself."""
    return TerraformRunner(load_config("dev"), work_dir=tmp_path / "work", target=AWS)


def test_cli_config_uses_the_offline_mirror_only_when_it_exists(tmp_path, monkeypatch, dev_runner):
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", "/somewhere/else.rc")
    monkeypatch.setattr(terraform, "PLUGIN_MIRROR", tmp_path / "no-mirror")
    assert dev_runner.environment(dev_runner.root, credentials=False)["TF_CLI_CONFIG_FILE"] == "/somewhere/else.rc"

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setattr(terraform, "PLUGIN_MIRROR", mirror)
    config_file = Path(dev_runner.environment(dev_runner.root, credentials=False)["TF_CLI_CONFIG_FILE"])
    text = config_file.read_text()
    assert f'path    = "{mirror}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text


def test_terraform_runs_with_a_larger_go_collector_target_unless_the_user_set_one(monkeypatch, dev_runner):
    monkeypatch.delenv("GOGC", raising=False)
    assert dev_runner.environment(dev_runner.root, credentials=False)["GOGC"] == terraform.GO_GC_TARGET_PERCENT
    monkeypatch.setenv("GOGC", "100")
    assert dev_runner.environment(dev_runner.root, credentials=False)["GOGC"] == "100"


def test_the_lambda_zips_are_passed_relative_to_the_working_root_so_every_work_dir_plans_the_same(tmp_path):
    # An absolute path would land in the functions' `filename`: a plan from another work dir would update them.
    zip_dirs = set()
    for work_dir in (tmp_path / "one", tmp_path / "elsewhere" / "two"):
        runner = TerraformRunner(load_config("dev"), work_dir=work_dir, target=LOCAL)
        [zip_variable] = [argument for argument in runner._variables() if argument.startswith("-var=lambda_zip_dir=")]
        zip_dir = zip_variable.removeprefix("-var=lambda_zip_dir=")
        assert not os.path.isabs(zip_dir)
        assert (runner.working_root(runner.root) / zip_dir).resolve() == (work_dir / "lambda").resolve()
        assert sorted(path.name for path in (work_dir / "lambda").iterdir()) == [
            "endpoint_refresh.zip", "latest_approved_model.zip", "pipeline_alert.zip"]
        zip_dirs.add(zip_dir)
    assert len(zip_dirs) == 1


def test_each_account_has_its_own_data_dir(tmp_path):
    data_dirs = {
        env: TerraformRunner(load_config(env), work_dir=tmp_path / env, target=AWS).environment(
            terraform.TERRAFORM_ROOT, credentials=False)["TF_DATA_DIR"]
        for env in ("registry", "dev", "prod")
    }
    assert len(set(data_dirs.values())) == 3


def test_local_mode_runs_in_a_copy_with_the_emulator_override(dev_runner, monkeypatch):
    # A developer's shell settings that would send the provider elsewhere are not passed on.
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.example.com")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    working = dev_runner._prepare_root(dev_runner.root)
    assert working != dev_runner.root
    assert (working / "main.tf").read_bytes() == (dev_runner.root / "main.tf").read_bytes()
    assert (working / "modules").is_dir()
    override = (working / EMULATOR_OVERRIDE).read_text()
    # Every service reaches the stack through AWS_ENDPOINT_URL: an `endpoints` block would cost each provider
    # process about 1.8 CPU-seconds of configuration validation.
    assert "endpoints" not in override
    environment = dev_runner.environment(dev_runner.root, credentials=False)
    assert environment["AWS_ENDPOINT_URL"] == ENDPOINT
    assert not {name for name in environment if name.startswith("AWS_ENDPOINT_URL_")}
    assert "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" not in environment
    assert "s3_use_path_style       = true" in override
    assert "max_retries             = 2" in override
    # The second region's provider configuration reaches the stack as well; bootstrap declares no alias.
    assert override.count('provider "aws" {') == 2
    assert 'alias                   = "secondary"' in override
    bootstrap = dev_runner._prepare_root(dev_runner.bootstrap_root)
    assert 'alias' not in (bootstrap / EMULATOR_OVERRIDE).read_text()
    # The committed tree is never touched.
    assert not (dev_runner.root / EMULATOR_OVERRIDE).exists() or \
        subprocess.run(["git", "check-ignore", "-q", str(dev_runner.root / EMULATOR_OVERRIDE)], cwd=REPO_ROOT,
                       check=False).returncode == 0
    assert dev_runner.command(dev_runner.root, "plan")[1] == f"-chdir={working}"


def test_the_copy_follows_the_source(tmp_path):
    source = tmp_path / "root"
    (source / "modules" / "a").mkdir(parents=True)
    (source / "main.tf").write_text("# one\n")
    (source / "modules" / "a" / "main.tf").write_text("# module\n")
    runner = TerraformRunner(load_config("dev"), work_dir=tmp_path / "work", root=source, target=LOCAL)
    working = runner._prepare_root(source)
    (source / "main.tf").write_text("# two\n")
    (source / "modules" / "a" / "main.tf").unlink()
    runner._prepare_root(source)
    assert (working / "main.tf").read_text() == "# two\n"
    assert not (working / "modules" / "a" / "main.tf").exists()
    assert (working / EMULATOR_OVERRIDE).exists()


def test_production_mode_runs_in_the_committed_root_without_override(aws_runner):
    assert aws_runner._prepare_root(aws_runner.root) == aws_runner.root
    assert aws_runner.command(aws_runner.root, "plan")[1] == f"-chdir={aws_runner.root}"


def test_backend_config_comes_from_the_tfvars(aws_runner, dev_runner):
    production = aws_runner._write_backend_config().read_text()
    assert production.splitlines() == [
        f'bucket = "mammo-tfstate-{ACCOUNTS.dev}"', 'key    = "mlops-infra/dev.tfstate"', 'region = "us-east-1"']
    local = dev_runner._write_backend_config().read_text()
    assert "use_path_style = true" in local
    assert f's3 = "{ENDPOINT}"' in local
    assert f'sts = "{ENDPOINT}"' in local


def test_terraform_gets_the_accounts_credentials(aws, tmp_path):
    runner = TerraformRunner(load_config("dev"), work_dir=tmp_path / "work", target=Target.local_stack(aws.endpoint))
    env = runner.environment(runner.root)
    assert env["AWS_ACCESS_KEY_ID"] != "testing"
    assert "AWS_PROFILE" not in env
    session = boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                            aws_session_token=env["AWS_SESSION_TOKEN"], region_name="us-east-1")
    assert session.client("sts").get_caller_identity()["Account"] == ACCOUNTS.dev


def test_credentials_of_another_account_on_aws_are_refused(aws, aws_runner):
    # On AWS the caller's credentials (here the tooling account's, the test stack standing in for AWS) must
    # already be in the account: nothing is assumed on the caller's behalf.
    with pytest.raises(UsageError, match=rf"account {ACCOUNTS.tooling}.*account {ACCOUNTS.dev}"):
        aws_runner.environment(aws_runner.root)


def test_apply_of_a_missing_plan_file_is_a_usage_error(dev_runner, tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        dev_runner.apply(plan=tmp_path / "missing.tfplan")


@pytest.mark.terraform
def test_the_emulator_override_is_terraform_fmt_clean(require_tool, tmp_path):
    path = tmp_path / EMULATOR_OVERRIDE
    path.write_text(terraform.emulator_override_text(ENDPOINT, ("secondary",)))
    result = subprocess.run([require_tool("terraform"), "fmt", "-check", "-diff", str(path)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.mark.terraform
def test_a_terraform_failure_is_an_infra_error_with_the_tail(require_tool, tmp_path, monkeypatch):
    require_tool("terraform")
    root = tmp_path / "broken"
    root.mkdir()
    (root / "main.tf").write_text('resource "aws_s3_bucket" {\n')
    runner = TerraformRunner(load_config("dev"), work_dir=tmp_path / "work", root=root, target=AWS)
    with pytest.raises(InfraError) as excinfo:
        runner.run(root, "init", "-input=false", "-no-color", env=runner.environment(root, credentials=False))
    assert f"terraform init for dev (account {ACCOUNTS.dev}) failed (exit 1)" in str(excinfo.value)
    assert "Error" in str(excinfo.value)
    assert excinfo.value.exit_code == 4


@pytest.mark.terraform
@pytest.mark.slow
def test_init_without_a_state_bucket_says_to_bootstrap(require_tool, aws, tmp_path):
    require_tool("terraform")
    runner = TerraformRunner(load_config("dev"), work_dir=tmp_path / "work", target=Target.local_stack(aws.endpoint))
    with pytest.raises(InfraError, match=rf"state bucket mammo-tfstate-{ACCOUNTS.dev} does not exist.*"
                                         r"mlops-infra bootstrap --env dev"):
        runner.init()


MLOPS_INFRA = str(Path(sys.executable).parent / "mlops-infra")


def test_cli_rejects_an_unknown_environment():
    result = subprocess.run([MLOPS_INFRA, "plan", "--env", "Staging"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "invalid environment name 'Staging'" in result.stderr
    result = subprocess.run([MLOPS_INFRA, "plan", "--env", "qa"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "qa.tfvars.json: environment file not found ('qa')" in result.stderr


def test_cli_local_without_a_running_stack_is_a_local_stack_error(tmp_path):
    result = subprocess.run([MLOPS_INFRA, "output", "--env", "dev", "--local"], capture_output=True, text=True,
                            check=False, env={**os.environ, "MLOPS_LOCAL_DIR": str(tmp_path)})
    assert result.returncode == 5
    assert "mlops-local up" in result.stderr


@pytest.mark.terraform
@pytest.mark.slow
def test_check_passes_on_a_clean_root_and_names_a_formatting_failure(require_tool, tmp_path):
    require_tool("terraform")
    base = tmp_path / "infra"
    base.mkdir()
    (base / "main.tf").write_text('output "greeting" {\n  value = "hello"\n}\n')
    static_checks.check(base, work_dir=tmp_path / "check")
    (base / "main.tf").write_text('output "greeting" {\nvalue = "hello"\n}\n')
    with pytest.raises(InfraError, match="terraform fmt failed"):
        static_checks.check(base, work_dir=tmp_path / "check")


def test_init_is_skipped_until_a_source_or_the_backend_changes(tmp_path, monkeypatch):
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text("# v1\n")
    runner = TerraformRunner(load_config("dev"), work_dir=tmp_path / "work", root=root, target=AWS)
    calls = []

    def fake_run(run_root, *args, **kwargs):  # records instead of running terraform; creates the data dir as init does
        calls.append(args[0])
        runner._data_dir(run_root).mkdir(parents=True, exist_ok=True)

    monkeypatch.setattr(runner, "run", fake_run)
    env = runner.environment(root, credentials=False)
    runner.init(env)
    runner.init(env)
    assert calls == ["init"]
    (root / "main.tf").write_text("# v2\n")  # nothing init reads
    runner.init(env)
    assert calls == ["init"]
    (root / "main.tf").write_text('# v2\nmodule "m" {\n  source = "./m"\n}\n')
    runner.init(env)
    assert calls == ["init", "init"]
    runner.init(env, force=True)
    assert calls == ["init", "init", "init"]


def test_default_work_dirs_separate_real_aws_and_each_local_stack(monkeypatch, tmp_path):
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(tmp_path))
    assert terraform.default_work_dir("dev", AWS) == tmp_path / "terraform" / "aws" / "dev"
    first = terraform.default_work_dir("dev", Target.local_stack("http://127.0.0.1:4566"))
    assert terraform.default_work_dir("dev", Target.local_stack("http://127.0.0.1:4567")) != first
    assert first == tmp_path / "terraform" / "local-stack-127.0.0.1-4566" / "dev"


def test_runners_of_several_accounts_share_the_cli_config_from_threads(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setattr(terraform, "PLUGIN_MIRROR", mirror)
    runners = [TerraformRunner(load_config(env), work_dir=tmp_path / "work" / env, target=AWS)
               for env in ("registry", "dev", "prod") for _ in range(4)]
    with ThreadPoolExecutor(max_workers=len(runners)) as pool:
        paths = set(pool.map(lambda runner: runner.environment(runner.root, credentials=False)["TF_CLI_CONFIG_FILE"],
                             runners))
    [path] = paths
    assert Path(path).read_text() == terraform.cli_config_text(mirror)
    assert [p.name for p in Path(path).parent.iterdir() if p.is_file()] == ["terraform.rc"]


# ---------------------------------------------------------------------- bootstrap_and_apply: the overlap
# terraform's bootstrap and apply are replaced by stand-ins acting on the real local S3: what is tested is
# when the runner starts the apply, which only the state bucket's versioning decides.

@pytest.fixture
def stack_runner(aws, tmp_path) -> TerraformRunner:
    """A runner for dev on the (reset) test stack."""
    return TerraformRunner(load_config("dev"), work_dir=tmp_path / "work", target=Target.local_stack(aws.endpoint))


def _s3(runner: TerraformRunner):
    return runner.target.session(runner.config.account_id, runner.config.aws_region).client("s3")


def test_the_apply_starts_once_the_state_bucket_is_versioned_while_bootstrap_goes_on(stack_runner, monkeypatch):
    events: list[str] = []
    applied = threading.Event()
    bucket = stack_runner.config.terraform_state_bucket

    def bootstrap():
        s3 = _s3(stack_runner)
        s3.create_bucket(Bucket=bucket)
        events.append("bucket")
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        events.append("versioned")
        # The lifecycle configuration's wait: the apply runs meanwhile.
        events.append("apply ran during bootstrap" if applied.wait(timeout=30) else "apply waited for bootstrap")

    def apply(plan=None):
        events.append("apply")
        applied.set()

    monkeypatch.setattr(stack_runner, "bootstrap", bootstrap)
    monkeypatch.setattr(stack_runner, "apply", apply)
    stack_runner.bootstrap_and_apply()
    assert events == ["bucket", "versioned", "apply", "apply ran during bootstrap"]


def test_a_failed_bootstrap_is_raised_and_nothing_is_applied(stack_runner, monkeypatch):
    applied = []

    def bootstrap():
        raise InfraError(f"terraform apply for dev (account {ACCOUNTS.dev}) failed (exit 1): AccessDenied")

    monkeypatch.setattr(stack_runner, "bootstrap", bootstrap)
    monkeypatch.setattr(stack_runner, "apply", lambda plan=None: applied.append(plan))
    with pytest.raises(InfraError, match="AccessDenied"):
        stack_runner.bootstrap_and_apply()
    assert applied == []


def test_a_bootstrap_failing_after_the_apply_started_is_raised_after_the_apply(stack_runner, monkeypatch):
    applied = threading.Event()

    def bootstrap():
        s3 = _s3(stack_runner)
        s3.create_bucket(Bucket=stack_runner.config.terraform_state_bucket)
        s3.put_bucket_versioning(Bucket=stack_runner.config.terraform_state_bucket,
                                 VersioningConfiguration={"Status": "Enabled"})
        applied.wait(timeout=30)  # fails in the lifecycle configuration, after the apply started
        raise InfraError(f"terraform apply for dev (account {ACCOUNTS.dev}) failed (exit 1): MalformedXML")

    monkeypatch.setattr(stack_runner, "bootstrap", bootstrap)
    monkeypatch.setattr(stack_runner, "apply", lambda plan=None: applied.set())
    with pytest.raises(InfraError, match="MalformedXML"):
        stack_runner.bootstrap_and_apply()
    assert applied.is_set()
