"""Make the four CSV files the pipelines read from the raw data set, deterministically, and upload them.

Column order (the pipelines' scripts rely on it):
- training parts: header `Age,Shape,Margin,Density,Severity`, missing values empty (preprocess imputes them);
- batch files: `Age,Shape,Margin,Density`, no header (the model's input, label-less, as batch transform sends it).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.aws import Target
from pipelines.aws_calls import explained_aws_errors
from pipelines.config import FEATURES, REPO_ROOT, EnvConfig, load_config
from pipelines.data.raw import LABEL, RawData, Record, read_raw
from pipelines.files import check_output_dir, write_files

logger = logging.getLogger(__name__)

DEFAULT_RAW = REPO_ROOT / "data" / "mammographic_masses.data"
DEFAULT_OUTPUT = REPO_ROOT / "build" / "data"
SEED = 20240601
BATCH_SIZE = 150  # records held out as unlabelled batch-inference input
OUTLIER_FRACTION = 0.3  # share of batch rows that get an outlier or a missing value

TRAIN_PART1 = "mammo-train-dataset-part1.csv"
TRAIN_PART2 = "mammo-train-dataset-part2.csv"
BATCH = "mammo-batch-dataset.csv"
BATCH_OUTLIERS = "mammo-batch-dataset-outliers.csv"
# Where each file lives in a workload data bucket. The pipelines' input URIs name these folders (InputDataUri
# data/train/ or data/train/part1/, BatchDataUri data/batch/clean/ or data/batch/outliers/), and Terraform's
# retraining rule reads data/train/.
S3_KEYS = {
    TRAIN_PART1: f"data/train/part1/{TRAIN_PART1}",
    TRAIN_PART2: f"data/train/part2/{TRAIN_PART2}",
    BATCH: f"data/batch/clean/{BATCH}",
    BATCH_OUTLIERS: f"data/batch/outliers/{BATCH_OUTLIERS}",
}
TRAIN_COLUMNS = (*FEATURES, LABEL)


@dataclass(frozen=True)
class PreparedData:
    files: dict[str, Path]
    part1: list[Record]
    part2: list[Record]
    batch: list[Record]
    outlier_rows: int


def split(raw: RawData, seed: int = SEED) -> tuple[list[Record], list[Record], list[Record]]:
    """Seeded split: the batch from complete records, the rest shuffled into two halves, part 1 and part 2."""
    rng = np.random.default_rng(seed)
    complete = [r for r in raw.records if r.complete]
    batch_size = min(BATCH_SIZE, len(complete) // 2)
    batch_lines = {complete[i].line for i in rng.permutation(len(complete))[:batch_size]}
    batch = [r for r in raw.records if r.line in batch_lines]
    rest = [r for r in raw.records if r.line not in batch_lines]
    order = rng.permutation(len(rest))
    half = (len(rest) + 1) // 2
    part1 = sorted((rest[i] for i in order[:half]), key=lambda r: r.line)
    part2 = sorted((rest[i] for i in order[half:]), key=lambda r: r.line)
    return part1, part2, batch


def with_outliers(batch: list[Record], seed: int = SEED) -> tuple[list[list[int | None]], int]:
    """The batch rows with a seeded share corrupted the way drifting production data would be.

    Every corrupted row gets an age ten times too high (a unit or entry error): the outliers all move the
    same way, so the age distribution itself drifts (about 30% of its mass moves past the baseline's
    maximum), not only a few extreme values. Two thirds of them also lose a value or get a code outside its
    range, so completeness drops below the baseline's 100% as well.
    """
    rng = np.random.default_rng(seed + 1)
    rows = [[r.values[name] for name in FEATURES] for r in batch]
    chosen = sorted(rng.choice(len(rows), size=round(len(rows) * OUTLIER_FRACTION), replace=False).tolist())
    for position, index in enumerate(chosen):
        row = rows[index]
        row[0] = row[0] * 10  # Age
        if position % 3 == 1:
            row[1] = None  # Shape missing
        elif position % 3 == 2:
            row[2], row[3] = 9, None  # Margin outside 1-5, Density missing
    return rows, len(chosen)


def prepare(raw: RawData, output_dir: Path, seed: int = SEED, option: str = "--output-dir") -> PreparedData:
    """Write the four files to `output_dir`, all of them or none (a bad folder is a UsageError naming `option`)."""
    output_dir = check_output_dir(Path(output_dir), option)
    part1, part2, batch = split(raw, seed)
    outlier_rows, corrupted = with_outliers(batch, seed)
    contents = {
        TRAIN_PART1: _csv([[r.values[c] for c in TRAIN_COLUMNS] for r in part1], header=TRAIN_COLUMNS),
        TRAIN_PART2: _csv([[r.values[c] for c in TRAIN_COLUMNS] for r in part2], header=TRAIN_COLUMNS),
        BATCH: _csv([[r.values[c] for c in FEATURES] for r in batch]),
        BATCH_OUTLIERS: _csv(outlier_rows),
    }
    paths = write_files(output_dir, contents, option)
    return PreparedData(dict(zip(contents, paths, strict=True)), part1, part2, batch, corrupted)


def _csv(rows: list[list[int | None]], header: tuple[str, ...] | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue()


def accounting(raw: RawData, prepared: PreparedData) -> list[str]:
    """Where every record went and every rule applied, as lines for the user."""
    lines = [f"read {len(raw.records)} records from {raw.path}"]
    for issue in raw.out_of_range:
        lines.append(f"line {issue.line}: {issue.column} {issue.value} is outside "
                     "its documented range; treated as missing")
    missing = ", ".join(f"{column} {count}" for column, count in raw.missing.items() if count)
    lines.append(f"missing values after the rules: {missing or 'none'}")
    total = len(prepared.part1) + len(prepared.part2) + len(prepared.batch)
    lines.append(f"{TRAIN_PART1}: {len(prepared.part1)} records; {TRAIN_PART2}: {len(prepared.part2)} records; "
                 f"{BATCH}: {len(prepared.batch)} records (all features present); total {total} of "
                 f"{len(raw.records)}")
    lines.append(f"{BATCH_OUTLIERS}: the {len(prepared.batch)} batch records, {prepared.outlier_rows} of them "
                 "with an outlier or missing value")
    return lines


def upload(config: EnvConfig, files: dict[str, Path], target: Target) -> list[str]:
    """Upload to the workload data bucket (SSE-KMS with the workload key); returns the S3 URIs written."""
    bucket = config.require_workload().data_bucket_name
    s3 = target.session(config.account_id, config.aws_region).client("s3")
    uris = []
    for name, path in sorted(files.items()):
        key = S3_KEYS[name]
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType="text/csv",
                      ServerSideEncryption="aws:kms", SSEKMSKeyId=config.workload_kms_alias_arn)
        uris.append(f"s3://{bucket}/{key}")
        logger.info("uploaded %s", uris[-1])
    return uris


@dataclass(frozen=True)
class PrepareRequest:
    env: str
    raw: Path = DEFAULT_RAW
    output_dir: Path = DEFAULT_OUTPUT
    upload: bool = True
    """Upload to the workload data bucket (else write the files locally only)."""


@dataclass(frozen=True)
class PrepareResult:
    accounting: tuple[str, ...]
    """Where every record went and every rule applied, as lines for the user."""
    files: tuple[Path, ...]
    uploaded: tuple[str, ...]
    """The S3 URIs written (none without upload)."""


def prepare_data(request: PrepareRequest, target: Target | None = None) -> PrepareResult:
    """`prepare-data`: check the raw file and the output folder, write the four files, upload them to the
    environment's data bucket through `target` (needed when `request.upload`)."""
    config = load_config(request.env)
    if request.upload and target is None:
        raise ValueError("uploading needs a target")
    check_output_dir(request.output_dir, "--output-dir")
    raw = read_raw(request.raw)
    prepared = prepare(raw, request.output_dir)
    uploaded: list[str] = []
    if request.upload:
        with explained_aws_errors(f"uploading to s3://{config.require_workload().data_bucket_name}"):
            uploaded = upload(config, prepared.files, target)
    return PrepareResult(tuple(accounting(raw, prepared)), tuple(sorted(prepared.files.values())), tuple(uploaded))
