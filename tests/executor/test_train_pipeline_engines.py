"""The real train definition on the `processing` drift-check engine, run by the executor in dev: the baseline
is a processing job on the scikit-learn image running the project's analyzer script, and the registered
version carries it as its DriftCheckBaselines, readable by the Model Monitor engine's check."""

from __future__ import annotations

import dataclasses
import json

import pytest

from localaws.monitor.container import COMPLETED, run_data_quality_container
from pipelines import s3_uri
from pipelines.aws import session_for_account
from pipelines.config import PROCESSING, load_config
from pipelines.data.prepare import BATCH
from pipelines.definitions import definition_json_for
from pipelines.train import pipeline as train


@pytest.fixture(scope="module")
def processing_config():
    config = load_config("dev")
    pipeline = dataclasses.replace(config.workload.pipeline, drift_check_engine=PROCESSING,
                                   model_approval_status="Approved")
    return dataclasses.replace(config, workload=dataclasses.replace(config.workload, pipeline=pipeline))


@pytest.fixture
def dev_data(processing_config, provision_train_inputs, dev_session) -> dict:
    """What Terraform, prepare-data and run-pipeline provide: buckets, group, data and the code assets."""
    config = processing_config
    files = provision_train_inputs(config)
    s3 = dev_session.client("s3")
    for asset in train.code_assets(config):
        s3.upload_file(str(asset.path), asset.bucket, asset.key)
    return files


def test_the_processing_engine_baselines_and_registers_drift_check_baselines(
        executor, processing_config, dev_data, tmp_path):
    config = processing_config
    definition = definition_json_for(train.build(config))
    assert "model-monitor" not in definition
    assert "QualityCheck" not in definition

    record = executor.run_definition(definition, config.workload.train_pipeline_name)

    assert record.status == "Succeeded", record.failure_reason
    baseline_step = next(step for step in record.steps if step.name == train.STEP_BASELINE)
    assert (baseline_step.type, baseline_step.status) == ("Processing", "Succeeded")

    registry = session_for_account(config.accounts.registry, config.aws_region)
    sagemaker = registry.client("sagemaker")
    summary = sagemaker.list_model_packages(ModelPackageGroupName=config.model_package_group_arn)
    package = sagemaker.describe_model_package(
        ModelPackageName=summary["ModelPackageSummaryList"][0]["ModelPackageArn"])
    drift = package["DriftCheckBaselines"]["ModelDataQuality"]
    metrics = package["ModelMetrics"]["ModelDataQuality"]
    assert drift == metrics
    assert drift["Statistics"]["S3Uri"].endswith("/statistics.json")
    assert drift["Constraints"]["S3Uri"].endswith("/constraints.json")

    # The Model Monitor engine's check reads the baseline this engine registered: the clean batch passes.
    s3 = registry.client("s3")
    baseline_dir = tmp_path / "registered"
    baseline_dir.mkdir()
    for name in ("Statistics", "Constraints"):
        bucket, key = s3_uri.split(drift[name]["S3Uri"])
        (baseline_dir / key.rsplit("/", 1)[-1]).write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    constraints = json.loads((baseline_dir / "constraints.json").read_text())
    assert [feature["name"] for feature in constraints["features"]] == ["_c0", "_c1", "_c2", "_c3"]
    result = run_data_quality_container(
        {"dataset_format": json.dumps({"csv": {"header": False}}), "dataset_source": str(dev_data[BATCH]),
         "baseline_statistics": str(baseline_dir / "statistics.json"),
         "baseline_constraints": str(baseline_dir / "constraints.json")},
        dev_data[BATCH].parent, tmp_path / "check")
    assert (result.status, result.violations) == (COMPLETED, [])
