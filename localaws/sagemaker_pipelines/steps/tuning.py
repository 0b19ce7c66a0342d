"""Tuning steps: a hyperparameter tuning job whose training jobs run through the training handler.

The Bayesian strategy is Optuna's TPE sampler (the Random strategy its random sampler), seeded with
`HyperParameterTuningJobConfig.RandomSeed`. At most `MaxParallelTrainingJobs` training jobs run at a time; job k
is chosen when jobs 0 .. k - MaxParallelTrainingJobs have been told, in launch order, and the others are pending,
so the same seed gives the same jobs, hyperparameters and best job whatever order the jobs finish in. The first
`MaxParallelTrainingJobs` jobs are chosen at random, the later ones by the model (TPE needs a few results). A
warm start seeds the study with the parents' training jobs (hyperparameters and objective values, read back
through DescribeHyperParameterTuningJob and ListTrainingJobsForHyperParameterTuningJob as any client would) and
checks them as CreateHyperParameterTuningJob does.

Properties are DescribeHyperParameterTuningJob's answer plus `TrainingJobSummaries`, the jobs with an objective
value sorted best first (at most 50), so `Steps.X.TrainingJobSummaries[0].TrainingJobName` and the SDK's
`TuningStep.get_top_model_s3_uri(0, ...)` name the best job's model. The training jobs' DescribeTrainingJob
answers are kept with the step for DescribeTrainingJob and ListTrainingJobsForHyperParameterTuningJob.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import optuna
from botocore.exceptions import ClientError

from localaws.sagemaker_pipelines.errors import StepFailed, StepStopped
from localaws.sagemaker_pipelines.steps.base import StepContext, StepHandler, StepResult
from localaws.sagemaker_pipelines.steps.training import ChannelCache, TrainingHandler
from localaws.sagemaker_pipelines.store import now

logger = logging.getLogger(__name__)
optuna.logging.set_verbosity(optuna.logging.WARNING)  # one line per trial otherwise; the handler logs the result

WARM_START_TYPES = ("TransferLearning", "IdenticalDataAndAlgorithm")
MAX_PARENTS = 5
MAX_TRAINING_JOBS = 750  # ResourceLimits.MaxNumberOfTrainingJobs; the parents' jobs count toward it
TOP_JOBS = 50  # a TuningStep's TrainingJobSummaries property holds the 50 best jobs
NAME_LENGTH = 32  # HyperParameterTuningJobName
CREATE_FAILED = "ClientError: Failed to invoke sagemaker:CreateHyperParameterTuningJob. Error Details: "
RENAMED_HYPERPARAMETERS = (
    "The set of tunable plus static HyperParameter names is not the same across current and parent tuning jobs. "
    "Please ensure this set is constant when warm starting. Note that previously static HyperParameters can be "
    "tuned in warm start jobs and vice versa.")
# Hyperparameters SageMaker adds itself; they are not the user's names.
_SAGEMAKER_KEYS = ("sagemaker_", "_tuning_objective_metric")
_RANGE_KINDS = {"IntegerParameterRanges": "Integer", "ContinuousParameterRanges": "Continuous",
                "CategoricalParameterRanges": "Categorical"}


class TuningHandler(StepHandler):
    step_type = "Tuning"

    def __init__(self) -> None:
        self.training = TrainingHandler()

    def run(self, context: StepContext) -> StepResult:
        request = context.arguments
        name = tuning_job_name(context)
        arn = context.arn("sagemaker", f"hyper-parameter-tuning-job/{name.lower()}")
        started, clock = now(), time.monotonic()
        config = request["HyperParameterTuningJobConfig"]
        definition = request["TrainingJobDefinition"]
        objective = config["HyperParameterTuningJobObjective"]
        limits = config["ResourceLimits"]
        max_jobs, parallel = int(limits["MaxNumberOfTrainingJobs"]), int(limits.get("MaxParallelTrainingJobs", 1))
        distributions = parameter_distributions(config.get("ParameterRanges") or {})
        static = {key: str(value) for key, value in (definition.get("StaticHyperParameters") or {}).items()}
        warm_start = request.get("WarmStartConfig")
        parent_trials = self._parent_trials(context, warm_start, distributions, static, max_jobs) \
            if warm_start else []

        study = optuna.create_study(direction="maximize" if objective["Type"] == "Maximize" else "minimize",
                                    sampler=sampler(config.get("Strategy", "Bayesian"), config.get("RandomSeed"),
                                                    parallel))
        for trial in parent_trials:
            study.add_trial(trial)
        jobs: list[dict[str, Any]] = []
        channels = ChannelCache()  # every job reads the same channels: download and parse them once
        launched: list[tuple[optuna.trial.Trial, Future]] = []

        def tell_next() -> None:
            """Wait for the oldest job not told yet and tell its result."""
            trial, future = launched[len(jobs)]
            description = future.result()
            if context.stop.is_set():
                raise StepStopped(f"tuning job {name} was stopped")
            value = objective_value(description, objective["MetricName"])
            if value is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
            jobs.append(description)

        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix=f"{name}-job") as pool:
            for index in range(max_jobs):
                if index >= parallel:  # a slot frees when job index - parallel is done
                    tell_next()
                context.raise_if_stopped()
                trial = study.ask(distributions)
                request = training_request(definition, static, trial)
                launched.append((trial, pool.submit(self._train, context, training_job_name(name, index), request,
                                                    channels)))
            while len(jobs) < len(launched):
                tell_next()
        summaries = [job_summary(job, name, distributions, objective) for job in jobs]
        ranked = rank(summaries, objective["Type"])
        description: dict[str, Any] = {
            "HyperParameterTuningJobName": name, "HyperParameterTuningJobArn": arn,
            "HyperParameterTuningJobConfig": config, "TrainingJobDefinition": definition,
            "CreationTime": started, "LastModifiedTime": now(), "HyperParameterTuningEndTime": now(),
            "TrainingJobStatusCounters": status_counters(jobs),
            "ObjectiveStatusCounters": {status: sum(s["ObjectiveStatus"] == status for s in summaries)
                                        for status in ("Succeeded", "Pending", "Failed")},
            "ConsumedResources": {"RuntimeInSeconds": math.ceil(time.monotonic() - clock)},
        }
        if warm_start:
            description["WarmStartConfig"] = warm_start
        metadata = {"TuningJob": {"Arn": arn}}
        if not ranked:
            reasons = sorted({job.get("FailureReason", "no objective metric") for job in jobs})
            description.update(HyperParameterTuningJobStatus="Failed",
                               FailureReason=f"No training job succeeded with an objective metric "
                                             f"{objective['MetricName']}: {'; '.join(reasons)}"[:1024])
            raise StepFailed(description["FailureReason"], {**description, "TrainingJobSummaries": []}, metadata)
        description.update(HyperParameterTuningJobStatus="Completed", BestTrainingJob=ranked[0])
        if warm_start and warm_start.get("WarmStartType") == "IdenticalDataAndAlgorithm":
            parents_best = [trial.user_attrs["summary"] for trial in parent_trials]
            description["OverallBestTrainingJob"] = rank([ranked[0], *parents_best], objective["Type"])[0]
        logger.info("tuning job %s: %d training job(s), best %s (%s %s)", name, len(jobs),
                    ranked[0]["TrainingJobName"], objective["MetricName"],
                    ranked[0]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
        return StepResult({**description, "TrainingJobSummaries": ranked[:TOP_JOBS]}, metadata,
                          training_jobs=[{**job, "TuningJobArn": arn} for job in jobs])

    def _train(self, context: StepContext, job_name: str, request: dict[str, Any],
               channels: ChannelCache) -> dict[str, Any]:
        """One training job in its own folder; a failed job is a Failed description, not a failed tuning job."""
        work_dir = Path(tempfile.mkdtemp(prefix=f"{job_name[-12:]}-", dir=context.work_dir))
        try:
            return self.training.train(dataclasses.replace(context, work_dir=work_dir), request, job_name, channels)
        except StepFailed as failure:
            logger.info("training job %s failed: %s", job_name, failure.reason)
            return failure.properties

    def _parent_trials(self, context: StepContext, warm_start: dict[str, Any],
                       distributions: dict[str, optuna.distributions.BaseDistribution], static: dict[str, str],
                       max_jobs: int) -> list[optuna.trial.FrozenTrial]:
        """The parents' finished training jobs as trials of this study; CreateHyperParameterTuningJob's checks."""
        parents = warm_start.get("ParentHyperParameterTuningJobs") or []
        if not 1 <= len(parents) <= MAX_PARENTS:
            raise StepFailed(
                f"{CREATE_FAILED}1 validation error detected: Value '{parents}' at "
                "'warmStartConfig.parentHyperParameterTuningJobs' failed to satisfy constraint: Member must have "
                f"length {'greater than or equal to 1' if not parents else f'less than or equal to {MAX_PARENTS}'}")
        if warm_start.get("WarmStartType") not in WARM_START_TYPES:
            raise StepFailed(f"{CREATE_FAILED}1 validation error detected: Value '{warm_start.get('WarmStartType')}' "
                             "at 'warmStartConfig.warmStartType' failed to satisfy constraint: Member must satisfy "
                             f"enum value set: [{', '.join(WARM_START_TYPES)}]")
        names = user_names([*static, *distributions])
        sagemaker = context.client("sagemaker")
        trials, parent_jobs = [], 0
        for parent in parents:
            parent_name = parent.get("HyperParameterTuningJobName")
            try:
                described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=parent_name)
                pages = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
                    HyperParameterTuningJobName=parent_name)
                summaries = [summary for page in pages for summary in page["TrainingJobSummaries"]]
            except ClientError as error:
                raise StepFailed(f"{CREATE_FAILED}{error.response['Error'].get('Message', error)}") from None
            parent_definition = described.get("TrainingJobDefinition") or {}
            parent_ranges = (described.get("HyperParameterTuningJobConfig") or {}).get("ParameterRanges") or {}
            parent_static = parent_definition.get("StaticHyperParameters") or {}
            if user_names([*parent_static, *parameter_distributions(parent_ranges)]) != names:
                raise StepFailed(CREATE_FAILED + RENAMED_HYPERPARAMETERS)
            parent_jobs += len(summaries)
            for summary in summaries:
                trial = parent_trial(summary, parent_static, distributions)
                if trial is not None:
                    trials.append(trial)
        if parent_jobs + max_jobs > MAX_TRAINING_JOBS:
            raise StepFailed(
                f"{CREATE_FAILED}The parent tuning jobs launched {parent_jobs} training jobs; with "
                f"MaxNumberOfTrainingJobs {max_jobs} the warm start tuning job would count {parent_jobs + max_jobs}, "
                f"more than the limit of {MAX_TRAINING_JOBS} training jobs per tuning job.")
        logger.info("warm start from %s: %d of %d parent training job(s) seed the study",
                    ", ".join(p.get("HyperParameterTuningJobName", "?") for p in parents), len(trials), parent_jobs)
        return trials


def tuning_job_name(context: StepContext) -> str:
    """At most 32 characters, unique per execution and step: the execution id and the step's name, lower case
    as in the job's ARN (ListPipelineExecutionSteps gives only the ARN)."""
    step = "".join(c if c.isalnum() else "-" for c in context.node.name.lower())
    return f"{context.execution_id}-{step}"[:NAME_LENGTH].rstrip("-")


