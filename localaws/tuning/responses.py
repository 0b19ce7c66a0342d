"""Hyperparameter tuning jobs and training jobs that pipeline steps ran, answered in AWS's shapes.

moto 5.2 keeps no tuning jobs, and the training jobs the executor runs never pass through its CreateTrainingJob.
DescribeHyperParameterTuningJob and ListTrainingJobsForHyperParameterTuningJob answer from the tuning steps'
records (localaws.sagemaker_pipelines.service), DescribeTrainingJob from the training and tuning steps' records and
otherwise from moto (a job created with CreateTrainingJob).
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from localaws.sagemaker_pipelines.responses import (
    MAX_RESULTS_RANGE,
    _choice,
    _offset,
    _parse_time,
    _required,
    _token,
)
from localaws.sagemaker_pipelines.service import execution_service

TRAINING_JOB_SORT_KEYS = ("Name", "CreationTime", "Status", "FinalObjectiveMetricValue")
TRAINING_JOB_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting")
SORT_ORDERS = ("Ascending", "Descending")
LIST_DEFAULT_MAX_RESULTS = 10
_TIMESTAMP_FIELDS = frozenset({"CreationTime", "LastModifiedTime", "HyperParameterTuningEndTime", "TrainingStartTime",
                               "TrainingEndTime", "Timestamp", "StartTime", "EndTime", "ConvergenceDetectedTime"})

_original_describe_training_job = SageMakerResponse.describe_training_job


def install() -> None:
    SageMakerResponse.describe_hyper_parameter_tuning_job = _describe_hyper_parameter_tuning_job
    SageMakerResponse.list_training_jobs_for_hyper_parameter_tuning_job = _list_training_jobs_for_tuning_job
    SageMakerResponse.describe_training_job = _describe_training_job


def _describe_hyper_parameter_tuning_job(self: SageMakerResponse) -> ActionResult:
    description, _ = execution_service().tuning_job(self.current_account, self.region,
                                                    _required(self, "HyperParameterTuningJobName"))
    return ActionResult(with_timestamps(description))


def _list_training_jobs_for_tuning_job(self: SageMakerResponse) -> ActionResult:
    description, jobs = execution_service().tuning_job(self.current_account, self.region,
                                                       _required(self, "HyperParameterTuningJobName"))
    summaries = training_job_summaries(description, jobs)
    status = self._get_param("StatusEquals")
    if status is not None:
        if status not in TRAINING_JOB_STATUSES:
            raise ValidationError(f"1 validation error detected: Value '{status}' at 'statusEquals' failed to "
                                  f"satisfy constraint: Member must satisfy enum value set: "
                                  f"[{', '.join(TRAINING_JOB_STATUSES)}]")
        summaries = [s for s in summaries if s["TrainingJobStatus"] == status]
    sort_by = _choice(self, "SortBy", TRAINING_JOB_SORT_KEYS, "Name")
    descending = _choice(self, "SortOrder", SORT_ORDERS, "Ascending") == "Descending"
    summaries = sort_summaries(summaries, sort_by, descending)
    max_results = self._get_param("MaxResults")
    max_results = LIST_DEFAULT_MAX_RESULTS if max_results is None else max_results
    if not isinstance(max_results, int) or not MAX_RESULTS_RANGE[0] <= max_results <= MAX_RESULTS_RANGE[1]:
        raise ValidationError(f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to "
                              f"satisfy constraint: Member must have value between {MAX_RESULTS_RANGE[0]} and "
                              f"{MAX_RESULTS_RANGE[1]}")
    start = _offset(self._get_param("NextToken"))
    page = summaries[start:start + max_results]
    token = _token(start + max_results) if start + max_results < len(summaries) else None
    body: dict[str, Any] = {"TrainingJobSummaries": [with_timestamps(s) for s in page]}
    if token:
        body["NextToken"] = token
    return ActionResult(body)


def _describe_training_job(self: SageMakerResponse) -> ActionResult:
    name = _required(self, "TrainingJobName")
    description = execution_service().training_job(self.current_account, self.region, name)
    if description is None:
        return _original_describe_training_job(self)
    return ActionResult(with_timestamps(description))


def training_job_summaries(tuning: dict[str, Any], jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """HyperParameterTrainingJobSummary of every training job of the tuning job, in launch order."""
    from localaws.sagemaker_pipelines.steps.tuning import job_summary, parameter_distributions

    config = tuning["HyperParameterTuningJobConfig"]
    distributions = parameter_distributions(config.get("ParameterRanges") or {})
    return [job_summary(job, tuning["HyperParameterTuningJobName"], distributions,
                        config["HyperParameterTuningJobObjective"]) for job in jobs]


def sort_summaries(summaries: list[dict[str, Any]], sort_by: str, descending: bool) -> list[dict[str, Any]]:
    """As the API sorts: by name, creation time, status or objective value (jobs without one are left out)."""
    if sort_by == "FinalObjectiveMetricValue":
        summaries = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
        key = lambda s: (s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], s["TrainingJobName"])  # noqa: E731
    else:
        field = {"Name": "TrainingJobName", "CreationTime": "CreationTime", "Status": "TrainingJobStatus"}[sort_by]
        key = lambda s: (s[field], s["TrainingJobName"])  # noqa: E731
    return sorted(summaries, key=key, reverse=descending)


def with_timestamps(value: Any) -> Any:
    """Records keep ISO text; the response serialiser wants datetimes for timestamp members, at any depth."""
    if isinstance(value, dict):
        return {key: _parse_time(item) if key in _TIMESTAMP_FIELDS and isinstance(item, str) else with_timestamps(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [with_timestamps(item) for item in value]
    return value

