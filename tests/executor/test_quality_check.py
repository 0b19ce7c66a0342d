"""QualityCheck steps and model-monitor processing jobs run the local data-quality analyzer on the local stack."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipelines.pipeline_definition.errors import PipelineDefinitionError

from .helpers import XGBOOST_IMAGE, csv, definition, quality_check, statuses

BATCH = [{"Name": "BatchDataUri", "Type": "String", "DefaultValue": "s3://unused/"}]


@pytest.fixture
def data(put) -> dict[str, str]:
    rng = np.random.default_rng(5)
    clean = rng.normal(size=(400, 3))
    drifted = rng.normal(size=(400, 3))
    drifted[:, 1] += 4  # the second feature's distribution moved far beyond the threshold
    return {
        "baseline": put("monitor/baseline/train.csv", csv(clean)),
        "clean": put("monitor/clean/batch.csv", csv(rng.normal(size=(200, 3)))).rsplit("/", 1)[0] + "/",
        "drifted": put("monitor/drifted/batch.csv", csv(drifted)).rsplit("/", 1)[0] + "/",
        "missing": put("monitor/missing/batch.csv", csv(clean[:200, :2])).rsplit("/", 1)[0] + "/",
    }


def baseline_then_check(bucket: str, data: dict, **check) -> str:
    baseline = quality_check("Baseline", data["baseline"], f"s3://{bucket}/baseline", skip_check=True,
                             register_new=True)
    checked = quality_check("Check", {"Get": "Parameters.BatchDataUri"}, f"s3://{bucket}/check",
                            statistics={"Get": "Steps.Baseline.CalculatedBaselineStatistics"},
                            constraints={"Get": "Steps.Baseline.CalculatedBaselineConstraints"}, **check)
    return definition(baseline, checked, parameters=BATCH)


def test_a_baseline_then_a_clean_batch_passes_the_check(executor, bucket, data, read):
    record = executor.run_definition(baseline_then_check(bucket, data), "monitor", {"BatchDataUri": data["clean"]})

    assert record.status == "Succeeded", record.failure_reason
    baseline = record.step("Baseline").properties
    assert baseline == {
        "CalculatedBaselineStatistics": f"s3://{bucket}/baseline/statistics.json",
        "CalculatedBaselineConstraints": f"s3://{bucket}/baseline/constraints.json",
        # RegisterNewBaseline: the new baseline is the one a registered model records for drift checks
        "BaselineUsedForDriftCheckStatistics": f"s3://{bucket}/baseline/statistics.json",
        "BaselineUsedForDriftCheckConstraints": f"s3://{bucket}/baseline/constraints.json",
    }
    features = json.loads(read(baseline["CalculatedBaselineConstraints"]))["features"]
    assert [feature["name"] for feature in features] == ["_c0", "_c1", "_c2"]
    check = record.step("Check")
    assert check.properties["BaselineUsedForDriftCheckStatistics"] == baseline["CalculatedBaselineStatistics"]
    assert json.loads(read(f"s3://{bucket}/check/constraint_violations.json")) == {"violations": []}
    assert check.metadata["QualityCheck"]["ViolationReport"] == f"s3://{bucket}/check/constraint_violations.json"


def test_a_drifted_batch_fails_the_check_naming_the_violations(executor, bucket, data, read):
    record = executor.run_definition(baseline_then_check(bucket, data), "monitor", {"BatchDataUri": data["drifted"]})

    assert statuses(record) == {"Baseline": "Succeeded", "Check": "Failed"}
    reason = record.step("Check").failure_reason
    assert reason.startswith("ClientError: Quality check failed")
    assert "CompletedWithViolations: 1 violation(s): baseline_drift_check on _c1" in reason
    assert f"s3://{bucket}/check/constraint_violations.json" in reason
    violations = json.loads(read(f"s3://{bucket}/check/constraint_violations.json"))["violations"]
    assert [(v["feature_name"], v["constraint_check_type"]) for v in violations] == [("_c1", "baseline_drift_check")]
    # The properties the step produced stay readable on the failed step.
    assert record.step("Check").properties["CalculatedBaselineStatistics"] == f"s3://{bucket}/check/statistics.json"


def test_a_missing_column_is_a_violation_and_fail_on_violation_false_lets_the_step_succeed(executor, bucket, data,
                                                                                           read):
    record = executor.run_definition(baseline_then_check(bucket, data, fail_on_violation=False), "monitor",
                                     {"BatchDataUri": data["missing"]})

    assert record.status == "Succeeded", record.failure_reason
    violations = json.loads(read(f"s3://{bucket}/check/constraint_violations.json"))["violations"]
    assert ("_c2", "missing_column_check") in [(v["feature_name"], v["constraint_check_type"]) for v in violations]


def test_without_a_supplied_baseline_the_latest_approved_version_provides_it(executor, bucket, data, dev_config,
                                                                            model_package_group):
    first = executor.run_definition(definition(quality_check(
        "Baseline", data["baseline"], f"s3://{bucket}/baseline", skip_check=True, register_new=True)), "baseline")
    check = definition(quality_check("Check", data["drifted"], f"s3://{bucket}/check",
                                     group=dev_config.model_package_group_arn))

    no_version = executor.run_definition(check, "monitor")
    assert "has no Approved version to take it from" in no_version.step("Check").failure_reason

    baseline = first.step("Baseline").properties
    model_package_group.create_model_package(
        ModelPackageGroupName=dev_config.model_package_group_arn, ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://{bucket}/m.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        DriftCheckBaselines={"ModelDataQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": baseline["CalculatedBaselineStatistics"]},
            "Constraints": {"ContentType": "application/json", "S3Uri": baseline["CalculatedBaselineConstraints"]}}})
    record = executor.run_definition(check, "monitor")

    assert "baseline_drift_check on _c1" in record.step("Check").failure_reason
    assert record.step("Check").properties["BaselineUsedForDriftCheckConstraints"] == \
        baseline["CalculatedBaselineConstraints"]


def test_a_processing_job_with_the_analyzer_image_writes_the_baseline(executor, bucket, data, read):
    job = quality_check("Profile", data["baseline"], f"s3://{bucket}/profile")
    job["Type"] = "Processing"
    for key in ("CheckType", "ModelPackageGroupName", "SkipCheck", "FailOnViolation", "RegisterNewBaseline",
                "SuppliedBaselineStatistics", "SuppliedBaselineConstraints"):
        job.pop(key)

    record = executor.run_definition(definition(job), "profile")

    assert record.status == "Succeeded", record.failure_reason
    statistics = json.loads(read(f"s3://{bucket}/profile/statistics.json"))
    assert statistics["dataset"]["item_count"] == 400
    assert record.step("Profile").properties["ProcessingJobStatus"] == "Completed"


def test_model_quality_checks_are_refused_before_anything_runs(executor, bucket, data, store):
    step = quality_check("Check", data["baseline"], f"s3://{bucket}/check", skip_check=True)
    step["CheckType"] = "MODEL_QUALITY"
    with pytest.raises(PipelineDefinitionError, match=r"CheckType 'MODEL_QUALITY': .* emulates DATA_QUALITY"):
        executor.run_definition(definition(step), "monitor")
    assert store.list() == []