def training_job_name(tuning_name: str, index: int) -> str:
    """AWS's pattern: <tuning job>-<three-digit number>-<eight hex digits>."""
    suffix = hashlib.sha256(f"{tuning_name}/{index}".encode()).hexdigest()[:8]
    return f"{tuning_name}-{index + 1:03d}-{suffix}"


def sampler(strategy: str, seed: Any, parallel: int) -> optuna.samplers.BaseSampler:
    seed = int(seed) if seed is not None else None
    if strategy == "Random":
        return optuna.samplers.RandomSampler(seed=seed)
    # The first jobs explore at random; constant_liar keeps the choices of jobs running together apart.
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(parallel, 2), constant_liar=True)


def parameter_distributions(ranges: dict[str, Any]) -> dict[str, optuna.distributions.BaseDistribution]:
    """ParameterRanges (values as strings, as CreateHyperParameterTuningJob takes them) as Optuna distributions."""
    distributions: dict[str, optuna.distributions.BaseDistribution] = {}
    for key, kind in _RANGE_KINDS.items():
        for entry in ranges.get(key) or []:
            log = entry.get("ScalingType") == "Logarithmic"
            if kind == "Integer":
                distributions[entry["Name"]] = optuna.distributions.IntDistribution(
                    int(entry["MinValue"]), int(entry["MaxValue"]), log=log)
            elif kind == "Continuous":
                distributions[entry["Name"]] = optuna.distributions.FloatDistribution(
                    float(entry["MinValue"]), float(entry["MaxValue"]), log=log)
            else:
                distributions[entry["Name"]] = optuna.distributions.CategoricalDistribution(tuple(entry["Values"]))
    return distributions


