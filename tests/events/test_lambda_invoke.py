"""lambda:Invoke on the stack runs the function's code in the server, without Docker: the handler from the
deployment package, the function's environment and role; results and errors in Lambda's shapes."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError
from support import LAMBDA_TRUST, wait_for

from localaws.tools.stack import read_notifications
from pipelines.config import load_config

from .conftest import create_function, lambda_zip

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

WHOAMI = """
    import os
    import boto3
    import helper  # another module of the same package, importable as in /var/task

    def handler(event, context):
        print(f"handling {event.get('value')}")
        if event.get("fail"):
            helper.fail(event["fail"])
        identity = boto3.client("sts").get_caller_identity()
        if event.get("own_session"):  # a session the handler makes itself, as many handlers do
            identity = boto3.session.Session().client("sts").get_caller_identity()
        if event.get("topic"):
            boto3.client("sns").publish(TopicArn=event["topic"], Message=identity["Arn"])
        return {"caller": identity["Arn"], "greeting": os.environ["GREETING"], "echo": event.get("value"),
                "function": context.function_name, "region": os.environ["AWS_REGION"]}
"""
HELPER = """
    def fail(message):
        raise ValueError(message)
"""


@pytest.fixture
def whoami(dev) -> dict:
    iam = dev.client("iam")
    role = iam.create_role(RoleName="whoami-role", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]
    # What the handler does as its role: its own log group and the one topic the tests give it.
    group = f"arn:aws:logs:*:{ACCOUNTS.dev}:log-group:/aws/lambda/whoami"
    iam.put_role_policy(RoleName="whoami-role", PolicyName="whoami", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": group},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{group}:*"},
            {"Effect": "Allow", "Action": "sns:Publish", "Resource": f"arn:aws:sns:*:{ACCOUNTS.dev}:whoami-calls"}]}))
    return dev.client("lambda").create_function(
        FunctionName="whoami", Runtime="python3.11", Role=role["Arn"], Handler="handler.handler",
        Code={"ZipFile": lambda_zip(handler=WHOAMI, helper=HELPER)},
        Environment={"Variables": {"GREETING": "hello"}})


def _invoke(dev, function_name: str, event: dict, invocation_type: str = "RequestResponse") -> tuple[dict, bytes]:
    response = dev.client("lambda").invoke(FunctionName=function_name, InvocationType=invocation_type,
                                           Payload=json.dumps(event).encode())
    return response, response["Payload"].read()


def test_request_response_runs_the_handler_with_the_function_role_and_environment(dev, whoami):
    response, payload = _invoke(dev, "whoami", {"value": 42})

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    result = json.loads(payload)
    assert result["caller"].startswith(f"arn:aws:sts::{ACCOUNTS.dev}:assumed-role/whoami-role/")
    assert result == {"caller": result["caller"], "greeting": "hello", "echo": 42, "function": "whoami",
                      "region": "us-east-1"}


def test_a_session_the_handler_makes_itself_reaches_the_stack_as_the_function_role(dev, whoami):
    response, payload = _invoke(dev, "whoami", {"own_session": True})

    assert "FunctionError" not in response, payload
    assert json.loads(payload)["caller"].startswith(f"arn:aws:sts::{ACCOUNTS.dev}:assumed-role/whoami-role/")


def test_an_exception_is_answered_as_an_unhandled_function_error(dev, whoami):
    response, payload = _invoke(dev, whoami["FunctionArn"], {"fail": "no approved model"})

    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(payload)
    assert set(error) == {"errorMessage", "errorType", "stackTrace"}
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "no approved model")
    assert any("in fail" in frame and "raise ValueError(message)" in frame for frame in error["stackTrace"])


def test_a_handler_that_cannot_be_loaded_is_a_runtime_error(dev):
    create_function(dev, "misnamed", "def other(event, context):\n    return 1\n", handler="handler.handler")
    create_function(dev, "nomodule", "def handler(event, context):\n    return 1\n", handler="missing.handler")

    response, payload = _invoke(dev, "misnamed", {})
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(payload)["errorType"] == "Runtime.HandlerNotFound"
    response, payload = _invoke(dev, "nomodule", {})
    assert json.loads(payload) == {"errorMessage": "Unable to import module 'missing': No module named 'missing'",
                                   "errorType": "Runtime.ImportModuleError", "stackTrace": []}


def test_an_event_invocation_answers_202_and_runs_the_function(dev, whoami):
    topic = dev.client("sns").create_topic(Name="whoami-calls")["TopicArn"]

    response, payload = _invoke(dev, "whoami", {"topic": topic}, invocation_type="Event")

    assert (response["StatusCode"], payload) == (202, b"")
    [notification] = wait_for(lambda: read_notifications(dev.endpoint, topic), "the asynchronous invocation")
    assert notification.message.startswith(f"arn:aws:sts::{ACCOUNTS.dev}:assumed-role/whoami-role/")


def test_a_dry_run_checks_without_running_and_an_unknown_function_is_not_found(dev, whoami):
    response, _ = _invoke(dev, "whoami", {"fail": "never raised"}, invocation_type="DryRun")
    assert response["StatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        _invoke(dev, "nobody", {})
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_functions_environment_is_seen_by_its_own_thread_only():
    import threading

    from localaws.lambda_.runtime import ThreadEnviron

    environ = ThreadEnviron({"HOME": "/root", "AWS_ACCESS_KEY_ID": "server"})
    seen_elsewhere = {}
    with environ.overlaid({"AWS_ACCESS_KEY_ID": "function-role", "GREETING": "hello"}):
        other = threading.Thread(target=lambda: seen_elsewhere.update(environ))
        other.start()
        other.join()
        assert dict(environ) == {"AWS_ACCESS_KEY_ID": "function-role", "GREETING": "hello", "HOME": "/root"}
        environ["SET_BY_HANDLER"] = "1"
    assert seen_elsewhere == {"HOME": "/root", "AWS_ACCESS_KEY_ID": "server"}
    assert dict(environ) == {"HOME": "/root", "AWS_ACCESS_KEY_ID": "server"}


def test_the_invocation_log_is_tailed_and_written_to_the_log_group(dev, whoami):
    response = dev.client("lambda").invoke(FunctionName="whoami", LogType="Tail",
                                           Payload=json.dumps({"value": "logged"}).encode())

    tail = base64.b64decode(response["LogResult"]).decode().splitlines()
    assert tail[0].startswith("START RequestId: ")
    assert "handling logged" in tail
    assert tail[-2].startswith("END RequestId: ")
    assert tail[-1].startswith("REPORT RequestId: ")
    logs = dev.client("logs").filter_log_events(logGroupName="/aws/lambda/whoami")["events"]
    assert [event["message"] for event in logs] == tail
