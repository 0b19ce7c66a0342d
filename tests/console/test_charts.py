"""The drift histograms' arithmetic: KLL buckets of different bounds spread over shared bins."""

from __future__ import annotations

import pytest

from localaws.console.charts import bar_chart
from pipelines.monitoring.statistics import common_histogram


def test_buckets_of_different_bounds_are_spread_over_shared_bins_keeping_their_mass():
    histogram = common_histogram({"baseline": [(0.0, 2.0, 10.0), (2.0, 4.0, 30.0)],
                                  "batch": [(3.0, 4.0, 5.0)]}, bins=4)

    assert histogram.edges == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert histogram.series["baseline"] == pytest.approx([0.125, 0.125, 0.375, 0.375])
    assert histogram.series["batch"] == pytest.approx([0.0, 0.0, 0.0, 1.0])


def test_a_constant_feature_puts_its_mass_in_the_bin_of_its_value():
    histogram = common_histogram({"baseline": [(2.0, 2.0, 7.0)]}, bins=3)

    assert histogram.edges[0] < 2.0 < histogram.edges[-1]
    assert histogram.series["baseline"] == [0.0, 1.0, 0.0]


def test_the_tallest_bar_fills_the_plot_and_each_bin_holds_one_bar_per_series():
    chart = bar_chart(common_histogram({"baseline": [(0.0, 1.0, 1.0)], "batch": [(1.0, 2.0, 3.0)]}, bins=2))

    left, top, right, bottom = chart.plot
    assert len(chart.bars) == 4
    assert max(bar.height for bar in chart.bars) == bottom - top
    assert [bar.series for bar in chart.bars] == ["baseline", "batch", "baseline", "batch"]
    assert chart.x_ticks[0].position == left
    assert chart.x_ticks[-1].position == right
