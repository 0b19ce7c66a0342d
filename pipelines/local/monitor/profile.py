"""Streaming per-column profile of a tabular dataset: the numbers behind statistics.json.

A dataset is read as a sequence of pandas chunks; every column keeps only bounded state, so the memory used does
not grow with the number of rows:
- while a column has at most MAX_TRACKED_DISTINCT distinct numeric values, their exact counts (sorted values and
  counts). Everything is then exact: sum, mean, standard deviation, and the KLL sketch, written as the exact
  binary decomposition of each count (a value seen 13 = 8 + 4 + 1 times is one item at levels 3, 2 and 0);
- beyond that, the column switches to streaming state: a pairwise-merged (count, mean, M2), min/max, and a real
  KLL sketch (rank error about 1%);
- for non-numeric values, exact counts while there are at most MAX_TRACKED_DISTINCT of them.
Counting distinct small integers uses `numpy.bincount` (linear time), which keeps the check close to the speed of
reading the CSV.

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
# Beyond this many distinct values a column is "high cardinality": numbers go to the KLL sketch, strings get no
# categorical distribution, domain or categorical drift (as with the SageMaker analyzer).
MAX_TRACKED_DISTINCT = 1000
HISTOGRAM_BUCKETS = 10  # statistics.json materialises distributions with 10 buckets, as SageMaker's does
_BINCOUNT_RANGE = 1 << 16  # integer columns spanning fewer values than this are counted with bincount


@dataclass
class _Moments:
    """Streaming count, mean, M2 (sum of squared deviations), sum, min, max; merged pairwise (Chan et al.)."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    total: float = 0.0
    minimum: float = np.inf
    maximum: float = -np.inf

    def merge(self, count: int, mean: float, m2: float, total: float, minimum: float, maximum: float) -> None:
        if not count:
            return
        merged = self.count + count
        delta = mean - self.mean
        self.mean += delta * count / merged
        self.m2 += m2 + delta * delta * self.count * count / merged
        self.count, self.total = merged, self.total + total
        self.minimum, self.maximum = min(self.minimum, minimum), max(self.maximum, maximum)

    def merge_values(self, values: np.ndarray, counts: np.ndarray | None = None) -> None:
        if not len(values):
            return
        if counts is None:
            mean = float(values.mean())
            self.merge(len(values), mean, float(np.square(values - mean).sum()), float(values.sum()),
                       float(values.min()), float(values.max()))
        else:
            count = int(counts.sum())
            total = float(np.dot(values, counts))
            mean = total / count
            self.merge(count, mean, float(np.dot(np.square(values - mean), counts)), total,
                       float(values.min()), float(values.max()))


