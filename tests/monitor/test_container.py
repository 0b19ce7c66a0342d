"""The analyzer container contract: the environment the SageMaker SDK writes, files AWS's own classes read."""

from __future__ import annotations

import json
from pathlib import Path

# isort: off
import pipelines.sdk_quiet  # noqa: F401  (imports the SDK without adding a root log handler)

# isort: on
import boto3
import pytest
from sagemaker.core.helper.session_helper import Session
from sagemaker.core.model_monitor.dataset_format import DatasetFormat
from sagemaker.core.model_monitor.monitoring_files import Constraints, ConstraintViolations, Statistics
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
from sagemaker.mlops.workflow.quality_check_step import DataQualityCheckConfig, QualityCheckStep

from localaws.monitor.container import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    CONSTRAINTS_FILE,
    STATISTICS_FILE,
    VIOLATIONS_FILE,
    run_data_quality_container,
)
from pipelines.config import load_config
from pipelines.errors import UsageError

from .conftest import write_csv

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

CONTAINER_BASE = "/opt/ml/processing"


def sdk_environment(tmp_path: Path) -> dict[str, str]:
    """The Environment the installed SDK puts in a QualityCheck step, with /opt/ml/processing remapped locally."""
    boto_session = boto3.Session(region_name="us-east-1")  # fake keys from tests/conftest.py; no call is made
    session = PipelineSession(boto_session=boto_session, default_bucket="unused-bucket")
    step = QualityCheckStep(
        name="DataQuality",
        quality_check_config=DataQualityCheckConfig(baseline_dataset="s3://bucket/baseline/",
                                                    dataset_format=DatasetFormat.csv(header=False),
                                                    output_s3_uri="s3://bucket/output"),
        check_job_config=CheckJobConfig(role=f"arn:aws:iam::{ACCOUNTS.dev}:role/r", instance_count=1,
                                        instance_type="ml.m5.large", sagemaker_session=session),
        skip_check=True, register_new_baseline=True, model_package_group_name="group",
    )
    environment = step.arguments["Environment"]
    assert environment["dataset_source"].startswith(CONTAINER_BASE)  # the contract this test relies on
    return {key: value.replace(CONTAINER_BASE, str(tmp_path)) for key, value in environment.items()}


@pytest.fixture
def baseline_job(tmp_path, split):
    environment = sdk_environment(tmp_path)
    write_csv(split[0], Path(environment["dataset_source"]) / "baseline.csv")
    result = run_data_quality_container(environment, tmp_path / "input", Path(environment["output_path"]))
    return environment, result


def _check(tmp_path: Path, baseline_result, batch, name="check") -> tuple[dict, object]:
    environment = sdk_environment(tmp_path / name)
    write_csv(batch, Path(environment["dataset_source"]) / "batch.csv")
    environment["baseline_statistics"] = str(baseline_result.files[STATISTICS_FILE])
    environment["baseline_constraints"] = str(baseline_result.files[CONSTRAINTS_FILE])
    output = Path(environment["output_path"])
    return environment, run_data_quality_container(environment, tmp_path / name / "input", output)


def test_baseline_job_writes_statistics_and_constraints(baseline_job, split):
    environment, result = baseline_job
    assert result.status == COMPLETED
    assert set(result.files) == {STATISTICS_FILE, CONSTRAINTS_FILE}
    statistics = json.loads(result.files[STATISTICS_FILE].read_text())
    assert statistics["dataset"]["item_count"] == len(split[0])
    assert Path(environment["output_path"], CONSTRAINTS_FILE).is_file()


def test_check_job_on_clean_data_completes(tmp_path, baseline_job, split):
    _, result = _check(tmp_path, baseline_job[1], split[1])
    assert result.status == COMPLETED
    assert json.loads(result.files[VIOLATIONS_FILE].read_text()) == {"violations": []}
    assert json.loads(result.files[STATISTICS_FILE].read_text())["dataset"]["item_count"] == 150


def test_check_job_on_drifted_data_completes_with_violations(tmp_path, baseline_job, split):
    drifted = split[1].assign(_c0=lambda f: f["_c0"] * 3)
    _, result = _check(tmp_path, baseline_job[1], drifted)
    assert result.status == COMPLETED_WITH_VIOLATIONS
    written = json.loads(result.files[VIOLATIONS_FILE].read_text())["violations"]
    assert written == result.violations
    assert [(v["feature_name"], v["constraint_check_type"]) for v in written] == [("_c0", "baseline_drift_check")]


