"""The data-quality analyzer: baseline and drift check in SageMaker Model Monitor's file formats.

One self-contained script (numpy and pandas only, both in the SageMaker scikit-learn image) with two uses:
- the `processing` drift-check engine runs it as a processing job on the scikit-learn image
  (`python3 data_quality.py baseline|check ...`), uploaded content-addressed like the train scripts;
- the local stack's stand-in for the Model Monitor analyzer container (`localaws.monitor.container`)
  imports it, so both engines compute the same statistics and violations.

`baseline` profiles a dataset and suggests constraints (`statistics.json`, `constraints.json`); `check` evaluates
a dataset against a baseline and writes `statistics.json`, `constraint_violations.json` and `drift_check.json`
(the violation count and a one-line summary that a pipeline's ConditionStep and FailStep read).

Reading: every file under the dataset directory, as CSV in chunks (flat memory whatever the rows); without a
header, columns are `_c0`, `_c1`, ... as the Model Monitor analyzer names them.

Statistics: per column, exact counts while a column has at most MAX_TRACKED_DISTINCT distinct numbers (then
everything is exact and the KLL sketch of statistics.json is the exact binary decomposition of the counts), a
streaming KLL sketch beyond that (rank error around 1%). Types follow Deequ's rule (the library the Model Monitor
analyzer is built on): any non-numeric value makes a column `String`, else `Fractional` if any value has a
fractional part, else `Integral`; no value at all is `Unknown`. A value written "5.0" counts as integral here
(pandas has parsed it); the Model Monitor container, which reads the text, would call it fractional. Numbers are
written in ASCII digits: "6_7", "٦٧" (other scripts' digits) and " 67 " (whitespace around it; Deequ's patterns
allow one space before the digits, this reader none, as the platform's data rules) are Strings, where Python's
`int()` would read 67.

Checks (constraint_check_type as Model Monitor names them):
- missing_column_check / extra_column_check: a baseline feature absent from the data, or an unknown column;
- data_type_check: share of present values of the baseline's type below `datatype_check_threshold`
  (Fractional accepts integral values, String accepts anything);
- completeness_check: share of non-missing values below the feature's `completeness` constraint;
- categorical_values_check: String features with `string_constraints.domains`, share of values inside the
  domain below `domain_content_threshold`;
- baseline_drift_check: Deequ's distances. Numerical: the L-infinity distance between the baseline's and the
  data's CDFs (from the KLL sketches); String: the L-infinity distance between the category frequencies.
  `comparison_method` "Simple" uses that distance (linf_simple); "Robust" subtracts the two-sample
  Kolmogorov-Smirnov allowance for the sample sizes, linf_robust = max(0, linf_simple - 1.8 * sqrt((n + m) / (n m)))
  (c(alpha) = 1.8, alpha about 0.003), so that a small clean batch is not flagged for its sampling noise. A
  feature drifts when its distance is above `comparison_threshold` (numerical) or
  `categorical_comparison_threshold` (String).
`is_non_negative` is suggested but, as with Model Monitor, is not a violation type. `evaluate_constraints`
"Disabled" (globally or in a feature's `monitoring_config_overrides`) turns checks off.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import functools
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
VIOLATIONS_FILE = "constraint_violations.json"
RESULT_FILE = "drift_check.json"  # {"violation_count": n, "summary": "..."}: what the pipeline's condition reads


class DataQualityError(ValueError):
    """Bad input (dataset, baseline files, options): one line naming what to fix."""


# --------------------------------------------------------------------------- KLL sketch
DEFAULT_K = 2048
DEFAULT_C = 0.64
_SEED = 20_190_612  # any fixed seed: determinism matters, not the value


class KllSketch:
    """Quantile sketch over float values; `update` with arrays, `merge` sketches, ask `cdf` or `quantiles`."""

    def __init__(self, k: int = DEFAULT_K, c: float = DEFAULT_C):
        self.k, self.c = int(k), float(c)
        self.levels: list[np.ndarray] = [np.empty(0)]
        self._rng = np.random.default_rng(_SEED)

    @classmethod
    def from_statistics(cls, sketch: dict) -> KllSketch:
        """Rebuild from the `distribution.kll.sketch` object of a statistics.json (level h weighs 2**h)."""
        parameters = sketch.get("parameters", {})
        result = cls(k=int(parameters.get("k", DEFAULT_K)), c=float(parameters.get("c", DEFAULT_C)))
        result.levels = [np.asarray(level, dtype=float) for level in sketch.get("data", [])] or [np.empty(0)]
        return result

    @classmethod
    def from_counts(cls, values: np.ndarray, counts: np.ndarray) -> KllSketch:
        """The exact sketch of values seen `counts` times: each value sits at level h for each bit h of its count."""
        sketch = cls()
        counts = np.asarray(counts, dtype=np.int64)
        if len(counts):
            values = np.asarray(values, dtype=float)
            sketch.levels = [values[((counts >> h) & 1) == 1] for h in range(int(counts.max()).bit_length())]
        return sketch

    def to_statistics(self) -> dict:
        return {
            "parameters": {"c": self.c, "k": float(self.k)},
            "data": [[float(v) for v in np.sort(level)] for level in self.levels],
        }

    @property
    def count(self) -> int:
        return int(sum(len(level) << h for h, level in enumerate(self.levels)))

    def update(self, values: np.ndarray) -> None:
        """Add values (NaN must already be removed)."""
        if len(values):
            self.levels[0] = np.concatenate([self.levels[0], np.asarray(values, dtype=float)])
            self._compress()

    def merge(self, other: KllSketch) -> None:
        for h, items in enumerate(other.levels):
            if h == len(self.levels):
                self.levels.append(np.empty(0))
            self.levels[h] = np.concatenate([self.levels[h], items])
        self._compress()

    def _capacity(self, level: int) -> int:
        depth = len(self.levels) - level - 1
        return max(2, math.ceil(self.k * self.c**depth))

    def _compress(self) -> None:
        # One upward pass is enough: compacting level h only adds items to level h + 1.
        h = 0
        while h < len(self.levels):
            items = self.levels[h]
            if len(items) > self._capacity(h):
                if h + 1 == len(self.levels):
                    self.levels.append(np.empty(0))
                items = np.sort(items)
                odd = len(items) % 2
                kept, paired = items[len(items) - odd:], items[: len(items) - odd]
                promoted = paired[int(self._rng.integers(2))::2]
                self.levels[h] = kept
                self.levels[h + 1] = np.concatenate([self.levels[h + 1], promoted])
            h += 1

    def weighted_items(self) -> tuple[np.ndarray, np.ndarray]:
        """All items sorted by value, with their weights (2**level)."""
        values = np.concatenate(self.levels) if self.levels else np.empty(0)
        weights = np.concatenate([np.full(len(level), float(1 << h)) for h, level in enumerate(self.levels)])
        order = np.argsort(values, kind="stable")
        return values[order], weights[order]

    def cdf(self, points: Sequence[float] | np.ndarray) -> np.ndarray:
        """Estimated fraction of values <= each point."""
        values, weights = self.weighted_items()
        points = np.asarray(points, dtype=float)
        if not len(values):
            return np.zeros(len(points))
        cumulative = np.cumsum(weights)
        index = np.searchsorted(values, points, side="right")
        below = np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0.0)
        return below / cumulative[-1]

    def quantiles(self, fractions: Sequence[float]) -> np.ndarray:
        values, weights = self.weighted_items()
        if not len(values):
            return np.full(len(fractions), np.nan)
        cumulative = np.cumsum(weights) / weights.sum()
        index = np.searchsorted(cumulative, np.asarray(fractions, dtype=float), side="left")
        return values[np.minimum(index, len(values) - 1)]


def ks_distance(left: KllSketch, right: KllSketch) -> float:
    """L-infinity distance between the two estimated CDFs (the two-sample Kolmogorov-Smirnov statistic)."""
    points = np.unique(np.concatenate([np.concatenate(left.levels), np.concatenate(right.levels)]))
    if not len(points):
        return 0.0
    return float(np.max(np.abs(left.cdf(points) - right.cdf(points))))


# --------------------------------------------------------------------------- column profiles
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
            # Text with whitespace around it is a String, as Deequ's patterns say (pd.to_numeric would strip it).
            padded = column.map(lambda value: isinstance(value, str) and value != value.strip()).to_numpy(dtype=bool)
            parsed = pd.to_numeric(column.mask(padded), errors="coerce").to_numpy(dtype=float)
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


# --------------------------------------------------------------------------- constraints and checks

MAX_DOMAIN_VALUES = 20  # String features with at most this many distinct values get a suggested domain
KS_C_ALPHA = 1.8  # Deequ's default c(alpha) of the two-sample KS test (alpha about 0.003)
DEFAULT_MONITORING_CONFIG = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
        "categorical_comparison_threshold": 0.1,
        "categorical_drift_method": "LInfinity",
    },
}

Frames = pd.DataFrame | Iterable[pd.DataFrame]


def baseline(frames: Frames) -> tuple[dict, dict]:
    """Profile a baseline dataset: (statistics.json, constraints.json) as dicts."""
    profile = profile_frames(frames)
    _require_rows(profile)
    return profile.to_statistics(), suggest_constraints(profile)


def check(frames: Frames, statistics: Mapping, constraints: Mapping) -> list[dict]:
    """Violations of `frames` against a baseline's statistics and constraints (constraint_violations entries)."""
    profile = profile_frames(frames, domains=constraint_domains(constraints))
    _require_rows(profile)
    return violations(profile, statistics, constraints)


