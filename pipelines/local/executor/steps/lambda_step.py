"""Lambda steps: the project's handler runs in this process, as the deployed function would.

The function is looked up in the account's Lambda service (Terraform created it): its Handler
('module.function') names the project's source file, its Role is assumed so the handler's boto3 calls carry
that role's credentials in that account, its Environment variables are set while it runs. The step's
Arguments are the event; the declared OutputParameters are taken from the returned dictionary.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from pipelines.config import REPO_ROOT
from pipelines.local.executor.errors import PipelineDefinitionError, StepFailed
from pipelines.local.executor.graph import StepNode
from pipelines.local.executor.steps.base import StepContext, StepHandler, StepResult

logger = logging.getLogger(__name__)

# Where the project's Lambda sources live (the zip that Terraform deploys is built from them).
LAMBDA_SOURCE_DIRS = (REPO_ROOT / "pipelines" / "inference" / "scripts", REPO_ROOT / "pipelines" / "alerts")
_OUTPUT_TYPES = {"String": str, "Integer": int, "Float": float,
                 "Boolean": lambda value: value if isinstance(value, bool) else str(value).lower() == "true"}
# The handler runs with process-wide settings (environment, boto3's default session): one at a time.
_HANDLER_LOCK = threading.Lock()


class LambdaHandler(StepHandler):
    step_type = "Lambda"

    def check(self, node: StepNode) -> None:
        if not node.definition.get("FunctionArn"):
            raise PipelineDefinitionError(f"Lambda step {node.name!r} has no FunctionArn")

    def run(self, context: StepContext) -> StepResult:
        step = context.node.definition
        function_arn = context.resolve(step["FunctionArn"])
        metadata: dict[str, Any] = {"Lambda": {"Arn": function_arn}}
        try:
            configuration = context.client("lambda").get_function_configuration(FunctionName=function_arn)
        except ClientError as error:
            raise StepFailed(f"ClientError: Lambda function {function_arn} cannot be read: {error}",
                             metadata=metadata) from None
        handler = load_handler(configuration["Handler"])
        role_session = _role_session(context, configuration["Role"])
        variables = (configuration.get("Environment") or {}).get("Variables") or {}
        event = context.arguments
        logger.info("invoking %s (%s) as %s", configuration["FunctionName"], configuration["Handler"],
                    configuration["Role"])
        try:
            with _function_runtime(role_session, variables, context.region):
                result = handler(event, None)
        except Exception as error:  # the function's own error, as Lambda reports it (errorType: errorMessage)
            raise StepFailed(f"Lambda function {configuration['FunctionName']} failed: "
                             f"{type(error).__name__}: {error}", metadata=metadata) from None
        outputs = _outputs(step.get("OutputParameters") or [], result, configuration["FunctionName"])
        metadata["Lambda"]["OutputParameters"] = [{"Name": name, "Value": str(value)}
                                                  for name, value in outputs.items()]
        return StepResult({"FunctionArn": function_arn, "OutputParameters": outputs}, metadata)


def load_handler(handler: str):
    """'latest_approved_model.handler' -> the function from the project's Lambda sources."""
    module_name, _, function_name = handler.rpartition(".")
    for directory in LAMBDA_SOURCE_DIRS:
        path = Path(directory) / f"{module_name.replace('.', '/')}.py"
        if path.is_file():
            spec = importlib.util.spec_from_file_location(f"local_lambda_{module_name}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            if not callable(getattr(module, function_name, None)):
                raise StepFailed(f"Runtime.HandlerNotFound: {path} has no function {function_name!r}")
            return getattr(module, function_name)
    raise StepFailed(f"Runtime.ImportModuleError: handler {handler!r} is not in the project's Lambda sources "
                     f"({', '.join(str(d) for d in LAMBDA_SOURCE_DIRS)})")


def _role_session(context: StepContext, role_arn: str) -> boto3.Session:
    try:
        credentials = context.client("sts").assume_role(
            RoleArn=role_arn, RoleSessionName=f"local-lambda-{context.execution_id}")["Credentials"]
    except ClientError as error:
        raise StepFailed(f"ClientError: cannot assume the function's role {role_arn}: {error}") from None
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name=context.region)


@contextlib.contextmanager
def _function_runtime(session: boto3.Session, variables: Mapping[str, str], region: str) -> Iterator[None]:
    """The function's environment variables, region and role credentials, for the duration of one call."""
    credentials = session.get_credentials()
    runtime = {**variables, "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
               "AWS_ACCESS_KEY_ID": credentials.access_key, "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
               "AWS_SESSION_TOKEN": credentials.token}
    with _HANDLER_LOCK:
        saved_environment = {key: os.environ.get(key) for key in runtime}
        saved_session = boto3.DEFAULT_SESSION
        os.environ.update(runtime)
        boto3.DEFAULT_SESSION = session  # boto3.client(...) inside the handler uses the role's credentials
        try:
            yield
        finally:
            boto3.DEFAULT_SESSION = saved_session
            for key, value in saved_environment.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _outputs(declared: list[Mapping[str, str]], result: Any, function_name: str) -> dict[str, Any]:
    if declared and not isinstance(result, Mapping):
        raise StepFailed(f"Lambda function {function_name} returned {type(result).__name__}, "
                         "not an object holding the step's OutputParameters")
    outputs = {}
    for output in declared:
        name, kind = output["OutputName"], output.get("OutputType", "String")
        if name not in result:
            raise StepFailed(f"Lambda function {function_name} output did not include {name!r} "
                             f"(it returned: {', '.join(map(str, result)) or 'nothing'})")
        if kind not in _OUTPUT_TYPES:
            raise StepFailed(f"Lambda step output {name!r} has OutputType {kind!r}: use one of "
                             f"{', '.join(_OUTPUT_TYPES)}")
        try:
            outputs[name] = _OUTPUT_TYPES[kind](result[name])
        except (TypeError, ValueError):
            raise StepFailed(f"Lambda function {function_name} output {name!r} is {result[name]!r}, "
                             f"not of OutputType {kind}") from None
    return outputs
