"""A mergeable KLL quantile sketch: bounded memory, whatever the number of values fed to it.

The model-monitor analyzer's `statistics.json` describes each numerical feature's distribution as a KLL sketch
(`distribution.kll.sketch`: `parameters` {c, k} and `data`, one list of items per compactor level). This module
builds that structure so the local analyzer writes what the SageMaker one writes, and reads it back to compare a
batch against a baseline.

How it works (Karnin, Lang, Liberty 2016, with lazy compaction): level h holds items that each stand for 2**h
values. When a level holds more than its capacity, it is sorted and every other item (offset 0 or 1) moves up one
level; the total weight is conserved exactly, so `count` stays exact while the rank error stays around
1/k-ish. Capacities shrink geometrically (factor c) going down from the top level. The offsets come from a seeded
generator, so the same values in the same order always give the same sketch (deterministic outputs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

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