def test_outputs_parse_with_the_sdk_classes_from_s3(aws, tmp_path, baseline_job, split):
    _, check = _check(tmp_path, baseline_job[1], split[1].drop(columns="_c3"))
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="monitoring-outputs")
    uris = {}
    for result, prefix in ((baseline_job[1], "baseline"), (check, "check")):
        for name, path in result.files.items():
            s3.upload_file(str(path), "monitoring-outputs", f"{prefix}/{name}")
            uris[f"{prefix}/{name}"] = f"s3://monitoring-outputs/{prefix}/{name}"
    session = Session(boto_session=boto3.Session(region_name="us-east-1"))

    statistics = Statistics.from_s3_uri(uris["baseline/statistics.json"], sagemaker_session=session)
    constraints = Constraints.from_s3_uri(uris["baseline/constraints.json"], sagemaker_session=session)
    violations = ConstraintViolations.from_s3_uri(uris["check/constraint_violations.json"],
                                                  sagemaker_session=session)
    assert [f["name"] for f in statistics.body_dict["features"]] == ["_c0", "_c1", "_c2", "_c3"]
    assert statistics.body_dict["dataset"]["item_count"] == len(split[0])
    constraints.set_monitoring(False, feature_name="_c0")  # the SDK edits the document we wrote
    assert constraints.body_dict["features"][0]["monitoring_config_overrides"] == {"evaluate_constraints": "Disabled"}
    assert [v["constraint_check_type"] for v in violations.body_dict["violations"]] == ["missing_column_check"]


def test_environment_errors_name_the_field(tmp_path, baseline_job):
    environment, result = baseline_job
    cases = [
        ({**environment, "dataset_format": '{"json": {"lines": true}}'}, "DatasetFormat.csv"),
        ({k: v for k, v in environment.items() if k != "dataset_format"}, "'dataset_format' is missing"),
        ({**environment, "baseline_statistics": str(result.files[STATISTICS_FILE])}, "'baseline_constraints'"),
        ({**environment, "dataset_source": str(tmp_path / "nowhere")}, "does not exist"),
        ({**environment, "analysis_type": "MODEL_QUALITY"}, "analysis_type 'MODEL_QUALITY'"),
        ({**environment, "record_preprocessor_script": "/x/pre.py"}, "'record_preprocessor_script'"),
        ({**environment, "baseline_statistics": "s3://b/statistics.json",
          "baseline_constraints": "s3://b/constraints.json"}, "must download it"),
    ]
    for bad, message in cases:
        with pytest.raises(UsageError, match=message):
            run_data_quality_container(bad, tmp_path, tmp_path / "out")


def test_unreadable_csv_names_the_file(tmp_path):
    source = tmp_path / "data"
    source.mkdir()
    (source / "rows.csv").write_text("1,2\n3,4\n5,6,7,8\n")
    environment = {"dataset_format": json.dumps(DatasetFormat.csv(header=False)), "dataset_source": str(source)}
    with pytest.raises(UsageError, match=r"rows\.csv is not a readable CSV"):
        run_data_quality_container(environment, tmp_path, tmp_path / "out")


def test_header_names_columns_and_every_file_is_read(tmp_path, split):
    source = tmp_path / "data"
    frame = split[1].rename(columns={"_c0": "Age", "_c1": "Shape", "_c2": "Margin", "_c3": "Density"})
    write_csv(frame.iloc[:100], source / "a.csv", header=True)
    write_csv(frame.iloc[100:], source / "nested" / "b.csv", header=True)
    environment = {"dataset_format": json.dumps(DatasetFormat.csv(header=True)), "dataset_source": str(source)}
    result = run_data_quality_container(environment, tmp_path, tmp_path / "out")
    statistics = json.loads(result.files[STATISTICS_FILE].read_text())
    assert [f["name"] for f in statistics["features"]] == ["Age", "Shape", "Margin", "Density"]
    assert statistics["dataset"]["item_count"] == 150
