"""The local AWS stack: a moto server subprocess on loopback, reset between tests, stopped without orphans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request

import boto3
import pytest
from shell_environment import activate, restore_environment

from localaws.tools.stack import LocalAwsStack, is_healthy, is_stack_server, management_headers
from pipelines.aws import session_for_account
from pipelines.errors import LocalStackError


def _wait_until_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not is_stack_server(pid):
            return True
        time.sleep(0.1)
    return False


def test_session_stack_listens_on_loopback_with_the_extensions_loaded(local_stack):
    assert local_stack.endpoint.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(local_stack.endpoint + "/_mlops/health") as response:  # noqa: S310
        health = json.load(response)
    assert health["status"] == "ok"
    assert "localaws.model_registry.responses" in health["services"]


def test_session_is_in_local_mode_with_fake_credentials_only(local_stack):
    assert os.environ["AWS_ENDPOINT_URL"] == local_stack.endpoint
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        assert variable not in os.environ
    # moto's default account (the fake keys act there), not an environment's: a literal on purpose.
    assert boto3.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_activate_removes_real_credentials_and_restore_brings_them_back(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "production-admin")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-token")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.example.com")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    previous = activate("http://127.0.0.1:1")
    try:
        assert "AWS_PROFILE" not in os.environ
        assert "AWS_SESSION_TOKEN" not in os.environ
        assert "AWS_ENDPOINT_URL_S3" not in os.environ
        assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
        assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
        assert os.environ["AWS_CONFIG_FILE"] == os.devnull
    finally:
        restore_environment(previous)
    assert os.environ["AWS_PROFILE"] == "production-admin"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAREALKEY"
    assert os.environ["AWS_ENDPOINT_URL_S3"] == "https://s3.example.com"


def test_a_resource_left_by_one_test(aws):
    boto3.client("s3").create_bucket(Bucket="left-behind-by-a-test")
    boto3.client("sqs").create_queue(QueueName="left-behind")


def test_is_gone_in_the_next_test(aws):
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []


def test_reset_empties_every_account(aws, dev_session, dev_config):
    dev_session.client("sns").create_topic(Name="alerts")
    aws.reset()
    dev = session_for_account(dev_config.account_id, dev_config.aws_region)  # the reset forgot the role session
    assert dev.client("sns").list_topics()["Topics"] == []


def test_stop_leaves_no_process_behind(tmp_path):
    stack = LocalAwsStack(log_path=tmp_path / "server.log").start()
    pid, endpoint = stack.pid, stack.endpoint
    assert is_stack_server(pid)
    stack.stop()
    assert not is_stack_server(pid)
    assert not is_healthy(endpoint)
    stack.stop()  # idempotent


def test_context_manager_starts_and_stops(tmp_path):
    with LocalAwsStack(log_path=tmp_path / "server.log") as stack:
        pid = stack.pid
        assert is_healthy(stack.endpoint)
    assert not is_stack_server(pid)


def test_a_port_in_use_fails_with_the_server_log(local_stack, tmp_path):
    busy_port = int(local_stack.endpoint.rsplit(":", 1)[1])
    stack = LocalAwsStack(port=busy_port, log_path=tmp_path / "server.log")
    with pytest.raises(LocalStackError, match=r"exited with status \d+ while starting.*\n.*"):
        stack.start()
    assert is_healthy(local_stack.endpoint)  # the running stack is untouched
    local_stack.reset()  # and its own routes still take this process's token


def test_endpoint_before_start_is_a_clear_error():
    with pytest.raises(LocalStackError, match="call start"):
        _ = LocalAwsStack().endpoint


@pytest.mark.slow
def test_server_stops_by_itself_when_its_parent_dies_without_cleaning_up(tmp_path):
    # A test session killed hard never runs fixture teardown; the server must not outlive it.
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from localaws.tools.stack import LocalAwsStack
        stack = LocalAwsStack(log_path=Path({str(tmp_path / "server.log")!r})).start()
        print(stack.pid, flush=True)
        os._exit(0)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    pid = int(result.stdout.split()[0])
    assert _wait_until_gone(pid), f"server {pid} outlived its parent"


def test_unknown_extension_route_lists_the_known_ones(local_stack):
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(urllib.request.Request(  # noqa: S310
            local_stack.endpoint + "/_mlops/no-such-route", headers=management_headers(local_stack.endpoint)))
    assert excinfo.value.code == 404
    body = json.load(excinfo.value)
    assert "/_mlops/health" in body["routes"]


def test_extension_route_refuses_other_methods(local_stack):
    request = urllib.request.Request(local_stack.endpoint + "/_mlops/health", method="DELETE")  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(request)  # noqa: S310
    assert excinfo.value.code == 405


def test_a_free_port_taken_before_the_server_binds_it_is_replaced(local_stack, tmp_path, monkeypatch):
    import localaws.tools.stack as stack_module

    busy_port = int(local_stack.endpoint.rsplit(":", 1)[1])
    ports = iter([busy_port, stack_module.free_loopback_port()])
    monkeypatch.setattr(stack_module, "free_loopback_port", lambda host="127.0.0.1": next(ports))
    with LocalAwsStack(log_path=tmp_path / "server.log") as stack:
        assert stack.port != busy_port
        assert is_healthy(stack.endpoint)


def test_a_stack_starts_without_the_libraries_only_jobs_and_endpoints_use():
    # What the server imports before it serves (localaws.server.main): XGBoost, pandas and optuna load
    # with the first training, transform, tuning or model-monitor job, or the first endpoint invocation.
    code = ("import sys\n"
            "from moto.moto_server.werkzeug_app import DomainDispatcherApplication\n"
            "from localaws import inprocess\n"
            "from localaws.sagemaker_pipelines import service\n"
            "from localaws.middleware import load_services\n"
            "load_services()\n"
            "print(sorted(name for name in ('optuna', 'pandas', 'sklearn', 'xgboost') if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_checking_which_step_types_are_supported_imports_no_handler():
    # CreatePipeline and StartPipelineExecution check every step's type: a train pipeline's Training step must
    # not bring XGBoost into a stack that never runs it.
    code = ("import sys\n"
            "from localaws.sagemaker_pipelines.steps import STEP_HANDLERS\n"
            "assert 'Training' in STEP_HANDLERS and 'Tuning' in STEP_HANDLERS and 'Nope' not in STEP_HANDLERS\n"
            "print(sorted(name for name in sys.modules if name.startswith('localaws.sagemaker_pipelines.steps.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['localaws.sagemaker_pipelines.steps.base']"
