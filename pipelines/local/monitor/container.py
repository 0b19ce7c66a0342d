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

from pipelines.errors import UsageError
from pipelines.local.monitor import analyzer
from pipelines.local.monitor.dataset import dataset_files, parse_dataset_format, read_chunks
from pipelines.local.monitor.profile import DatasetProfile

log = logging.getLogger(__name__)

STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
VIOLATIONS_FILE = "constraint_violations.json"
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
    files = dataset_files(source)
    log.info("analysing %d file(s) under %s (header=%s)", len(files), source, csv_format.header)

    if statistics_path is None:
        statistics, constraints = analyzer.baseline(read_chunks(files, csv_format))
        written = {STATISTICS_FILE: _write(output_dir / STATISTICS_FILE, statistics, indent=None),
                   CONSTRAINTS_FILE: _write(output_dir / CONSTRAINTS_FILE, constraints)}
        log.info("baseline suggested for %d feature(s) over %d rows", len(constraints["features"]),
                 statistics["dataset"]["item_count"])
        return MonitoringResult(COMPLETED, output_dir, written, [], statistics["dataset"]["item_count"])

    baseline_statistics = _read_json(statistics_path, "baseline_statistics")
    baseline_constraints = _read_json(constraints_path, "baseline_constraints")
    drift_method = environment.get("categorical_drift_method")
    if drift_method:
        baseline_constraints = analyzer.merge_settings(baseline_constraints, {"monitoring_config": {
            "distribution_constraints": {"categorical_drift_method": drift_method}}})
    profile = DatasetProfile()
    for chunk in read_chunks(files, csv_format):
        profile.add(chunk, analyzer.constraint_domains(baseline_constraints))
    if not profile.item_count:
        raise UsageError(f"the monitored dataset under {source} has no rows")
    found = analyzer.violations(profile, baseline_statistics, baseline_constraints)
    written = {STATISTICS_FILE: _write(output_dir / STATISTICS_FILE, profile.to_statistics(), indent=None),
               VIOLATIONS_FILE: _write(output_dir / VIOLATIONS_FILE, {"violations": found})}
    status = COMPLETED_WITH_VIOLATIONS if found else COMPLETED
    log.info("checked %d rows: %s (%d violation(s))", profile.item_count, status, len(found))
    return MonitoringResult(status, output_dir, written, found, profile.item_count)


def _local_path(value: str | None, input_dir: Path) -> Path | None:
    if not value:
        return None
    if value.startswith("s3://"):
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


def _write(path: Path, document: dict, indent: int | None = 2) -> Path:
    """statistics.json (thousands of sketch items, read by programs) is written compact, the others indented."""
    path.write_text(json.dumps(document, indent=indent) + "\n")
    return path