def _require_rows(profile: DatasetProfile) -> None:
    if not profile.item_count:
        raise DataQualityError("the monitored dataset has no rows")


def suggest_constraints(profile: DatasetProfile) -> dict:
    features = []
    for column in profile.columns.values():
        feature: dict = {"name": column.name, "inferred_type": column.inferred_type,
                         "completeness": column.completeness}
        if column.inferred_type in (INTEGRAL, FRACTIONAL):
            feature["num_constraints"] = {"is_non_negative": column.minimum >= 0}
        elif (column.inferred_type == STRING and column.value_counts is not None
              and len(column.value_counts) <= MAX_DOMAIN_VALUES):
            feature["string_constraints"] = {"domains": sorted(column.value_counts)}
        features.append(feature)
    return {"version": 0.0, "features": features, "monitoring_config": _deep_copy(DEFAULT_MONITORING_CONFIG)}


def constraint_domains(constraints: Mapping) -> dict[str, list[str]]:
    return {
        feature["name"]: list(feature["string_constraints"]["domains"])
        for feature in constraints.get("features", [])
        if (feature.get("string_constraints") or {}).get("domains")
    }


def violations(profile: DatasetProfile, statistics: Mapping, constraints: Mapping) -> list[dict]:
    """Evaluate a profiled dataset (built with `constraint_domains(constraints)`) against the baseline."""
    config = merge_settings(DEFAULT_MONITORING_CONFIG, constraints.get("monitoring_config") or {})
    if config["evaluate_constraints"] == "Disabled":
        return []
    expected = {feature["name"]: feature for feature in _features(constraints, "constraints.json")}
    baseline_statistics = {feature["name"]: feature for feature in _features(statistics, "statistics.json")}
    found: list[dict] = []
    for name in expected:
        if name not in profile.columns:
            found.append(_violation(name, "missing_column_check",
                                    f"There are missing columns in current dataset. Number of columns in current "
                                    f"dataset: {len(profile.columns)}, Number of columns in baseline constraints: "
                                    f"{len(expected)}"))
    for name in profile.columns:
        if name not in expected:
            found.append(_violation(name, "extra_column_check",
                                    f"There are extra columns in current dataset. Number of columns in current "
                                    f"dataset: {len(profile.columns)}, Number of columns in baseline constraints: "
                                    f"{len(expected)}"))
    for name, feature in expected.items():
        column = profile.columns.get(name)
        if column is None:
            continue
        feature_config = merge_settings(config, feature.get("monitoring_config_overrides")
                                 or feature.get("monitoringConfigOverrides") or {})
        if feature_config["evaluate_constraints"] == "Disabled":
            continue
        found.extend(_feature_violations(column, feature, baseline_statistics.get(name), feature_config))
    return found


