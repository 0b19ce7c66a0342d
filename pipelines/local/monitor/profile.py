"""Streaming per-column profile of a tabular dataset: the numbers behind statistics.json.

A dataset is read as a sequence of pandas chunks; every column keeps only mergeable, bounded state (counts, a
Welford mean/variance, min/max, a KLL sketch and, while the column has few distinct values, exact value counts),
so the memory used does not grow with the number of rows.

Types follow the SageMaker analyzer's (Deequ's) rule: a column with any non-numeric value is `String`, else
`Fractional` if any value has a fractional part, else `Integral`; a column with no value at all is `Unknown`.
A numeric value written with a decimal point but no fractional part ("5.0") counts as integral here, because
pandas has already parsed it; the SageMaker container, which reads the text, would call it fractional.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.local.monitor.sketch import KllSketch

INTEGRAL, FRACTIONAL, STRING, UNKNOWN = "Integral", "Fractional", "String", "Unknown"
# Exact value counts are kept while a column has at most this many distinct values; beyond that the column is
# "high cardinality": no categorical distribution, no domain, no categorical drift (as the SageMaker analyzer).
MAX_TRACKED_DISTINCT = 1000
HISTOGRAM_BUCKETS = 10  # statistics.json materialises distributions with 10 buckets, as SageMaker's does


@dataclass
class ColumnProfile:
    name: str
    num_missing: int = 0
    num_integral: int = 0
    num_fractional: int = 0
    num_string: int = 0
    # numerical state (over the numeric values of the column)
    num_numeric: int = 0
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations from the mean (Welford)
    total: float = 0.0
    minimum: float = np.inf
    maximum: float = -np.inf
    sketch: KllSketch = field(default_factory=KllSketch)
    value_counts: Counter | None = field(default_factory=Counter)  # None once the column is high-cardinality
    domain: frozenset[str] | None = None  # when set (check of a String feature): count values inside it
    num_in_domain: int = 0

    @property
    def num_present(self) -> int:
        return self.num_integral + self.num_fractional + self.num_string

    @property
    def inferred_type(self) -> str:
        if self.num_string:
            return STRING
        if self.num_fractional:
            return FRACTIONAL
        if self.num_integral:
            return INTEGRAL
        return UNKNOWN

    @property
    def completeness(self) -> float:
        rows = self.num_present + self.num_missing
        return self.num_present / rows if rows else 0.0

    @property
    def std_dev(self) -> float:
        return float(np.sqrt(self.m2 / self.num_numeric)) if self.num_numeric else 0.0

    def add(self, column: pd.Series) -> None:
        if pd.api.types.is_bool_dtype(column):
            column = column.astype(str)  # pandas turned "True"/"False" into booleans: they are strings here
        if pd.api.types.is_numeric_dtype(column):
            numbers = column.to_numpy(dtype=float)
            missing = np.isnan(numbers)
            strings = None
        else:
            missing = column.isna().to_numpy()
            parsed = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
            is_string = np.isnan(parsed) & ~missing
            numbers = parsed
            strings = column[is_string]
        self.num_missing += int(missing.sum())
        present_numbers = numbers[~np.isnan(numbers)]
        if strings is not None:
            self.num_string += len(strings)
        integral = int(np.count_nonzero(present_numbers == np.floor(present_numbers)))
        self.num_integral += integral
        self.num_fractional += len(present_numbers) - integral
        self._add_numbers(present_numbers)
        self._add_values(column, present_numbers, strings)

    def _add_numbers(self, numbers: np.ndarray) -> None:
        if not len(numbers):
            return
        count = len(numbers)
        chunk_mean = float(numbers.mean())
        chunk_m2 = float(np.square(numbers - chunk_mean).sum())
        # Chan et al.'s pairwise merge of (count, mean, M2): stable where a running sum of squares is not.
        merged = self.num_numeric + count
        delta = chunk_mean - self.mean
        self.mean += delta * count / merged
        self.m2 += chunk_m2 + delta * delta * self.num_numeric * count / merged
        self.num_numeric = merged
        self.total += float(numbers.sum())
        self.minimum = min(self.minimum, float(numbers.min()))
        self.maximum = max(self.maximum, float(numbers.max()))
        self.sketch.update(numbers)

    def _add_values(self, column: pd.Series, numbers: np.ndarray, strings: pd.Series | None) -> None:
        if self.value_counts is None and self.domain is None:
            return
        counts: Counter = Counter()
        if len(numbers):
            uniques, frequencies = np.unique(numbers, return_counts=True)
            counts.update(dict(zip(map(_number_text, uniques), frequencies.tolist(), strict=True)))
        if strings is not None and len(strings):
            counts.update(strings.astype(str).value_counts().to_dict())
        if self.domain is not None:
            self.num_in_domain += sum(n for value, n in counts.items() if value in self.domain)
        if self.value_counts is not None:
            self.value_counts.update(counts)
            if len(self.value_counts) > MAX_TRACKED_DISTINCT:
                self.value_counts = None

    def histogram_buckets(self) -> list[dict]:
        """Equal-width buckets between min and max; counts estimated from the sketch."""
        if not self.num_numeric:
            return []
        if self.minimum == self.maximum:
            return [{"lower_bound": self.minimum, "upper_bound": self.maximum, "count": float(self.num_numeric)}]
        edges = np.linspace(self.minimum, self.maximum, HISTOGRAM_BUCKETS + 1)
        below = self.sketch.cdf(edges[1:-1]) * self.num_numeric
        cumulative = np.concatenate([[0.0], below, [float(self.num_numeric)]])
        counts = np.round(np.diff(cumulative))
        return [
            {"lower_bound": float(low), "upper_bound": float(high), "count": float(count)}
            for low, high, count in zip(edges[:-1], edges[1:], counts, strict=True)
        ]

    def to_statistics(self) -> dict:
        common = {"num_present": self.num_present, "num_missing": self.num_missing}
        feature: dict = {"name": self.name, "inferred_type": self.inferred_type}
        if self.inferred_type in (INTEGRAL, FRACTIONAL):
            feature["numerical_statistics"] = {
                "common": common,
                "mean": self.mean,
                "sum": self.total,
                "std_dev": self.std_dev,
                "min": self.minimum,
                "max": self.maximum,
                "distribution": {"kll": {"buckets": self.histogram_buckets(),
                                         "sketch": self.sketch.to_statistics()}},
            }
        else:
            string_statistics: dict = {"common": common}
            if self.value_counts is not None:
                string_statistics["distinct_count"] = float(len(self.value_counts))
                string_statistics["distribution"] = {"categorical": {"buckets": [
                    {"value": value, "count": count} for value, count in sorted(self.value_counts.items())
                ]}}
            feature["string_statistics"] = string_statistics
        return feature


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass
class DatasetProfile:
    """Profiles of every column seen, in first-seen order, and the number of rows."""

    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    item_count: int = 0

    def add(self, chunk: pd.DataFrame, domains: Mapping[str, Iterable[str]] | None = None) -> None:
        for name in chunk.columns:
            if name not in self.columns:
                # a column first seen now was absent (missing) in every earlier row
                profile = ColumnProfile(name=str(name), num_missing=self.item_count)
                if domains and name in domains:
                    profile.domain = frozenset(domains[name])
                self.columns[name] = profile
            self.columns[name].add(chunk[name])
        for name, profile in self.columns.items():
            if name not in chunk.columns:
                profile.num_missing += len(chunk)
        self.item_count += len(chunk)

    def to_statistics(self) -> dict:
        return {
            "version": 0.0,
            "dataset": {"item_count": self.item_count},
            "features": [profile.to_statistics() for profile in self.columns.values()],
        }


def profile_frames(frames: pd.DataFrame | Iterable[pd.DataFrame],
                   domains: Mapping[str, Iterable[str]] | None = None) -> DatasetProfile:
    profile = DatasetProfile()
    for chunk in [frames] if isinstance(frames, pd.DataFrame) else frames:
        profile.add(chunk, domains)
    return profile