def _distinct(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values (float) and their counts (int64)."""
    low, high = numbers.min(), numbers.max()
    if float(high) - float(low) < _BINCOUNT_RANGE:
        offsets = numbers - low
        as_int = offsets.astype(np.int64, copy=False)
        if numbers.dtype.kind in "iu" or np.array_equal(as_int, offsets):
            counts = np.bincount(as_int)
            present = np.flatnonzero(counts)
            return (present + low).astype(float), counts[present]
    values, counts = np.unique(numbers, return_counts=True)
    return values.astype(float), counts.astype(np.int64)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass
class ColumnProfile:
    name: str
    num_missing: int = 0
    num_string: int = 0
    # exact state while the numbers have few distinct values (None once the column streams)
    values: np.ndarray | None = field(default_factory=lambda: np.empty(0))
    counts: np.ndarray | None = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    # streaming state (used once `values` is None)
    streamed_integral: int = 0
    moments: _Moments = field(default_factory=_Moments)
    streamed_sketch: KllSketch = field(default_factory=KllSketch)
    string_counts: Counter | None = field(default_factory=Counter)
    domain: frozenset[str] | None = None  # when set (check of a String feature): count values inside it
    _domain_numbers: np.ndarray = field(default_factory=lambda: np.empty(0))
    streamed_in_domain: int = 0

    def __post_init__(self) -> None:
        if self.domain is not None:
            self._domain_numbers = np.asarray(pd.to_numeric(pd.Series(sorted(self.domain)), errors="coerce")
                                              .dropna(), dtype=float)

    # ------------------------------------------------------------------------------------------ reading
    def add(self, column: pd.Series) -> None:
        if pd.api.types.is_bool_dtype(column):
            column = column.astype(str)  # pandas turned "True"/"False" into booleans: they are strings here
        if pd.api.types.is_integer_dtype(column):
            numbers = column.to_numpy()
        elif pd.api.types.is_numeric_dtype(column):
            numbers = column.to_numpy(dtype=float)
            missing = np.isnan(numbers)
            if missing.any():
                self.num_missing += int(missing.sum())
                numbers = numbers[~missing]
        else:
            missing = column.isna().to_numpy()
            parsed = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
            is_string = np.isnan(parsed) & ~missing
            self.num_missing += int(missing.sum())
            self._add_strings(column[is_string].astype(str))
            numbers = parsed[~np.isnan(parsed)]
        if len(numbers):
            self._add_numbers(numbers)

    def _add_strings(self, strings: pd.Series) -> None:
        if not len(strings):
            return
        self.num_string += len(strings)
        if self.domain is not None:
            self.streamed_in_domain += int(strings.isin(self.domain).sum())
        if self.string_counts is not None:
            self.string_counts.update(strings.value_counts().to_dict())
            if len(self.string_counts) > MAX_TRACKED_DISTINCT:
                self.string_counts = None

    def _add_numbers(self, numbers: np.ndarray) -> None:
        if self.values is None:
            floats = numbers.astype(float, copy=False)
            self.streamed_integral += int(np.count_nonzero(floats == np.floor(floats)))
            self.moments.merge_values(floats)
            self.streamed_sketch.update(floats)
            if self.domain is not None:
                self.streamed_in_domain += int(np.isin(floats, self._domain_numbers).sum())
            return
        values, counts = _distinct(numbers)
        if len(self.values):
            merged, inverse = np.unique(np.concatenate([self.values, values]), return_inverse=True)
            counts = np.bincount(inverse, weights=np.concatenate([self.counts, counts])).astype(np.int64)
            values = merged
        self.values, self.counts = values, counts
        if len(self.values) > MAX_TRACKED_DISTINCT:
            self._start_streaming()

    def _start_streaming(self) -> None:
        """Too many distinct numbers to count exactly: fold the exact counts into the streaming state."""
        values, counts = self.values, self.counts
        self.streamed_integral += int(counts[values == np.floor(values)].sum())
        self.moments.merge_values(values, counts)
        self.streamed_sketch = KllSketch.from_counts(values, counts)
        if self.domain is not None:
            self.streamed_in_domain += int(counts[np.isin(values, self._domain_numbers)].sum())
        self.values = self.counts = None

    # ------------------------------------------------------------------------------------------ results
    @property
    def exact(self) -> bool:
        return self.values is not None

    @property
    def num_numeric(self) -> int:
        return int(self.counts.sum()) if self.exact else self.moments.count

    @property
    def num_integral(self) -> int:
        if self.exact:
            return int(self.counts[self.values == np.floor(self.values)].sum())
        return self.streamed_integral

    @property
    def num_fractional(self) -> int:
        return self.num_numeric - self.num_integral

    @property
    def num_present(self) -> int:
        return self.num_numeric + self.num_string

    @property
    def num_in_domain(self) -> int:
        if self.domain is None:
            return 0
        if self.exact:
            inside = [i for i, value in enumerate(self.values) if _number_text(value) in self.domain]
            return self.streamed_in_domain + int(self.counts[inside].sum())
        return self.streamed_in_domain

    @property
    def numeric_moments(self) -> _Moments:
        if not self.exact:
            return self.moments
        moments = _Moments()
        moments.merge_values(self.values, self.counts)
        return moments

    @property
    def sketch(self) -> KllSketch:
        return KllSketch.from_counts(self.values, self.counts) if self.exact else self.streamed_sketch

    @property
    def value_counts(self) -> Counter | None:
        """Exact counts of every value as text (numbers and strings), or None for a high-cardinality column."""
        if not self.exact or self.string_counts is None:
            return None
        counts = Counter(self.string_counts)
        for value, count in zip(self.values, self.counts, strict=True):
            counts[_number_text(value)] += int(count)
        return counts if len(counts) <= MAX_TRACKED_DISTINCT else None

    @property
    def minimum(self) -> float:
        return self.numeric_moments.minimum

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

    def histogram_buckets(self, moments: _Moments, sketch: KllSketch) -> list[dict]:
        """Equal-width buckets between min and max; counts from the sketch (exact in exact mode)."""
        if not moments.count:
            return []
        if moments.minimum == moments.maximum:
            return [{"lower_bound": moments.minimum, "upper_bound": moments.maximum, "count": float(moments.count)}]
        edges = np.linspace(moments.minimum, moments.maximum, HISTOGRAM_BUCKETS + 1)
        below = sketch.cdf(edges[1:-1]) * moments.count
        cumulative = np.concatenate([[0.0], below, [float(moments.count)]])
        counts = np.round(np.diff(cumulative))
        return [
            {"lower_bound": float(low), "upper_bound": float(high), "count": float(count)}
            for low, high, count in zip(edges[:-1], edges[1:], counts, strict=True)
        ]

    def to_statistics(self) -> dict:
        common = {"num_present": self.num_present, "num_missing": self.num_missing}
        feature: dict = {"name": self.name, "inferred_type": self.inferred_type}
        if self.inferred_type in (INTEGRAL, FRACTIONAL):
            moments, sketch = self.numeric_moments, self.sketch
            feature["numerical_statistics"] = {
                "common": common,
                "mean": moments.mean,
                "sum": moments.total,
                "std_dev": float(np.sqrt(moments.m2 / moments.count)),
                "min": moments.minimum,
                "max": moments.maximum,
                "distribution": {"kll": {"buckets": self.histogram_buckets(moments, sketch),
                                         "sketch": sketch.to_statistics()}},
            }
        else:
            string_statistics: dict = {"common": common}
            value_counts = self.value_counts
            if value_counts is not None:
                string_statistics["distinct_count"] = float(len(value_counts))
                string_statistics["distribution"] = {"categorical": {"buckets": [
                    {"value": value, "count": count} for value, count in sorted(value_counts.items())
                ]}}
            feature["string_statistics"] = string_statistics
        return feature


@dataclass
class DatasetProfile:
    """Profiles of every column seen, in first-seen order, and the number of rows."""

    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    item_count: int = 0

    def add(self, chunk: pd.DataFrame, domains: Mapping[str, Iterable[str]] | None = None) -> None:
        for name in chunk.columns:
            if name not in self.columns:
                # a column first seen now was absent (missing) in every earlier row
                domain = frozenset(domains[name]) if domains and name in domains else None
                self.columns[name] = ColumnProfile(name=str(name), num_missing=self.item_count, domain=domain)
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
