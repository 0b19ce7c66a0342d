"""The train pipeline with warm-start tuning (`workload.pipeline.tuning`), run by the local stack.

The first run has no parent and takes the branch without warm start; its tuning job's best training job (the
highest validation:auc) is evaluated and registered (Pending; the approver approves it) with the tuning job in
the package's CustomerMetadataProperties. `run-pipeline` finds that tuning job on the latest Approved package and
the second run warm-starts from it. A warm start whose hyperparameter names differ from the parent's, or whose jobs
and the parent's are more than a tuning job may count, fails as AWS refuses it.
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from support.platform import create_approver_role

from localaws.sagemaker_pipelines.steps.tuning import RENAMED_HYPERPARAMETERS
from pipelines.approve_model import approver_session
from pipelines.config import REPO_ROOT, load_config
from pipelines.definitions import PIPELINE_MODULES, build_pipeline
from pipelines.execution import PipelineExecution
from pipelines.run_pipeline import RunRequest, run_pipelines
from pipelines.train import pipeline as train
from pipelines.train.tuning import OBJECTIVE_METRIC, PARENT_PARAMETER, TUNING_JOB_PROPERTY, parent_tuning_job

TUNING = {"max_jobs": 6, "max_parallel_jobs": 2, "random_seed": 11, "ranges": {
    "eta": {"kind": "continuous", "min": 0.05, "max": 0.5},
    "max_depth": {"kind": "integer", "min": 2, "max": 6},
    "min_child_weight": {"kind": "continuous", "min": 0.5, "max": 8, "scaling": "Logarithmic"},
}}


@pytest.fixture
def tuning_environments(tmp_path, monkeypatch):
    """The environment files with tuning on in dev."""
    directory = tmp_path / "environments"
    shutil.copytree(REPO_ROOT / "environments", directory)
    dev_file = directory / "dev.tfvars.json"
    document = json.loads(dev_file.read_text())
    document["workload"]["pipeline"].update(tuning=TUNING)
    dev_file.write_text(json.dumps(document))
    monkeypatch.setenv("MLOPS_ENVIRONMENTS_DIR", str(directory))
    return directory


def newest_package(registry, config) -> dict:
    summaries = registry.list_model_packages(ModelPackageGroupName=config.model_package_group_arn,
                                             SortBy="CreationTime", SortOrder="Descending")
    return registry.describe_model_package(ModelPackageName=summaries["ModelPackageSummaryList"][0]["ModelPackageArn"])


def all_training_jobs(sagemaker, tuning_job: str, **kwargs) -> list[dict]:
    pages = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName=tuning_job, PaginationConfig={"PageSize": 4}, **kwargs)
    return [summary for page in pages for summary in page["TrainingJobSummaries"]]


@pytest.mark.slow
def test_tuning_registers_the_best_job_and_the_next_run_warm_starts_from_it_with_the_same_names_and_limits(
        target, tuning_environments, provision_train_inputs):
    config = load_config("dev", tuning_environments)
    provision_train_inputs(config)
    progress: list[str] = []
    target = dataclasses.replace(target, progress=progress.append)
    request = RunRequest(env="dev", pipeline="train", start=True, wait=True, environments_dir=tuning_environments)
    sagemaker = target.session(config.account_id, config.aws_region).client("sagemaker")
    registry = target.session(config.accounts.registry, config.aws_region).client("sagemaker")

    [first] = run_pipelines(request, target)

    assert first.status == "Succeeded", first.failure_reason
    assert any("tuning without warm start" in line for line in progress)
    steps = {step["StepName"]: step for step in sagemaker.list_pipeline_execution_steps(
        PipelineExecutionArn=first.execution_arn)["PipelineExecutionSteps"]}
    assert train.STEP_TUNE + train.WARM_START_SUFFIX not in steps  # the warm-start branch did not run
    assert steps[train.STEP_TUNE]["Metadata"]["TuningJob"]["Arn"].startswith(
        f"arn:aws:sagemaker:{config.aws_region}:{config.account_id}:hyper-parameter-tuning-job/")
    package = newest_package(registry, config)
    tuning_job = package["CustomerMetadataProperties"][TUNING_JOB_PROPERTY]

    described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_job)
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"]["Completed"] == 6
    assert "WarmStartConfig" not in described
    jobs = all_training_jobs(sagemaker, tuning_job)
    assert [job["TrainingJobName"] for job in jobs] == sorted(job["TrainingJobName"] for job in jobs)  # by Name
    assert len(jobs) == 6
    assert len({json.dumps(job["TunedHyperParameters"], sort_keys=True) for job in jobs}) == 6
    best = max(jobs, key=lambda job: job["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    assert described["BestTrainingJob"]["TrainingJobName"] == best["TrainingJobName"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == OBJECTIVE_METRIC
    by_objective = all_training_jobs(sagemaker, tuning_job, SortBy="FinalObjectiveMetricValue",
                                     SortOrder="Descending")
    assert by_objective[0]["TrainingJobName"] == best["TrainingJobName"]

    # TrainingJobSummaries[0] resolved to the best job's model: the one evaluated and registered.
    best_job = sagemaker.describe_training_job(TrainingJobName=best["TrainingJobName"])
    model_uri = best_job["ModelArtifacts"]["S3ModelArtifacts"]
    assert model_uri.endswith(f"/models/{best['TrainingJobName']}/output/model.tar.gz")
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == model_uri
    assert best_job["TuningJobArn"] == described["HyperParameterTuningJobArn"]
    assert {**best_job["HyperParameters"], **best["TunedHyperParameters"]} == best_job["HyperParameters"]

    # Only the registry's approver approves (the group's policy lets workload accounts register Pending only).
    create_approver_role(target.session(config.accounts.registry, config.aws_region), config)
    approver_session(target, config).client("sagemaker").update_model_package(
        ModelPackageArn=package["ModelPackageArn"], ModelApprovalStatus="Approved")
    assert parent_tuning_job(sagemaker, config) == tuning_job
    [second] = run_pipelines(request, target)

    assert second.status == "Succeeded", second.failure_reason
    assert any(f"warm start from tuning job {tuning_job}" in line for line in progress)
    child = newest_package(registry, config)["CustomerMetadataProperties"][TUNING_JOB_PROPERTY]
    warm = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=child)
    assert warm["WarmStartConfig"] == {"WarmStartType": "TransferLearning",
                                       "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": tuning_job}]}
    assert warm["TrainingJobStatusCounters"]["Completed"] == 6  # the parent's jobs are not run again
    child_jobs = all_training_jobs(sagemaker, child)
    assert not {json.dumps(j["TunedHyperParameters"], sort_keys=True) for j in child_jobs} & \
        {json.dumps(j["TunedHyperParameters"], sort_keys=True) for j in jobs}


    # The warm-start tuning step alone (it is refused before it reads any data), changed as AWS refuses it.
    session = target.session(config.account_id, config.aws_region)
    built = json.loads(build_pipeline(PIPELINE_MODULES["train"], "dev", {}).definition)
    warm_step = built["Steps"][1]["Arguments"]["ElseSteps"][0]
    for channel in warm_step["Arguments"]["TrainingJobDefinition"]["InputDataConfig"]:
        channel["DataSource"]["S3DataSource"]["S3Uri"] = "s3://unused/"
    warm_step = json.dumps(warm_step)
    renamed = warm_step.replace('"eta"', '"learning_rate"')  # the parent tuned `eta`
    too_many = warm_step.replace('"MaxNumberOfTrainingJobs": 6', '"MaxNumberOfTrainingJobs": 745')
    for name, step, detail in (
            ("renamed-ranges", renamed, RENAMED_HYPERPARAMETERS),
            ("too-many-jobs", too_many, "The parent tuning jobs launched 6 training jobs; with "
                                        "MaxNumberOfTrainingJobs 745 the warm start tuning job would count 751, "
                                        "more than the limit of 750 training jobs per tuning job.")):
        definition = {**built, "Steps": [json.loads(step)]}
        sagemaker.create_pipeline(PipelineName=name, PipelineDefinition=json.dumps(definition),
                                  RoleArn=config.sagemaker_execution_role_arn)
        execution = PipelineExecution.start(session, name, {PARENT_PARAMETER: tuning_job},
                                            poll_seconds=target.poll_seconds)
        assert execution.wait()["PipelineExecutionStatus"] == "Failed"
        [failed] = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=execution.arn)["PipelineExecutionSteps"]
        assert failed["StepStatus"] == "Failed"
        assert failed["FailureReason"] == ("ClientError: Failed to invoke sagemaker:CreateHyperParameterTuningJob. "
                                           f"Error Details: {detail}")
