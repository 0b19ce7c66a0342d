"""Data-quality analysis in the SageMaker Model Monitor's published formats.

`baseline(frames)` profiles a dataset and suggests constraints (`statistics.json`, `constraints.json`);
`check(frames, statistics, constraints)` evaluates a dataset against them and returns the violations of
`constraint_violations.json`. `frames` is a DataFrame or an iterable of DataFrame chunks (streaming, flat memory).

Checks (constraint_check_type as the SageMaker analyzer names them):
- missing_column_check / extra_column_check: a baseline feature absent from the data, or a column the baseline
  does not know (by name; without a CSV header, names are positional `_c<i>`).
- data_type_check: share of present values matching the baseline's inferred type below
  `monitoring_config.datatype_check_threshold` (Fractional accepts integral values, String accepts anything).
- completeness_check: share of non-missing values below the feature's `completeness` constraint.
- categorical_values_check: for String features with `string_constraints.domains`, share of values inside the
  domain below `monitoring_config.domain_content_threshold`.
- baseline_drift_check: distance between the baseline's and the data's distributions above
  `distribution_constraints.comparison_threshold` (numerical: L-infinity distance between the two CDFs, i.e. the
  two-sample Kolmogorov-Smirnov statistic, from the KLL sketches; String: L-infinity distance between the category
  frequencies, against `categorical_comparison_threshold`). With `comparison_method` "Robust" a distance above the
  threshold is reported only when it is also significant for the two-sample KS test at the 1% level
  (c(0.01) = 1.628, critical distance c * sqrt((n + m) / (n * m))), so that a small clean batch is not flagged for
  its sampling noise; "Simple" compares the distance with the threshold alone. This is this project's reading of
  the two methods; the SageMaker container's exact rule is not published.
`is_non_negative` is suggested as the SageMaker analyzer does but, like there, is not a violation type.
`monitoring_config.evaluate_constraints` "Disabled" (globally or in a feature's `monitoring_config_overrides`)
turns checks off.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from pipelines.errors import UsageError
from pipelines.local.monitor.profile import (
    FRACTIONAL,
    INTEGRAL,
    STRING,
    UNKNOWN,
    ColumnProfile,
    DatasetProfile,
    profile_frames,
)
from pipelines.local.monitor.sketch import KllSketch, ks_distance

MAX_DOMAIN_VALUES = 20  # String features with at most this many distinct values get a suggested domain
KS_CRITICAL_COEFFICIENT = 1.628  # c(alpha) of the two-sample KS test at alpha = 0.01
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
        raise UsageError("the monitored dataset has no rows")


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
        kind = "Categorical" if expected_type == STRING else "Numerical"
        found.append(_violation(name, "baseline_drift_check",
                                f"{kind} distance: {drift[0]:.6g} exceeds {kind.lower()} threshold: {drift[1]:.6g}"))
    return found


def _drift(column: ColumnProfile, expected_type: str, statistics: Mapping | None,
           distribution: Mapping) -> tuple[float, float] | None:
    """(distance, threshold) when the feature drifted, else None."""
    if distribution.get("perform_comparison", "Enabled") == "Disabled" or not statistics:
        return None
    if expected_type in (INTEGRAL, FRACTIONAL) and column.num_numeric:
        numerical = statistics.get("numerical_statistics") or {}
        sketch = ((numerical.get("distribution") or {}).get("kll") or {}).get("sketch")
        if not sketch:
            return None
        reference = KllSketch.from_statistics(sketch)
        distance, threshold = ks_distance(reference, column.sketch), float(distribution["comparison_threshold"])
        method = distribution.get("comparison_method", "Robust")
        if method not in ("Robust", "Simple"):
            raise UsageError(f"constraints.json: monitoring_config.distribution_constraints.comparison_method "
                             f"{method!r} is not supported; use Robust or Simple")
        if method == "Robust":
            n, m = reference.count, column.num_numeric
            threshold = max(threshold, KS_CRITICAL_COEFFICIENT * math.sqrt((n + m) / (n * m)))
        return (distance, threshold) if distance > threshold else None
    if expected_type == STRING and column.value_counts is not None:
        buckets = (((statistics.get("string_statistics") or {}).get("distribution") or {})
                   .get("categorical") or {}).get("buckets")
        if not buckets:
            return None
        method = distribution.get("categorical_drift_method", "LInfinity")
        if method != "LInfinity":
            raise UsageError(f"constraints.json: monitoring_config.distribution_constraints.categorical_drift_method "
                             f"{method!r} is not supported by the local analyzer; use LInfinity")
        reference = {bucket["value"]: float(bucket["count"]) for bucket in buckets}
        distance = _linf(reference, column.value_counts)
        threshold = float(distribution.get("categorical_comparison_threshold", 0.1))
        return (distance, threshold) if distance > threshold else None
    return None


def _linf(left: Mapping[str, float], right: Mapping[str, float]) -> float:
    left_total, right_total = sum(left.values()) or 1.0, sum(right.values()) or 1.0
    return max(abs(left.get(key, 0.0) / left_total - right.get(key, 0.0) / right_total)
               for key in set(left) | set(right))


def _features(document: Mapping, file_name: str) -> list[dict]:
    features = document.get("features")
    if not isinstance(features, list) or not all(isinstance(f, dict) and "name" in f for f in features):
        raise UsageError(f"baseline {file_name} has no valid 'features' list (each entry needs a 'name')")
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
