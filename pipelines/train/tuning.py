"""Warm-start hyperparameter tuning of the train pipeline (`workload.pipeline.tuning`).

The registered model package records the tuning job that chose its model in its CustomerMetadataProperties
(`TUNING_JOB_PROPERTY`, its name, and `TUNING_JOB_ARN_PROPERTY`, its ARN: the account and region it ran in).
The next run warm-starts (TRANSFER_LEARNING) from the tuning job recorded on the newest Approved package of the
central group: `run-pipeline` looks it up and passes its name as the `ParentTuningJobName` parameter; an empty
name (the first run, a newest Approved version trained without tuning or in another account) takes the branch
without warm start.
"""

from __future__ import annotations

import logging
from typing import Any

from pipelines.config import EnvConfig, Tuning

logger = logging.getLogger(__name__)

TUNING_JOB_PROPERTY = "HyperParameterTuningJobName"
"""The CustomerMetadataProperties key of a registered package naming the tuning job that chose its model."""
TUNING_JOB_ARN_PROPERTY = "HyperParameterTuningJobArn"
PARENT_PARAMETER = "ParentTuningJobName"
OBJECTIVE_METRIC = "validation:auc"
NO_PARENT = ""


def tuner(trainer, tuning: Tuning, parent=None):
    """The HyperparameterTuner of the model trainer: Bayesian, maximising validation:auc over the configured ranges;
    warm-started (TRANSFER_LEARNING) from `parent` (a pipeline variable naming the tuning job) when given."""
    from sagemaker.core.parameter import ContinuousParameter, IntegerParameter
    from sagemaker.core.shapes import HyperParameterTuningJobWarmStartConfig, ParentHyperParameterTuningJob
    from sagemaker.train.tuner import HyperparameterTuner

    kinds = {"integer": IntegerParameter, "continuous": ContinuousParameter}
    ranges = {entry.name: kinds[entry.kind](entry.min_value, entry.max_value, scaling_type=entry.scaling)
              for entry in tuning.ranges}
    warm_start = HyperParameterTuningJobWarmStartConfig(
        warm_start_type="TransferLearning",
        parent_hyper_parameter_tuning_jobs=[ParentHyperParameterTuningJob(hyper_parameter_tuning_job_name=parent)])
    return HyperparameterTuner(
        trainer, objective_metric_name=OBJECTIVE_METRIC, objective_type="Maximize",
        hyperparameter_ranges=ranges, strategy="Bayesian", max_jobs=tuning.max_jobs,
        max_parallel_jobs=tuning.max_parallel_jobs, random_seed=tuning.random_seed, early_stopping_type="Off",
        warm_start_config=warm_start if parent else None,
    )


def tuning_step(name: str, step_args, volume_kms_key: str):
    """The TuningStep, its training jobs' volumes encrypted with `volume_kms_key`."""
    from sagemaker.mlops.workflow.steps import TuningStep

    class TuningStepWithVolumeKey(TuningStep):
        """v3's tuner copies the model trainer's instance type, count and volume size into the training job
        definition's ResourceConfig but drops its volume key (v2 kept it): put it back."""

        @property
        def arguments(self):
            request = super().arguments
            request["TrainingJobDefinition"]["ResourceConfig"]["VolumeKmsKeyId"] = volume_kms_key
            return request

    return TuningStepWithVolumeKey(name=name, step_args=step_args)


def static_hyperparameters(hyperparameters: dict[str, str], tuning: Tuning) -> dict[str, str]:
    """The fixed hyperparameters without the tuned ones."""
    tuned = {entry.name for entry in tuning.ranges}
    return {name: value for name, value in hyperparameters.items() if name not in tuned}


def parent_tuning_job(sagemaker, config: EnvConfig) -> str:
    """The name of the tuning job recorded on the newest Approved package of the central group, or NO_PARENT.

    A tuning job is named, not addressed by ARN, in a warm start: one of another account or region cannot be a
    parent, and neither can a package registered without tuning."""
    page: dict[str, Any] = sagemaker.list_model_packages(
        ModelPackageGroupName=config.model_package_group_arn, ModelApprovalStatus="Approved",
        SortBy="CreationTime", SortOrder="Descending", MaxResults=1)
    summaries = page.get("ModelPackageSummaryList") or []
    if not summaries:
        return NO_PARENT
    package_arn = summaries[0]["ModelPackageArn"]
    package = sagemaker.describe_model_package(ModelPackageName=package_arn)
    properties = package.get("CustomerMetadataProperties") or {}
    name, arn = properties.get(TUNING_JOB_PROPERTY), properties.get(TUNING_JOB_ARN_PROPERTY, "")
    if not name:
        logger.info("no warm start: %s was registered without a tuning job", package_arn)
        return NO_PARENT
    if arn.split(":")[3:5] != [config.aws_region, config.account_id]:
        logger.info("no warm start: tuning job %s of %s did not run in this account and region", arn, package_arn)
        return NO_PARENT
    return name
