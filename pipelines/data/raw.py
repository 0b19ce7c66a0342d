"""Parse and validate the raw UCI `mammographic_masses.data` file (rules documented in data/README.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.config import FEATURES
from pipelines.errors import UsageError
from pipelines.files import read_text_file
from pipelines.parsing import strict_int

RAW_COLUMNS = ("BI-RADS", "Age", "Shape", "Margin", "Density", "Severity")
LABEL = "Severity"
# Documented ranges; a value outside its range is reported and treated as missing.
VALID_RANGES = {"BI-RADS": (1, 5), "Age": (1, 120), "Shape": (1, 4), "Margin": (1, 5), "Density": (1, 4)}
MISSING = "?"


class MalformedDataError(UsageError):
    """The raw file has a row that cannot be read without guessing; the message names the line."""


@dataclass(frozen=True)
class Record:
    line: int
    values: dict[str, int | None]  # feature name -> value or None when missing; Severity always set

    @property
    def complete(self) -> bool:
        return all(self.values[name] is not None for name in FEATURES)


@dataclass(frozen=True)
class OutOfRange:
    line: int
    column: str
    value: int


@dataclass
class RawData:
    path: Path
    records: list[Record]
    out_of_range: list[OutOfRange]
    missing: dict[str, int] = field(default_factory=dict)  # column -> count of missing values after the rules


def read_raw(path: Path) -> RawData:
    """Read every line of the raw file; raise MalformedDataError naming the first unreadable line."""
    path = Path(path)
    text = read_text_file(path, "raw data file")
    records, out_of_range = [], []
    missing = dict.fromkeys(RAW_COLUMNS, 0)
    # Lines end at "\n" only (the text reader has turned "\r\n" into it): str.splitlines() would also break a
    # line at characters such as "\x85" or "\u2028" inside a field and then name the wrong line.
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        fields = line.split(",")
        if len(fields) != len(RAW_COLUMNS):
            raise MalformedDataError(
                f"{path}: line {number}: expected {len(RAW_COLUMNS)} comma-separated fields "
                f"({','.join(RAW_COLUMNS)}), got {len(fields) if line else 0}: {line!r}"
            )
        values: dict[str, int | None] = {}
        for column, raw in zip(RAW_COLUMNS, fields, strict=True):
            values[column] = _value(path, number, column, raw)
        if values[LABEL] not in (0, 1):
            raise MalformedDataError(
                f"{path}: line {number}: Severity must be 0 or 1 (a label cannot be imputed), got {fields[-1]!r}"
            )
        for column, (low, high) in VALID_RANGES.items():
            value = values[column]
            if value is not None and not low <= value <= high:
                out_of_range.append(OutOfRange(number, column, value))
                values[column] = None
        for column in RAW_COLUMNS:
            missing[column] += values[column] is None
        records.append(Record(number, values))
    if not records:
        raise MalformedDataError(f"{path}: the file holds no records")
    return RawData(path, records, out_of_range, missing)


def _value(path: Path, line: int, column: str, raw: str) -> int | None:
    if raw == MISSING:
        return None
    # A negative number is an integer: the range rule then reports it and treats it as missing.
    value = strict_int(raw, negative=True)
    if value is None:
        raise MalformedDataError(
            f"{path}: line {line}: field {column} is {raw!r}; expected an integer in the digits 0-9 (a leading '-' "
            f"at most; no spaces, underscores or '+') or '{MISSING}' for missing"
        )
    return value