def _feature_violations(column: ColumnProfile, feature: Mapping, statistics: Mapping | None,
                        config: Mapping) -> list[dict]:
    name, expected_type = feature["name"], feature.get("inferred_type", UNKNOWN)
    found = []
    if column.num_present and expected_type in (INTEGRAL, FRACTIONAL, STRING):
        matching = {INTEGRAL: column.num_integral, FRACTIONAL: column.num_integral + column.num_fractional,
                    STRING: column.num_present}[expected_type]
        share, threshold = matching / column.num_present, float(config["datatype_check_threshold"])
        if share < threshold:
            found.append(_violation(name, "data_type_check",
                                    f"Data type match requirement is not met. Expected data type: {expected_type}, "
                                    f"Expected match: {_percent(threshold)}. Observed: Only {_percent(share)} of "
                                    f"data is {expected_type}."))
    if "completeness" in feature and column.completeness < float(feature["completeness"]) - 1e-12:
        found.append(_violation(name, "completeness_check",
                                f"Data completeness requirement is not met. Expected completeness: "
                                f"{_percent(float(feature['completeness']))}. Observed: Only "
                                f"{_percent(column.completeness)} of data is present."))
    domains = (feature.get("string_constraints") or {}).get("domains")
    if domains and column.num_present:
        share, threshold = column.num_in_domain / column.num_present, float(config["domain_content_threshold"])
        if share < threshold:
            found.append(_violation(name, "categorical_values_check",
                                    f"Data content check is not met. Expected: {_percent(threshold)} of values in "
                                    f"the baseline domain. Observed: Only {_percent(share)} of values are in the "
                                    f"baseline domain."))
    drift = _drift(column, expected_type, statistics, config["distribution_constraints"])
    if drift is not None:
        found.append(_violation(name, "baseline_drift_check",
                                f"Baseline drift distance: {drift[0]:.6g} exceeds threshold: {drift[1]:.6g}"))
    return found


