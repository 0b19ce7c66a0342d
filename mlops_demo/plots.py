"""The report's figures, drawn with matplotlib's Agg backend (no display needed) and returned as PNG bytes.

The drift figure compares the two published-format `statistics.json` documents the monitor wrote: the baseline
the model was registered with and the batch that failed the check. Both carry KLL sketch buckets per numerical
feature; a bucket's mass is drawn over its [lower_bound, upper_bound] interval, normalised to a density, so the
two distributions are comparable even though their buckets differ (the sketch is approximate by construction).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: the demo runs headless, in CI and over SSH

import matplotlib.pyplot as plt

from mlops_demo.facts import ModelVersion
from pipelines.monitoring.statistics import feature_buckets, missing_share


def _draw_buckets(axes, buckets: Sequence[tuple[float, float, float]], label: str, color: str) -> None:
    total = sum(count for _, _, count in buckets)
    if not total:
        return
    for index, (lower, upper, count) in enumerate(buckets):
        width = upper - lower
        # A zero-width bucket (a constant feature) still has its mass: draw it as a thin bar.
        height = count / total / width if width > 0 else count / total
        axes.bar(lower, height, width=width if width > 0 else 0.05, align="edge", alpha=0.45, color=color,
                 edgecolor=color, label=label if index == 0 else None)


def drift_figure(baseline: Mapping[str, Any], batch: Mapping[str, Any], features: Sequence[str],
                 label: Callable[[str], str] = str) -> bytes:
    """One panel per feature: the baseline's distribution against the batch's; `label` names the axes."""
    if not features:
        raise ValueError("no drifted feature to plot")
    figure, axes_list = plt.subplots(1, len(features), figsize=(5 * len(features), 3.6), squeeze=False)
    for axes, feature in zip(axes_list[0], features, strict=True):
        _draw_buckets(axes, feature_buckets(baseline, feature), "baseline (training data)", "tab:blue")
        _draw_buckets(axes, feature_buckets(batch, feature), "inference batch", "tab:red")
        # Missing values are not in the buckets: the title carries them, as the completeness check sees them.
        axes.set_title(f"{label(feature)}\nmissing: baseline {missing_share(baseline, feature):.0%}, "
                       f"batch {missing_share(batch, feature):.0%}", fontsize=10)
        axes.set_xlabel(label(feature))
        axes.set_ylabel("density")
        axes.legend()
    return _png(figure)


def confusion_figure(versions: Sequence[ModelVersion]) -> bytes:
    """The test-set confusion matrix of each model version, side by side."""
    shown = [version for version in versions if version.confusion_matrix]
    if not shown:
        raise ValueError("no model version has a confusion matrix in its evaluation.json")
    figure, axes_list = plt.subplots(1, len(shown), figsize=(3.8 * len(shown), 3.4), squeeze=False)
    for axes, version in zip(axes_list[0], shown, strict=True):
        matrix = version.confusion_matrix
        axes.imshow(matrix, cmap="Blues")
        for row, values in enumerate(matrix):
            for column, value in enumerate(values):
                axes.text(column, row, str(value), ha="center", va="center", fontsize=12)
        axes.set_title(f"version {version.version}")
        axes.set_xlabel("predicted")
        axes.set_ylabel("actual")
        axes.set_xticks(range(len(matrix[0])))
        axes.set_yticks(range(len(matrix)))
    return _png(figure)


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    # Fixed metadata so the same figures give the same bytes (the report is reproducible run to run).
    figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()
