"""The cases the rollback simulation replays: traffic, error rates over time, what should happen.

Times are minutes since the tier began. Treatment is the cohort with the feature (all bucketed);
control, when it reports, has `CONTROL_SHARE` times as many events (a 10% tier). Each case says
what the rule should do: `rollback` (and the goal for how fast), `hold` (no rollback; a pause
is allowed when something is really wrong), or `quiet` (neither rollback nor pause).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

TIER_MINUTES = 48 * 60
CONTROL_SHARE = 9
HEALTHY = 0.02


@dataclass(frozen=True)
class Segment:
    """Error rates for `start <= minute < end`."""

    start: int
    end: int
    treatment: float
    control: float | None = None


@dataclass(frozen=True)
class Case:
    """One replayed situation.

    Attributes:
        name: shown in the table.
        per_minute: treatment events a minute.
        treatment: the treatment's base error rate.
        control: control's base error rate (None: control does not report).
        segments: rate changes over the base (bursts, late onsets).
        runs: simulated tiers.
        expect: `rollback`, `hold` or `quiet`.
        onset: the minute the change begins; times to a decision count from here.
        within_events: the goal's bound on treatment events from onset to rollback.
        within_minutes: the goal's bound on minutes from onset to rollback.
        goal_share: the share of runs that must meet it (or the most that may roll back/pause).
    """

    name: str
    per_minute: float
    treatment: float
    control: float | None = HEALTHY
    segments: tuple[Segment, ...] = ()
    runs: int = 1_000
    expect: str = "hold"
    onset: int = 0
    within_events: int | None = None
    within_minutes: int | None = None
    goal_share: float = 0.005
    minutes: int = TIER_MINUTES

    def rates(self) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
        """Per-minute error rates of treatment and of control (None without control)."""
        treated = np.full(self.minutes, self.treatment)
        control = None if self.control is None else np.full(self.minutes, self.control)
        for seg in self.segments:
            treated[seg.start : seg.end] = seg.treatment
            if control is not None and seg.control is not None:
                control[seg.start : seg.end] = seg.control
        return treated, control


def _steady(rate: float, per_minute: float) -> Case:
    name = f"steady {rate:.1%} at {per_minute:g}/min, no control"
    runs = 5_000 if rate == 0.04 else 1_000
    if rate <= 0.05:
        return Case(name, per_minute, rate, None, runs=runs)
    within = 1_000 if rate == 0.08 else 200
    return Case(
        name, per_minute, rate, None, runs=runs, expect="rollback", within_events=within, goal_share=0.95
    )


def _late_onset(rate: float, within_minutes: int) -> Case:
    onset = 40 * 60
    return Case(
        f"late onset 2% → {rate:.0%} after 40 h, 20/min",
        20,
        HEALTHY,
        segments=(Segment(onset, TIER_MINUTES, rate),),
        expect="rollback",
        onset=onset,
        within_minutes=within_minutes,
        goal_share=0.95,
    )


def _burst(start: int, when: str, *, both: bool) -> Case:
    """Five minutes of 60% errors from `start`: roll back if treatment's alone, hold if shared."""
    segment = Segment(start, start + 5, 0.60, 0.60 if both else None)
    name = f"burst 60% for 5 min at {when}, {'both cohorts' if both else 'treatment only'}"
    if both:
        return Case(name, 20, HEALTHY, segments=(segment,), onset=start)
    return Case(
        name,
        20,
        HEALTHY,
        segments=(segment,),
        expect="rollback",
        onset=start,
        within_minutes=15,
        goal_share=0.95,
    )


def all_cases() -> list[Case]:
    """Every case of the table, in order (the order seeds the streams)."""
    cases = [_steady(rate, traffic) for traffic in (1, 20, 2_000) for rate in (0.02, 0.04, 0.08, 0.15)]
    early, late = 30, 40 * 60
    return [
        *cases,
        Case("steady 4.9% at 20/min, no control", 20, 0.049, None, expect="quiet", goal_share=0.05),
        Case("steady 4.9% at 20/min, control 4.9%", 20, 0.049, 0.049, expect="quiet", goal_share=0.05),
        Case("8% vs control 2% at 20/min", 20, 0.08, expect="rollback", within_events=1_000, goal_share=0.95),
        Case("15% vs control 2% at 20/min", 20, 0.15, expect="rollback", within_events=200, goal_share=0.95),
        _late_onset(0.08, 6 * 60),
        _late_onset(0.20, 30),
        _burst(early, "30 min", both=False),
        _burst(late, "40 h", both=False),
        _burst(early, "30 min", both=True),
        _burst(late, "40 h", both=True),
        Case("control as bad: both 6% at 20/min", 20, 0.06, 0.06),
        Case("control as bad: both 10% at 20/min", 20, 0.10, 0.10),
        Case("relative only: 4% vs control 2%, 20/min", 20, 0.04, 0.02),
    ]