def _drift(column: ColumnProfile, expected_type: str, statistics: Mapping | None,
           distribution: Mapping) -> tuple[float, float] | None:
    """(distance, threshold) when the feature drifted, else None."""
    if distribution.get("perform_comparison", "Enabled") == "Disabled" or not statistics:
        return None
    method = distribution.get("comparison_method", "Robust")
    if method not in ("Robust", "Simple"):
        raise DataQualityError(f"constraints.json: monitoring_config.distribution_constraints.comparison_method "
                               f"{method!r} is not supported; use Robust or Simple")
    if expected_type in (INTEGRAL, FRACTIONAL) and column.num_numeric:
        numerical = statistics.get("numerical_statistics") or {}
        sketch = ((numerical.get("distribution") or {}).get("kll") or {}).get("sketch")
        if not sketch:
            return None
        reference = KllSketch.from_statistics(sketch)
        distance = linf_distance(ks_distance(reference, column.sketch), reference.count, column.num_numeric,
                                 robust=method == "Robust")
        threshold = float(distribution.get("comparison_threshold", 0.1))
        return (distance, threshold) if distance > threshold else None
    if expected_type == STRING and column.value_counts is not None:
        buckets = (((statistics.get("string_statistics") or {}).get("distribution") or {})
                   .get("categorical") or {}).get("buckets")
        if not buckets:
            return None
        categorical_method = distribution.get("categorical_drift_method", "LInfinity")
        if categorical_method != "LInfinity":
            raise DataQualityError(f"constraints.json: monitoring_config.distribution_constraints."
                                   f"categorical_drift_method {categorical_method!r} is not supported by this "
                                   "analyzer; use LInfinity")
        reference = {bucket["value"]: float(bucket["count"]) for bucket in buckets}
        distance = linf_distance(_linf(reference, column.value_counts), sum(reference.values()),
                                 sum(column.value_counts.values()), robust=method == "Robust")
        threshold = float(distribution.get("categorical_comparison_threshold", 0.1))
        return (distance, threshold) if distance > threshold else None
    return None


def linf_distance(linf_simple: float, n: float, m: float, robust: bool) -> float:
    """Deequ's linf_simple, or linf_robust: the simple distance less the two-sample KS allowance for n and m."""
    if not robust:
        return linf_simple
    if not n or not m:
        return 0.0
    return max(0.0, linf_simple - KS_C_ALPHA * math.sqrt((n + m) / (n * m)))


