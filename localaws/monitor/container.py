"""The local stand-in for the SageMaker model-monitor analyzer image (`sagemaker-model-monitor-analyzer`).

The executor calls `run_data_quality_container` for a QualityCheck step (QualityCheckStep, and the monitoring half
of MonitorBatchTransformStep) after downloading the processing inputs under `input_dir` and remapping the
`/opt/ml/processing/...` paths of the step's Environment to local ones. The environment is what the SDK writes
for the image, plus what the SageMaker service adds when a baseline is supplied (container contract inputs):

- dataset_format: '{"csv": {"header": false, "output_columns_position": "START"}}'
- dataset_source: the local directory of the dataset (default: `input_dir`)
- output_path: where the container writes (the caller's `output_dir` is authoritative)
- baseline_statistics / baseline_constraints: local paths of the supplied baseline files; with both set the job
  checks the data (writes statistics.json and constraint_violations.json), without them it suggests a baseline
  (writes statistics.json and constraints.json)
- publish_cloudwatch_metrics: accepted; metrics are not emitted locally
- categorical_drift_method: overrides the constraints' categorical drift method, as in the SageMaker image
- analysis_type MODEL_QUALITY, record_preprocessor_script and post_analytics_processor_script are refused: running
  without them would silently produce different results.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import s3_uri
from pipelines.errors import UsageError
from pipelines.monitoring import data_quality
from pipelines.monitoring.data_quality import (
    CONSTRAINTS_FILE,
    STATISTICS_FILE,
    VIOLATIONS_FILE,
    CsvFormat,
    DataQualityError,
)

log = logging.getLogger(__name__)

COMPLETED = "Completed"
COMPLETED_WITH_VIOLATIONS = "CompletedWithViolations"
_UNSUPPORTED = {
    "record_preprocessor_script": "record preprocessor scripts are not run by the local analyzer",
    "post_analytics_processor_script": "post-analytics processor scripts are not run by the local analyzer",
}


@dataclass(frozen=True)
class MonitoringResult:
    """What the job produced. `status` is the monitoring execution status SageMaker would report."""

    status: str
    output_dir: Path
    files: dict[str, Path]
    violations: list[dict] = field(default_factory=list)
    item_count: int = 0

    @property
    def has_violations(self) -> bool:
        return bool(self.violations)


def run_data_quality_container(environment: Mapping[str, str], input_dir: Path, output_dir: Path) -> MonitoringResult:
    """Run the data-quality analysis the analyzer image would run for this environment; write its files."""
    analysis_type = environment.get("analysis_type")
    if analysis_type and analysis_type != "DATA_QUALITY":
        raise UsageError(f"monitoring job environment: analysis_type {analysis_type!r} is not emulated locally; "
                         "only data quality checks are (DataQualityCheckConfig)")
    for key, reason in _UNSUPPORTED.items():
        if environment.get(key):
            raise UsageError(f"monitoring job environment: '{key}' is set but {reason}; remove it from the "
                             "check configuration")
    csv_format = parse_dataset_format(environment.get("dataset_format"))
    source = _local_path(environment.get("dataset_source"), input_dir) or Path(input_dir)
    statistics_path = _local_path(environment.get("baseline_statistics"), input_dir)
    constraints_path = _local_path(environment.get("baseline_constraints"), input_dir)
    if (statistics_path is None) != (constraints_path is None):
        missing = "baseline_constraints" if constraints_path is None else "baseline_statistics"
        raise UsageError(f"monitoring job environment: '{missing}' is missing; a check needs both the baseline "
                         "statistics and constraints (SuppliedBaselineStatistics/SuppliedBaselineConstraints)")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        if statistics_path is None:
            statistics, constraints = data_quality.run_baseline(source, output_dir, csv_format)
            log.info("baseline suggested for %d feature(s) over %d rows", len(constraints["features"]),
                     statistics["dataset"]["item_count"])
            return MonitoringResult(COMPLETED, output_dir, _files(output_dir, STATISTICS_FILE, CONSTRAINTS_FILE),
                                    [], statistics["dataset"]["item_count"])
        baseline_statistics = _read_json(statistics_path, "baseline_statistics")
        baseline_constraints = _read_json(constraints_path, "baseline_constraints")
        drift_method = environment.get("categorical_drift_method")
        if drift_method:
            baseline_constraints = data_quality.merge_settings(baseline_constraints, {"monitoring_config": {
                "distribution_constraints": {"categorical_drift_method": drift_method}}})
        profile, found = data_quality.run_check(source, output_dir, csv_format, baseline_statistics,
                                                baseline_constraints)
    except DataQualityError as error:
        raise UsageError(str(error)) from None
    # The analyzer image writes no drift_check.json: that summary is the processing engine's.
    (output_dir / data_quality.RESULT_FILE).unlink(missing_ok=True)
    status = COMPLETED_WITH_VIOLATIONS if found else COMPLETED
    log.info("checked %d rows: %s (%d violation(s))", profile.item_count, status, len(found))
    return MonitoringResult(status, output_dir, _files(output_dir, STATISTICS_FILE, VIOLATIONS_FILE), found,
                            profile.item_count)


def _files(output_dir: Path, *names: str) -> dict[str, Path]:
    return {name: output_dir / name for name in names}


def parse_dataset_format(text: str | None) -> CsvFormat:
    """Parse the `dataset_format` environment value; only CSV is emulated locally."""
    if not text:
        raise UsageError("monitoring job environment: 'dataset_format' is missing; the SageMaker SDK sets it, "
                         "e.g. DatasetFormat.csv(header=False)")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"monitoring job environment: 'dataset_format' is not valid JSON ({error.msg}): "
                         f"{text!r}") from None
    if not isinstance(value, dict) or "csv" not in value:
        raise UsageError(f"monitoring job environment: 'dataset_format' {text!r} is not supported by the local "
                         "analyzer; use DatasetFormat.csv(...) (JSON and Parquet datasets are not emulated)")
    options = value["csv"] or {}
    header = options.get("header", True)
    if isinstance(header, str) and header.lower() in ("true", "false"):
        header = header.lower() == "true"
    if not isinstance(header, bool):
        raise UsageError(f"monitoring job environment: 'dataset_format' csv.header must be true or false, "
                         f"got {header!r}")
    return CsvFormat(header=header)


def _local_path(value: str | None, input_dir: Path) -> Path | None:
    if not value:
        return None
    if s3_uri.is_s3_uri(value):
        raise UsageError(f"monitoring job environment holds the S3 URI {value}; the executor must download it "
                         "and pass the local path")
    path = Path(value)
    return path if path.is_absolute() else Path(input_dir) / path


def _read_json(path: Path, what: str) -> dict:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"monitoring job environment: {what} file {path} does not exist") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"monitoring job environment: {what} file {path} is not valid JSON "
                         f"(line {error.lineno}: {error.msg})") from None
    if not isinstance(document, dict):
        raise UsageError(f"monitoring job environment: {what} file {path} must hold a JSON object")
    return document
