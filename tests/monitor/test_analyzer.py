"""The analyzer on the real UCI data: baseline formats, and each violation type on purpose-made batches."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from pipelines.monitoring import data_quality as analyzer
from pipelines.monitoring.data_quality import DataQualityError

from .conftest import FEATURE_COLUMNS


@pytest.fixture(scope="module")
def baseline(split):
    return analyzer.baseline(split[0])


def _types(found: list[dict]) -> list[tuple[str, str]]:
    return [(v["feature_name"], v["constraint_check_type"]) for v in found]


def test_statistics_match_pandas_exactly(split, baseline):
    frame, (statistics, _) = split[0], baseline
    assert statistics["dataset"] == {"item_count": len(frame)}
    by_name = {f["name"]: f for f in statistics["features"]}
    assert list(by_name) == FEATURE_COLUMNS
    for name in FEATURE_COLUMNS:
        numerical = by_name[name]["numerical_statistics"]
        assert by_name[name]["inferred_type"] == "Integral"
        assert numerical["common"] == {"num_present": len(frame), "num_missing": 0}
        assert numerical["sum"] == frame[name].sum()
        assert numerical["mean"] == pytest.approx(frame[name].mean())
        assert numerical["std_dev"] == pytest.approx(frame[name].std(ddof=0))
        assert (numerical["min"], numerical["max"]) == (frame[name].min(), frame[name].max())
        kll = numerical["distribution"]["kll"]
        assert len(kll["buckets"]) == 10
        assert sum(b["count"] for b in kll["buckets"]) == pytest.approx(len(frame), abs=10)
        assert kll["sketch"]["parameters"] == {"c": 0.64, "k": 2048.0}
        assert sum(len(level) << h for h, level in enumerate(kll["sketch"]["data"])) == len(frame)


def test_constraints_are_suggested_as_sagemaker_does(baseline):
    _, constraints = baseline
    assert [f["name"] for f in constraints["features"]] == FEATURE_COLUMNS
    for feature in constraints["features"]:
        assert feature["inferred_type"] == "Integral"
        assert feature["completeness"] == 1.0
        assert feature["num_constraints"] == {"is_non_negative": True}
    distribution = constraints["monitoring_config"]["distribution_constraints"]
    assert distribution["perform_comparison"] == "Enabled"
    assert distribution["comparison_threshold"] == 0.1
    assert distribution["comparison_method"] == "Robust"
    assert constraints["monitoring_config"]["emit_metrics"] == "Enabled"


def test_a_clean_sample_of_the_same_data_has_no_violation(split, baseline):
    assert analyzer.check(split[1], *baseline) == []


def test_injected_drift_is_a_baseline_drift_violation_of_that_feature_only(split, baseline):
    drifted = split[1].copy()
    drifted["_c0"] = drifted["_c0"] + 25  # every patient 25 years older
    found = analyzer.check(drifted, *baseline)
    assert _types(found) == [("_c0", "baseline_drift_check")]
    assert re.fullmatch(r"Baseline drift distance: 0\.\d+ exceeds threshold: 0\.\d+", found[0]["description"])


def test_simple_comparison_flags_smaller_distances_than_robust(split, baseline):
    statistics, constraints = baseline
    drifted = split[1].copy()
    drifted.loc[drifted.index[:30], "_c0"] += 30  # a fifth of the batch older: distance ~0.13-0.2
    simple = analyzer.merge_settings(constraints, {"monitoring_config": {
        "distribution_constraints": {"comparison_method": "Simple"}}})
    assert ("_c0", "baseline_drift_check") in _types(analyzer.check(drifted, statistics, simple))
    assert analyzer.check(drifted, statistics, constraints) == []


def test_missing_column(split, baseline):
    found = analyzer.check(split[1].drop(columns="_c3"), *baseline)
    assert _types(found) == [("_c3", "missing_column_check")]
    assert "Number of columns in current dataset: 3" in found[0]["description"]


def test_extra_column(split, baseline):
    extra = split[1].assign(_c4=1)
    assert _types(analyzer.check(extra, *baseline)) == [("_c4", "extra_column_check")]


def test_missing_values_break_completeness(split, baseline):
    holes = split[1].astype(float)
    holes.loc[holes.index[:15], "_c1"] = np.nan
    found = analyzer.check(holes, *baseline)
    assert _types(found) == [("_c1", "completeness_check")]
    assert "Expected completeness: 100.0%. Observed: Only 90.0% of data is present" in found[0]["description"]


def test_text_in_a_numeric_column_breaks_the_data_type(split, baseline):
    text = split[1].astype(object)
    text.loc[text.index[:3], "_c2"] = "unknown"
    found = analyzer.check(text, *baseline)
    assert _types(found) == [("_c2", "data_type_check")]
    assert "Expected data type: Integral" in found[0]["description"]


@pytest.mark.parametrize("written", ["6_7", " 67 ", "67\t", "\u0666\u0667"])
def test_an_integer_not_written_in_plain_digits_is_text(tmp_path, split, baseline, written):
    """What the data rules refuse (pipelines.parsing.strict_int) is no number to the analyzer either."""
    rows = split[1].astype(int).astype(str)
    rows.loc[rows.index[:3], "_c1"] = written
    path = tmp_path / "batch.csv"
    path.write_text("\n".join(",".join(row) for row in rows.itertuples(index=False)) + "\n", encoding="utf-8")
    chunks = list(analyzer.read_chunks([path], analyzer.CsvFormat(header=False)))
    found = analyzer.check(chunks, *baseline)
    assert ("_c1", "data_type_check") in _types(found)
    assert analyzer.profile_frames(chunks).columns["_c1"].num_string == 3


def test_a_clean_file_reads_the_same_on_the_text_path(tmp_path, split):
    """A file with a space anywhere (here in a header) is read as text: the same statistics as the fast path."""
    rows = split[1].astype(int).astype(str)
    body = "\n".join(",".join(row) for row in rows.itertuples(index=False)) + "\n"
    fast, text = tmp_path / "fast.csv", tmp_path / "text.csv"
    fast.write_text(",".join(rows.columns) + "\n" + body)
    text.write_text(",".join(rows.columns[:-1]) + ",last column\n" + body)
    read = [analyzer.baseline(analyzer.read_chunks([path], analyzer.CsvFormat(header=True))) for path in (fast, text)]
    features = [[{k: v for k, v in f.items() if k != "name"} for f in statistics["features"]] for statistics, _ in read]
    assert features[0] == features[1]


def test_fractional_values_are_not_integral(split, baseline):
    fractional = split[1].astype(float)
    fractional["_c1"] = fractional["_c1"] + 0.5
    assert ("_c1", "data_type_check") in _types(analyzer.check(fractional, *baseline))


def test_string_features_get_domains_and_categorical_checks():
    rng = np.random.default_rng(0)
    colours = pd.DataFrame({"colour": rng.choice(["red", "green", "blue"], size=2000, p=[0.5, 0.3, 0.2])})
    statistics, constraints = analyzer.baseline(colours)
    feature = constraints["features"][0]
    assert feature["inferred_type"] == "String"
    assert feature["string_constraints"] == {"domains": ["blue", "green", "red"]}
    string_statistics = statistics["features"][0]["string_statistics"]
    assert string_statistics["distinct_count"] == 3
    assert {b["value"] for b in string_statistics["distribution"]["categorical"]["buckets"]} == {"red", "green", "blue"}

    same = pd.DataFrame({"colour": rng.choice(["red", "green", "blue"], size=500, p=[0.5, 0.3, 0.2])})
    assert analyzer.check(same, statistics, constraints) == []
    shifted = pd.DataFrame({"colour": ["blue"] * 300 + ["red"] * 190 + ["purple"] * 10})
    assert _types(analyzer.check(shifted, statistics, constraints)) == [
        ("colour", "categorical_values_check"), ("colour", "baseline_drift_check")]


def test_disabled_evaluation_reports_nothing(split, baseline):
    statistics, constraints = baseline
    broken = split[1].drop(columns="_c3").assign(_c0=lambda f: f["_c0"] * 10)
    off = analyzer.merge_settings(constraints, {"monitoring_config": {"evaluate_constraints": "Disabled"}})
    assert analyzer.check(broken, statistics, off) == []
    one_feature_off = analyzer.merge_settings(constraints, {})
    one_feature_off["features"][0]["monitoring_config_overrides"] = {"evaluate_constraints": "Disabled"}
    assert _types(analyzer.check(broken, statistics, one_feature_off)) == [("_c3", "missing_column_check")]


def test_chunks_give_the_same_statistics_as_one_frame(split):
    frame = split[0]
    whole, _ = analyzer.baseline(frame)
    chunked, _ = analyzer.baseline(frame.iloc[i:i + 100] for i in range(0, len(frame), 100))
    for one, other in zip(whole["features"], chunked["features"], strict=True):
        a, b = one["numerical_statistics"], other["numerical_statistics"]
        assert a["common"] == b["common"]
        assert (a["sum"], a["min"], a["max"]) == (b["sum"], b["min"], b["max"])
        assert a["mean"] == pytest.approx(b["mean"])
        assert a["std_dev"] == pytest.approx(b["std_dev"])


def test_a_column_absent_from_some_chunks_counts_as_missing():
    chunks = [pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [3], "b": [4]}), pd.DataFrame({"a": [5]})]
    statistics, constraints = analyzer.baseline(chunks)
    b = statistics["features"][1]["numerical_statistics"]["common"]
    assert b == {"num_present": 1, "num_missing": 3}
    assert constraints["features"][1]["completeness"] == 0.25


def test_empty_data_and_bad_baselines_are_refused(baseline):
    with pytest.raises(DataQualityError, match="no rows"):
        analyzer.check(pd.DataFrame({"_c0": []}), *baseline)
    with pytest.raises(DataQualityError, match="'features' list"):
        analyzer.check(pd.DataFrame({"_c0": [1]}), {}, baseline[1])
    bad_method = analyzer.merge_settings(baseline[1], {"monitoring_config": {
        "distribution_constraints": {"comparison_method": "Fancy"}}})
    with pytest.raises(DataQualityError, match="comparison_method 'Fancy'"):
        analyzer.check(pd.DataFrame({"_c0": [30, 40]}), baseline[0], bad_method)


def test_high_cardinality_columns_stream_through_the_kll_sketch():
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"x": rng.normal(100.0, 15.0, 60_000)})
    statistics, constraints = analyzer.baseline(frame.iloc[i:i + 5_000] for i in range(0, len(frame), 5_000))
    numerical = statistics["features"][0]["numerical_statistics"]
    assert constraints["features"][0]["inferred_type"] == "Fractional"
    assert numerical["common"]["num_present"] == 60_000
    assert numerical["mean"] == pytest.approx(frame["x"].mean())
    assert numerical["std_dev"] == pytest.approx(frame["x"].std(ddof=0))
    assert (numerical["min"], numerical["max"]) == (frame["x"].min(), frame["x"].max())
    sketch = numerical["distribution"]["kll"]["sketch"]
    assert sum(len(level) << h for h, level in enumerate(sketch["data"])) == 60_000
    assert sum(len(level) for level in sketch["data"]) < 10_000  # bounded, not one item per row

    same = pd.DataFrame({"x": rng.normal(100.0, 15.0, 20_000)})
    shifted = pd.DataFrame({"x": rng.normal(106.0, 15.0, 20_000)})  # a 0.4 sigma shift: KS distance ~0.16
    assert analyzer.check(same, statistics, constraints) == []
    assert _types(analyzer.check(shifted, statistics, constraints)) == [("x", "baseline_drift_check")]


def test_a_column_that_turns_high_cardinality_keeps_exact_totals():
    rng = np.random.default_rng(12)
    chunks = [pd.DataFrame({"x": rng.integers(0, 10, 3_000)}), pd.DataFrame({"x": rng.uniform(0, 1, 3_000)}),
              pd.DataFrame({"x": rng.integers(0, 10, 3_000)})]
    whole = pd.concat(chunks, ignore_index=True)["x"]
    statistics, constraints = analyzer.baseline(chunks)
    numerical = statistics["features"][0]["numerical_statistics"]
    assert constraints["features"][0]["inferred_type"] == "Fractional"
    assert numerical["sum"] == pytest.approx(whole.sum())
    assert numerical["std_dev"] == pytest.approx(whole.std(ddof=0))
    assert sum(b["count"] for b in numerical["distribution"]["kll"]["buckets"]) == pytest.approx(9_000, abs=10)


def test_the_summary_names_every_violation_and_stays_short():
    found = [{"feature_name": f"_c{i}", "constraint_check_type": "completeness_check",
              "description": "Data completeness requirement is not met. Observed: Only 50.0% of data is present."}
             for i in range(40)]
    assert analyzer.summary(found[:2]) == (
        "data-quality check failed with 2 violation(s): _c0 completeness_check: Data completeness requirement is "
        "not met. Observed: Only 50.0% of data is present.; _c1 completeness_check: Data completeness requirement "
        "is not met. Observed: Only 50.0% of data is present.")
    long = analyzer.summary(found)
    assert len(long) <= analyzer.SUMMARY_LIMIT
    shown = long.count("completeness_check")
    assert long.endswith(f"; ... {40 - shown} more in constraint_violations.json")
    assert analyzer.summary([]) == "no data-quality violation"
    assert analyzer.summary(found[:1], ["Age"]).startswith("data-quality check failed with 1 violation(s): Age ")