def _linf(left: Mapping[str, float], right: Mapping[str, float]) -> float:
    left_total, right_total = sum(left.values()) or 1.0, sum(right.values()) or 1.0
    return max(abs(left.get(key, 0.0) / left_total - right.get(key, 0.0) / right_total)
               for key in set(left) | set(right))


def _features(document: Mapping, file_name: str) -> list[dict]:
    features = document.get("features")
    if not isinstance(features, list) or not all(isinstance(f, dict) and "name" in f for f in features):
        raise DataQualityError(f"baseline {file_name} has no valid 'features' list (each entry needs a 'name')")
    return features


def _violation(feature_name: str, check_type: str, description: str) -> dict:
    return {"feature_name": feature_name, "constraint_check_type": check_type, "description": description}


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"  # as the SageMaker analyzer writes shares: "100.0%"


def merge_settings(base: Mapping, override: Mapping) -> dict:
    result = _deep_copy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = merge_settings(result[key], value)
        else:
            result[key] = value
    return result


def _deep_copy(value):
    if isinstance(value, Mapping):
        return {key: _deep_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_copy(item) for item in value]
    return value


# --------------------------------------------------------------------------- reading a dataset
CHUNK_ROWS = 100_000  # rows per parsed chunk: memory is bounded by the chunk, not by the dataset


@dataclass(frozen=True)
class CsvFormat:
    header: bool


def dataset_files(source: Path) -> list[Path]:
    """The files of a dataset: the file itself, or every regular file under the directory, sorted by path."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise DataQualityError(f"monitoring dataset_source {source} does not exist; the processing input was not "
                         "downloaded there")
    files = sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise DataQualityError(f"monitoring dataset_source {source} holds no file: the input S3 prefix was empty")
    return files


def read_chunks(files: list[Path], csv_format: CsvFormat, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Yield DataFrame chunks of every file; columns named from the header or `_c<i>`.

    pandas' number parsing strips ASCII whitespace (" 67 " becomes 67) where Deequ's patterns see a String, so a
    file holding any such byte is read as text and the profile parses it (a quick byte scan keeps clean files on
    the fast path).
    """
    for path in files:
        try:
            reader = pd.read_csv(path, header=0 if csv_format.header else None, chunksize=chunk_rows,
                                 dtype=str if _has_whitespace(path) else None)
            for chunk in reader:
                if not csv_format.header:
                    chunk.columns = [f"_c{i}" for i in range(chunk.shape[1])]
                yield chunk
        except pd.errors.EmptyDataError:
            continue  # an empty file adds no rows; an empty dataset is reported by the caller
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            raise DataQualityError(f"monitoring dataset file {path} is not a readable CSV: {error}") from None


def _has_whitespace(path: Path, block: int = 1 << 20) -> bool:
    with path.open("rb") as handle:
        while data := handle.read(block):
            if any(byte in data for byte in (b" ", b"\t", b"\f", b"\v")):
                return True
    return False


# --------------------------------------------------------------------------- the processing job


SUMMARY_LIMIT = 1000  # characters: an execution's failure reason is short; the report holds every violation


def summary(found: Sequence[Mapping], feature_names: Sequence[str] = ()) -> str:
    """One line naming each violated feature, its check and its figures (what a FailStep's message shows).

    `feature_names` name the header-less columns `_c0`, `_c1`, ... in order (Age rather than _c0).
    """
    if not found:
        return "no data-quality violation"
    text = f"data-quality check failed with {len(found)} violation(s): "
    for shown, violation in enumerate(found):
        name = _display_name(str(violation["feature_name"]), feature_names)
        item = f"{name} {violation['constraint_check_type']}: {violation['description']}"
        rest = f"; ... {len(found) - shown} more in {VIOLATIONS_FILE}"
        if len(text) + len(item) + len(rest) > SUMMARY_LIMIT:
            return text.removesuffix("; ") + rest
        text += item + "; "
    return text.removesuffix("; ")


def _display_name(column: str, feature_names: Sequence[str]) -> str:
    index = column.removeprefix("_c")
    if column.startswith("_c") and index.isdigit() and int(index) < len(feature_names):
        return feature_names[int(index)]
    return column


