"""The geometry of a histogram drawn as an SVG bar chart by a template (components.html.j2 `histogram`): each bin
holds one bar per series side by side, the y axis is the share of the series' values, the x axis the feature's
values at a few bin edges. Computed here so the template only places shapes; no script needed to see it."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.monitoring.statistics import Histogram

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 40
X_TICKS = 4


@dataclass(frozen=True)
class Bar:
    series: str
    x: float
    y: float
    width: float
    height: float
    lower: float
    upper: float
    share: float


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot: tuple[int, int, int, int]
    """(left, top, right, bottom) of the plotting area."""
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def bar_chart(histogram: Histogram) -> Chart:
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    edges, names = histogram.edges, list(histogram.series)
    bins = len(edges) - 1
    if bins < 1 or not names:
        return Chart(WIDTH, HEIGHT, (left, top, right, bottom), [], [], [])
    tallest = max((share for shares in histogram.series.values() for share in shares), default=0.0) or 1.0
    slot = (right - left) / bins
    bar_width = (slot - 2) / len(names)
    bars = []
    for index in range(bins):
        for position, name in enumerate(names):
            share = histogram.series[name][index]
            height = (bottom - top) * share / tallest
            bars.append(Bar(name, round(left + index * slot + 1 + position * bar_width, 2), round(bottom - height, 2),
                            round(bar_width, 2), round(height, 2), edges[index], edges[index + 1], share))
    step = max(bins // X_TICKS, 1)
    x_ticks = [Tick(round(left + index * slot, 2), f"{edges[index]:.3g}") for index in range(0, bins + 1, step)]
    y_ticks = [Tick(round(bottom - (bottom - top) * fraction, 2), f"{tallest * fraction:.0%}")
               for fraction in (0, 0.5, 1)]
    return Chart(WIDTH, HEIGHT, (left, top, right, bottom), bars, x_ticks, y_ticks)
