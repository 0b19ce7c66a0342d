"""Lambda steps: the function is invoked through the Lambda API (RequestResponse), as SageMaker does.

The step's Arguments are the event; the declared OutputParameters are taken from the returned object and checked
against their OutputType. The local stack's Lambda service runs the project's handler
(`localaws.lambda_.runtime`); a function error fails the step with the function's error type
and message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from localaws.sagemaker_pipelines.errors import StepFailed
from localaws.sagemaker_pipelines.steps.base import StepContext, StepHandler, StepResult

logger = logging.getLogger(__name__)

_OUTPUT_TYPES = {"String": str, "Integer": int, "Float": float,
                 "Boolean": lambda value: value if isinstance(value, bool) else str(value).lower() == "true"}


class LambdaHandler(StepHandler):
    step_type = "Lambda"

    def run(self, context: StepContext) -> StepResult:
        step = context.node.definition
        function_arn = context.resolve(step["FunctionArn"])
        function_name = function_arn.rsplit(":", 1)[-1] if function_arn.startswith("arn:") else function_arn
        metadata: dict[str, Any] = {"Lambda": {"Arn": function_arn}}
        try:
            response = context.client("lambda").invoke(
                FunctionName=function_arn, InvocationType="RequestResponse",
                Payload=json.dumps(context.arguments).encode())
        except ClientError as error:
            raise StepFailed(f"ClientError: Lambda function {function_arn} cannot be invoked: {error}",
                             metadata=metadata) from None
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            error = _json_or_text(payload)
            if isinstance(error, Mapping):
                reason = f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
            else:
                reason = str(error)
            raise StepFailed(f"Lambda function {function_name} failed: {reason}", metadata=metadata)
        result = _json_or_text(payload)
        outputs = _outputs(step.get("OutputParameters") or [], result, function_name)
        metadata["Lambda"]["OutputParameters"] = [{"Name": name, "Value": str(value)}
                                                  for name, value in outputs.items()]
        return StepResult({"FunctionArn": function_arn, "OutputParameters": outputs}, metadata)


def _json_or_text(payload: bytes) -> Any:
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return payload.decode(errors="replace")


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
