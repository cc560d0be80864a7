"""The rollout page's chart: treatment and control error rate per minute, and the threshold line.

Drawn on the server as plain SVG coordinates (no chart library, no script): the template only
places the polylines. The y axis reaches a little above the larger of the threshold and the
highest rate, so the threshold line is always on the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flagpilot.services.rollouts import CohortStats, MinutePoint

WIDTH = 720
HEIGHT = 220
LEFT = 48
RIGHT = 12
TOP = 12
BOTTOM = 28


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything the template draws."""

    treatment: str
    control: str
    threshold_y: float
    top_rate: float
    first: str
    last: str
    minutes: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_x: int = WIDTH - RIGHT
    bottom_y: int = HEIGHT - BOTTOM


def _rate(stats: CohortStats) -> float | None:
    return stats.error_rate if stats.exposures else None


def _points(rates: Sequence[float | None], top: float) -> str:
    span = max(len(rates) - 1, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    coords = [
        f"{LEFT + plot_w * i / span:.1f},{TOP + plot_h * (1 - rate / top):.1f}"
        for i, rate in enumerate(rates)
        if rate is not None
    ]
    return " ".join(coords)


def error_rate_chart(series: Sequence[MinutePoint], threshold: float) -> Chart | None:
    """The chart of `series` (None when there is no event yet)."""
    if not series:
        return None
    treatment = [_rate(point.counts.treatment) for point in series]
    control = [_rate(point.counts.control) for point in series]
    highest = max([rate for rate in (*treatment, *control) if rate is not None] or [0.0])
    top = max(threshold, highest, 0.01) * 1.25
    plot_h = HEIGHT - TOP - BOTTOM
    return Chart(
        treatment=_points(treatment, top),
        control=_points(control, top),
        threshold_y=round(TOP + plot_h * (1 - threshold / top), 1),
        top_rate=top,
        first=series[0].minute.strftime("%H:%M"),
        last=series[-1].minute.strftime("%H:%M"),
        minutes=len(series),
    )
