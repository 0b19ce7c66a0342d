"""Reading a monitoring job's dataset: every CSV file under `dataset_source`, in chunks.

The analyzer container is given a directory (the processing input's local path) and a `dataset_format` JSON,
as the SageMaker SDK writes it: {"csv": {"header": true|false, "output_columns_position": "START"}}. Without a
header, columns are named `_c0`, `_c1`, ... as the SageMaker analyzer names them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.errors import UsageError

CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class CsvFormat:
    header: bool


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


def dataset_files(source: Path) -> list[Path]:
    """The files of a dataset: the file itself, or every regular file under the directory, sorted by path."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise UsageError(f"monitoring dataset_source {source} does not exist; the processing input was not "
                         "downloaded there")
    files = sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise UsageError(f"monitoring dataset_source {source} holds no file: the input S3 prefix was empty")
    return files


def read_chunks(files: list[Path], csv_format: CsvFormat, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Yield DataFrame chunks of every file; columns named from the header or `_c<i>`."""
    for path in files:
        try:
            reader = pd.read_csv(path, header=0 if csv_format.header else None, chunksize=chunk_rows)
            for chunk in reader:
                if not csv_format.header:
                    chunk.columns = [f"_c{i}" for i in range(chunk.shape[1])]
                yield chunk
        except pd.errors.EmptyDataError:
            continue  # an empty file adds no rows; an empty dataset is reported by the caller
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            raise UsageError(f"monitoring dataset file {path} is not a readable CSV: {error}") from None
