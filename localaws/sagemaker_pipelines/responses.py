"""SageMaker pipeline executions that really run: the local stack's answers to the execution API.

moto 5.2 records StartPipelineExecution and answers Executing forever (and has no ListPipelineExecutionSteps).
Here every execution call is served by the project's execution service (localaws.sagemaker_pipelines.service),
which runs the stored definition inside the server and keeps the records: StartPipelineExecution,
DescribePipelineExecution, ListPipelineExecutions, ListPipelineExecutionSteps, StopPipelineExecution,
RetryPipelineExecution, UpdatePipelineExecution, DescribePipelineDefinitionForExecution and
ListPipelineParametersForExecution.
moto's own execution state is never used. DeletePipeline is refused while an execution of the pipeline runs
and forgets its executions; moto's reset stops and forgets every execution.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from localaws.middleware import on_reset
from localaws.sagemaker_pipelines.service import execution_service
from localaws.sagemaker_pipelines.store import SORT_ORDERS, ExecutionRecord

MAX_RESULTS_RANGE = (1, 100)
DEFAULT_MAX_RESULTS = 50
EXECUTION_SORT_KEYS = ("CreationTime", "PipelineExecutionArn")
_TIMESTAMP_FIELDS = ("CreationTime", "LastModifiedTime", "EndTime", "StartTime")

_original_delete_pipeline = SageMakerResponse.delete_pipeline


def install() -> None:
    SageMakerResponse.start_pipeline_execution = _start_pipeline_execution
    SageMakerResponse.describe_pipeline_execution = _describe_pipeline_execution
    SageMakerResponse.list_pipeline_executions = _list_pipeline_executions
    SageMakerResponse.list_pipeline_execution_steps = _list_pipeline_execution_steps
    SageMakerResponse.stop_pipeline_execution = _stop_pipeline_execution
    SageMakerResponse.retry_pipeline_execution = _retry_pipeline_execution
    SageMakerResponse.update_pipeline_execution = _update_pipeline_execution
    SageMakerResponse.describe_pipeline_definition_for_execution = _describe_pipeline_definition_for_execution
    SageMakerResponse.list_pipeline_parameters_for_execution = _list_pipeline_parameters_for_execution
    SageMakerResponse.delete_pipeline = _delete_pipeline


@on_reset
def _forget_executions() -> None:
    execution_service().reset()


def _start_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    parameters = {}
    for entry in self._get_param("PipelineParameters") or []:
        name = entry.get("Name")
        if name in parameters:
            raise ValidationError(f"Pipeline parameter {name} is given more than once")
        parameters[name] = entry.get("Value")
    if self._get_param("SelectiveExecutionConfig"):
        raise ValidationError("SelectiveExecutionConfig is not supported by the local stack: start the whole "
                              "pipeline, or RetryPipelineExecution a failed execution")
    arn = execution_service().start(
        self.current_account, self.region, _required(self, "PipelineName"), parameters,
        display_name=self._get_param("PipelineExecutionDisplayName"),
        role_arn=self._get_param("RoleArn"),
        description=self._get_param("PipelineExecutionDescription"),
        client_request_token=self._get_param("ClientRequestToken"),
        max_parallel_steps=_max_parallel_steps(self),
    )
    return ActionResult({"PipelineExecutionArn": arn})


def _describe_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    record = _execution(self)
    return ActionResult(_with_timestamps(record.to_description()))


def _list_pipeline_executions(self: SageMakerResponse) -> ActionResult:
    records = execution_service().executions(self.current_account, self.region, _required(self, "PipelineName"))
    after, before = _timestamp(self, "CreatedAfter"), _timestamp(self, "CreatedBefore")
    records = [record for record in records
               if (after is None or _parse_time(record.creation_time) > after)
               and (before is None or _parse_time(record.creation_time) < before)]
    sort_by = _choice(self, "SortBy", EXECUTION_SORT_KEYS, "CreationTime")
    descending = _choice(self, "SortOrder", SORT_ORDERS, "Descending") == "Descending"
    key: Callable[[ExecutionRecord], Any] = (
        (lambda record: record.creation_time) if sort_by == "CreationTime" else (lambda record: record.execution_arn))
    records.sort(key=key, reverse=descending)
    page, token = _page(self, records)
    body: dict[str, Any] = {"PipelineExecutionSummaries": [_with_timestamps(r.to_summary()) for r in page]}
    if token:
        body["NextToken"] = token
    return ActionResult(body)


def _list_pipeline_execution_steps(self: SageMakerResponse) -> ActionResult:
    record = _execution(self)
    sort_order = _choice(self, "SortOrder", SORT_ORDERS, "Descending")
    steps = record.to_step_list(sort_order)["PipelineExecutionSteps"]
    page, token = _page(self, steps)
    body: dict[str, Any] = {"PipelineExecutionSteps": [_with_timestamps(step) for step in page]}
    if token:
        body["NextToken"] = token
    return ActionResult(body)


def _stop_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    arn = execution_service().stop(self.current_account, self.region, _required(self, "PipelineExecutionArn"))
    return ActionResult({"PipelineExecutionArn": arn})


def _update_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    if self._get_param("ParallelismConfiguration"):
        raise ValidationError("ParallelismConfiguration of a started execution cannot be changed in the local "
                              "stack: give it to StartPipelineExecution or RetryPipelineExecution")
    arn = execution_service().update(self.current_account, self.region, _required(self, "PipelineExecutionArn"),
                                     display_name=self._get_param("PipelineExecutionDisplayName"),
                                     description=self._get_param("PipelineExecutionDescription"))
    return ActionResult({"PipelineExecutionArn": arn})


def _retry_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    arn = execution_service().retry(self.current_account, self.region, _required(self, "PipelineExecutionArn"),
                                    _max_parallel_steps(self))
    return ActionResult({"PipelineExecutionArn": arn})


def _describe_pipeline_definition_for_execution(self: SageMakerResponse) -> ActionResult:
    record = _execution(self)
    return ActionResult({"PipelineDefinition": record.definition,
                         "CreationTime": _parse_time(record.creation_time)})


def _list_pipeline_parameters_for_execution(self: SageMakerResponse) -> ActionResult:
    record = _execution(self)
    parameters = record.to_description()["PipelineParameters"]
    page, token = _page(self, parameters)
    body: dict[str, Any] = {"PipelineParameters": page}
    if token:
        body["NextToken"] = token
    return ActionResult(body)


def _delete_pipeline(self: SageMakerResponse) -> ActionResult:
    execution_service().delete_pipeline(self.current_account, self.region, _required(self, "PipelineName"))
    return _original_delete_pipeline(self)


# -- request parsing ----------------------------------------------------------------------------------------

def _required(self: SageMakerResponse, name: str) -> str:
    value = self._get_param(name)
    if not value:
        raise ValidationError(f"1 validation error detected: Value null at '{name[0].lower() + name[1:]}' failed "
                              "to satisfy constraint: Member must not be null")
    return value


def _execution(self: SageMakerResponse) -> ExecutionRecord:
    return execution_service().describe(self.current_account, self.region, _required(self, "PipelineExecutionArn"))


def _max_parallel_steps(self: SageMakerResponse) -> int | None:
    configuration = self._get_param("ParallelismConfiguration")
    if not configuration:
        return None
    value = configuration.get("MaxParallelExecutionSteps")
    if not isinstance(value, int) or value < 1:
        raise ValidationError(f"1 validation error detected: Value '{value}' at "
                              "'parallelismConfiguration.maxParallelExecutionSteps' failed to satisfy constraint: "
                              "Member must have value greater than or equal to 1")
    return value


def _choice(self: SageMakerResponse, name: str, allowed: Sequence[str], default: str) -> str:
    value = self._get_param(name) or default
    if value not in allowed:
        raise ValidationError(f"1 validation error detected: Value '{value}' at '{name[0].lower() + name[1:]}' "
                              f"failed to satisfy constraint: Member must satisfy enum value set: "
                              f"[{', '.join(allowed)}]")
    return value


def _timestamp(self: SageMakerResponse, name: str) -> datetime | None:
    value = self._get_param(name)
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    try:
        return _parse_time(str(value))
    except ValueError:
        raise ValidationError(f"{name} {value!r} is not a timestamp") from None


def _page(self: SageMakerResponse, items: list) -> tuple[list, str | None]:
    """One page of `items` from NextToken (an opaque offset) and MaxResults; the token of the next page."""
    max_results = self._get_param("MaxResults")
    if max_results is None:
        max_results = DEFAULT_MAX_RESULTS
    if not isinstance(max_results, int) or not MAX_RESULTS_RANGE[0] <= max_results <= MAX_RESULTS_RANGE[1]:
        raise ValidationError(f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to "
                              f"satisfy constraint: Member must have value between {MAX_RESULTS_RANGE[0]} and "
                              f"{MAX_RESULTS_RANGE[1]}")
    start = _offset(self._get_param("NextToken"))
    end = start + max_results
    return items[start:end], (_token(end) if end < len(items) else None)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ValidationError("The NextToken is not valid: pass the NextToken of the previous answer") from None
    if not isinstance(offset, int) or offset < 0:
        raise ValidationError("The NextToken is not valid: pass the NextToken of the previous answer")
    return offset


# -- responses ----------------------------------------------------------------------------------------------

def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _with_timestamps(shape: dict[str, Any]) -> dict[str, Any]:
    """The record keeps ISO text; the response serialiser wants datetimes for timestamp members."""
    return {key: _parse_time(value) if key in _TIMESTAMP_FIELDS and isinstance(value, str) else value
            for key, value in shape.items()}
