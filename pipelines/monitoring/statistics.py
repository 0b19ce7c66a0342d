"""Reading a feature's distribution out of a Model Monitor `statistics.json` (what the data-quality analyzer
writes): its KLL sketch buckets and its missing share, and two distributions put on the same bins so that a
baseline and a batch can be drawn side by side. Shared by the demo report's figures and the console's histograms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Bucket = tuple[float, float, float]
"""(lower bound, upper bound, count) of one KLL bucket."""


def _feature(statistics: Mapping[str, Any], feature: str) -> Mapping[str, Any]:
    for entry in statistics.get("features", []):
        if entry.get("name") == feature:
            return entry
    names = [entry.get("name") for entry in statistics.get("features", [])]
    raise ValueError(f"feature {feature!r} is not in the statistics (features: {', '.join(map(str, names))})")


def feature_buckets(statistics: Mapping[str, Any], feature: str) -> list[Bucket]:
    """(lower, upper, count) of a numerical feature's KLL buckets in a statistics.json document."""
    entry = _feature(statistics, feature)
    numerical = entry.get("numerical_statistics")
    if not numerical:
        raise ValueError(f"feature {feature!r} has no numerical_statistics (inferred type "
                         f"{entry.get('inferred_type')}); only numerical features can be plotted")
    buckets = numerical.get("distribution", {}).get("kll", {}).get("buckets", [])
    return [(float(b["lower_bound"]), float(b["upper_bound"]), float(b["count"])) for b in buckets]


def missing_share(statistics: Mapping[str, Any], feature: str) -> float:
    """num_missing / (num_present + num_missing) of a feature: what a completeness check compares."""
    try:
        entry = _feature(statistics, feature)
    except ValueError:
        return 0.0
    common = (entry.get("numerical_statistics") or entry.get("string_statistics") or {}).get("common", {})
    total = common.get("num_present", 0) + common.get("num_missing", 0)
    return common.get("num_missing", 0) / total if total else 0.0


@dataclass(frozen=True)
class Histogram:
    """Distributions on shared bins: `edges` has one more value than each series; a series holds shares (0-1)."""
    edges: list[float]
    series: dict[str, list[float]]


def common_histogram(distributions: Mapping[str, Sequence[Bucket]], bins: int = 20) -> Histogram:
    """Each distribution's buckets spread over `bins` equal bins spanning all of them. A bucket's mass is taken
    as uniform over its interval (the sketch knows no better), so buckets of different bounds become comparable;
    a zero-width bucket (a constant feature) puts its mass in the bin holding its value."""
    bounds = [bound for buckets in distributions.values() for lower, upper, _ in buckets for bound in (lower, upper)]
    if not bounds:
        return Histogram([], {name: [] for name in distributions})
    low, high = min(bounds), max(bounds)
    if high == low:
        low, high = low - 0.5, high + 0.5
    width = (high - low) / bins
    edges = [low + index * width for index in range(bins)] + [high]
    series = {}
    for name, buckets in distributions.items():
        total = sum(count for _, _, count in buckets)
        shares = [0.0] * bins
        for lower, upper, count in buckets:
            if not total or not count:
                continue
            if upper <= lower:
                shares[min(int((lower - low) / width), bins - 1)] += count / total
                continue
            for index in range(bins):
                overlap = min(upper, edges[index + 1]) - max(lower, edges[index])
                if overlap > 0:
                    shares[index] += count / total * overlap / (upper - lower)
        series[name] = shares
    return Histogram(edges, series)