def user_names(names: list[str]) -> frozenset[str]:
    return frozenset(name for name in names if not name.startswith(_SAGEMAKER_KEYS))


def training_request(definition: dict[str, Any], static: dict[str, str], trial: optuna.trial.Trial) -> dict[str, Any]:
    """The CreateTrainingJob request of one job: the definition with its static and tuned hyperparameters."""
    request = {key: value for key, value in definition.items()
               if key not in ("StaticHyperParameters", "DefinitionName", "TuningObjective", "HyperParameterRanges",
                              "HyperParameterTuningResourceConfig")}
    resources = definition.get("HyperParameterTuningResourceConfig")
    if resources is not None and "ResourceConfig" not in request:  # the training job's own resources
        request["ResourceConfig"] = {key: value for key, value in resources.items()
                                     if key in ("InstanceType", "InstanceCount", "VolumeSizeInGB", "VolumeKmsKeyId")}
    request["HyperParameters"] = {**static, **{name: str(value) for name, value in trial.params.items()}}
    return request


def objective_value(description: dict[str, Any], metric: str) -> float | None:
    if description.get("TrainingJobStatus") != "Completed":
        return None
    values = [entry["Value"] for entry in description.get("FinalMetricDataList") or []
              if entry.get("MetricName") == metric]
    return float(values[-1]) if values and math.isfinite(values[-1]) else None