def write_json(path: Path, document: Mapping, indent: int | None = 2) -> Path:
    """statistics.json (thousands of sketch items, read by programs) is written compact, the others indented."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=indent) + "\n")
    return path


def read_json(path: Path, what: str) -> dict:
    try:
        document = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise DataQualityError(f"{what} file {path} does not exist") from None
    except json.JSONDecodeError as error:
        raise DataQualityError(f"{what} file {path} is not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(document, dict):
        raise DataQualityError(f"{what} file {path} must hold a JSON object")
    return document


@functools.cache
def reuse_freed_memory() -> None:
    """Let glibc's malloc keep chunk-sized blocks in the heap (up to 16 MiB each, 32 MiB of free heap kept).

    With the defaults, every parsed chunk's arrays are fresh mmap()s returned to the kernel when the chunk is
    dropped, so each chunk pays page faults on all of its memory again: about half of a fresh process's
    reading time. Elsewhere than glibc this does nothing.
    """
    path = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(path), "mallopt", None) if path else None
    if mallopt is not None:
        m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
        mallopt(m_mmap_threshold, 16 << 20)
        mallopt(m_trim_threshold, 32 << 20)


def run_baseline(dataset: Path, output_dir: Path, csv_format: CsvFormat) -> tuple[dict, dict]:
    """Profile the dataset; write statistics.json and constraints.json under output_dir."""
    reuse_freed_memory()
    statistics, constraints = baseline(read_chunks(dataset_files(dataset), csv_format))
    write_json(Path(output_dir) / STATISTICS_FILE, statistics, indent=None)
    write_json(Path(output_dir) / CONSTRAINTS_FILE, constraints)
    return statistics, constraints


def run_check(dataset: Path, output_dir: Path, csv_format: CsvFormat, statistics: Mapping,
              constraints: Mapping, feature_names: Sequence[str] = ()) -> tuple[DatasetProfile, list[dict]]:
    """Check the dataset against a baseline; write statistics.json, constraint_violations.json, drift_check.json."""
    reuse_freed_memory()
    profile = profile_frames(read_chunks(dataset_files(dataset), csv_format), constraint_domains(constraints))
    if not profile.item_count:
        raise DataQualityError(f"the monitored dataset under {dataset} has no rows")
    found = violations(profile, statistics, constraints)
    write_json(Path(output_dir) / STATISTICS_FILE, profile.to_statistics(), indent=None)
    write_json(Path(output_dir) / VIOLATIONS_FILE, {"violations": found})
    write_json(Path(output_dir) / RESULT_FILE, {"violation_count": len(found),
                                                "summary": summary(found, feature_names)})
    return profile, found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Data-quality baseline and drift check (Model Monitor formats).")
    parser.add_argument("mode", choices=("baseline", "check"))
    parser.add_argument("--dataset", type=Path, required=True, help="a CSV file or a directory of CSV files")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--header", action="store_true", help="the CSV files have a header row")
    parser.add_argument("--baseline-statistics", type=Path, help="check: the baseline's statistics.json")
    parser.add_argument("--baseline-constraints", type=Path, help="check: the baseline's constraints.json")
    parser.add_argument("--feature-names", default="",
                        help="check: comma-separated names of the header-less columns _c0, _c1, ... for the summary")
    args = parser.parse_args(argv)
    csv_format = CsvFormat(header=args.header)
    try:
        if args.mode == "baseline":
            statistics, _ = run_baseline(args.dataset, args.output_dir, csv_format)
            print(f"baseline of {statistics['dataset']['item_count']} rows written to {args.output_dir}")
            return 0
        if args.baseline_statistics is None or args.baseline_constraints is None:
            parser.error("check needs --baseline-statistics and --baseline-constraints")
        feature_names = [name for name in args.feature_names.split(",") if name]
        profile, found = run_check(args.dataset, args.output_dir, csv_format,
                                   read_json(args.baseline_statistics, "baseline statistics"),
                                   read_json(args.baseline_constraints, "baseline constraints"), feature_names)
    except DataQualityError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Violations are a result, not an error: the pipeline's ConditionStep reads drift_check.json and fails the
    # execution with the summary, so the job itself completes and its outputs are uploaded.
    print(f"checked {profile.item_count} rows: {summary(found, feature_names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
