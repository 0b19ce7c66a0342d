"""The KLL sketch: exact counts, bounded size, small rank error, mergeable, deterministic."""

from __future__ import annotations

import numpy as np

from pipelines.monitoring.data_quality import KllSketch, ks_distance


def _fed(values: np.ndarray, chunk: int = 50_000) -> KllSketch:
    sketch = KllSketch()
    for start in range(0, len(values), chunk):
        sketch.update(values[start:start + chunk])
    return sketch


def test_count_is_exact_and_size_bounded():
    values = np.random.default_rng(1).normal(size=1_000_003)
    sketch = _fed(values)
    assert sketch.count == len(values)
    assert sum(len(level) for level in sketch.levels) < 8 * sketch.k


def test_rank_error_is_small():
    values = np.random.default_rng(2).exponential(size=500_000)
    sketch = _fed(values)
    points = np.quantile(values, np.linspace(0.01, 0.99, 99))
    exact = np.searchsorted(np.sort(values), points, side="right") / len(values)
    assert np.max(np.abs(sketch.cdf(points) - exact)) < 0.01


def test_merge_matches_a_single_stream():
    rng = np.random.default_rng(3)
    left, right = rng.normal(size=200_000), rng.normal(loc=1.0, size=100_000)
    merged = _fed(left)
    merged.merge(_fed(right))
    assert merged.count == 300_000
    assert ks_distance(merged, _fed(np.concatenate([left, right]))) < 0.01


def test_same_input_gives_the_same_sketch():
    values = np.random.default_rng(4).uniform(size=300_000)
    assert _fed(values).to_statistics() == _fed(values).to_statistics()


def test_round_trip_through_statistics_keeps_weights():
    values = np.arange(100_000, dtype=float)
    sketch = _fed(values, chunk=7_000)
    again = KllSketch.from_statistics(sketch.to_statistics())
    assert again.count == sketch.count
    assert abs(float(again.quantiles([0.5])[0]) - 50_000) < 1_000


def test_ks_distance_of_shifted_distributions():
    rng = np.random.default_rng(5)
    same = ks_distance(_fed(rng.normal(size=100_000)), _fed(rng.normal(size=100_000)))
    shifted = ks_distance(_fed(rng.normal(size=100_000)), _fed(rng.normal(loc=1.0, size=100_000)))
    assert same < 0.02
    assert 0.35 < shifted < 0.42  # exact value 2 * Phi(0.5) - 1 = 0.383