def job_summary(job: dict[str, Any], tuning_name: str, distributions: dict[str, Any],
                objective: dict[str, Any]) -> dict[str, Any]:
    """The HyperParameterTrainingJobSummary of one of the job's training jobs."""
    hyperparameters = job.get("HyperParameters") or {}
    summary = {
        "TrainingJobName": job["TrainingJobName"], "TrainingJobArn": job["TrainingJobArn"],
        "TuningJobName": tuning_name, "CreationTime": job["CreationTime"],
        "TrainingStartTime": job.get("TrainingStartTime"), "TrainingEndTime": job.get("TrainingEndTime"),
        "TrainingJobStatus": job["TrainingJobStatus"],
        "TunedHyperParameters": {name: hyperparameters[name] for name in distributions if name in hyperparameters},
    }
    value = objective_value(job, objective["MetricName"])
    if value is None:
        summary["ObjectiveStatus"] = "Failed"
        if job.get("FailureReason"):
            summary["FailureReason"] = job["FailureReason"]
    else:
        summary["ObjectiveStatus"] = "Succeeded"
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": objective["Type"], "MetricName": objective["MetricName"], "Value": value}
    return {key: value for key, value in summary.items() if value is not None}


def rank(summaries: list[dict[str, Any]], objective_type: str) -> list[dict[str, Any]]:
    """The summaries with an objective value, best first (ties: the earlier job name)."""
    scored = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
    sign = -1 if objective_type == "Maximize" else 1
    return sorted(scored, key=lambda s: (sign * s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"],
                                         s["TrainingJobName"]))


def status_counters(jobs: list[dict[str, Any]]) -> dict[str, int]:
    statuses = [job.get("TrainingJobStatus") for job in jobs]
    return {"Completed": statuses.count("Completed"), "InProgress": statuses.count("InProgress"),
            "RetryableError": 0, "NonRetryableError": statuses.count("Failed"), "Stopped": statuses.count("Stopped")}


def parent_trial(summary: dict[str, Any], parent_static: dict[str, str],
                 distributions: dict[str, optuna.distributions.BaseDistribution]) -> optuna.trial.FrozenTrial | None:
    """A parent's training job as a finished trial of this study; None when it has no objective value or a value
    outside this job's ranges (a transfer-learning child may narrow them)."""
    metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric")
    if summary.get("ObjectiveStatus") != "Succeeded" or not metric:
        return None
    given = {**parent_static, **(summary.get("TunedHyperParameters") or {})}
    params = {}
    for name, distribution in distributions.items():
        if name not in given:
            return None
        try:
            value = _typed(given[name], distribution)
        except ValueError:
            return None
        if not distribution._contains(distribution.to_internal_repr(value)):
            return None
        params[name] = value
    return optuna.trial.create_trial(params=params, distributions=distributions, value=float(metric["Value"]),
                                     user_attrs={"summary": summary})


def _typed(text: str, distribution: optuna.distributions.BaseDistribution) -> Any:
    if isinstance(distribution, optuna.distributions.IntDistribution):
        return int(float(text))
    if isinstance(distribution, optuna.distributions.FloatDistribution):
        return float(text)
    if text not in distribution.choices:
        raise ValueError(text)
    return text
