"""The cases the rollback simulation replays: traffic, error rates over time, what should happen.

Times are minutes since the tier began. Treatment is the cohort with the feature (all bucketed);
control, when it reports, has `CONTROL_SHARE` times as many events (a 10% tier). Each case says
what the rule should do: `rollback` (and the goal for how fast), `hold` (no rollback; a pause
is allowed when something is really wrong), or `quiet` (neither rollback nor pause).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    tags: tuple[str, ...] = field(default=())

    def rates(self) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
        """Per-minute error rates of treatment and of control (None without control)."""
        treated = np.full(self.minutes, self.treatment)
        control = None if self.control is None else np.full(self.minutes, self.control)
        for seg in self.segments:
            treated[seg.start : seg.end] = seg.treatment
            if control is not None and seg.control is not None:
                control[seg.start : seg.end] = seg.control
        return treated, control


def _steady(rate: float, per_minute: float, **extra: object) -> Case:
    runs = 5_000 if rate == 0.04 else 1_000
    name = f"steady {rate:.1%} at {per_minute:g}/min, no control"
    if rate > 0.05:
        goal: dict[str, object] = {"expect": "rollback", "goal_share": 0.95}
        if rate == 0.08:
            goal["within_events"] = 1_000
        if rate == 0.15:
            goal["within_events"] = 200
        return Case(name, per_minute, rate, None, runs=runs, **goal, **extra)  # type: ignore[arg-type]
    return Case(name, per_minute, rate, None, runs=runs, **extra)  # type: ignore[arg-type]


def all_cases() -> list[Case]:
    """Every case of the table, in order."""
    cases = [_steady(rate, traffic) for traffic in (1, 20, 2_000) for rate in (0.02, 0.04, 0.08, 0.15)]
    late = 40 * 60
    burst = 5
    early = 30
    cases += [
        Case("steady 4.9% at 20/min, no control", 20, 0.049, None, expect="quiet", goal_share=0.05),
        Case("steady 4.9% at 20/min, control 4.9%", 20, 0.049, 0.049, expect="quiet", goal_share=0.05),
        Case("8% vs control 2% at 20/min", 20, 0.08, expect="rollback", within_events=1_000, goal_share=0.95),
        Case("15% vs control 2% at 20/min", 20, 0.15, expect="rollback", within_events=200, goal_share=0.95),
        Case(
            "late onset 2% → 8% after 40 h, 20/min",
            20,
            HEALTHY,
            segments=(Segment(late, TIER_MINUTES, 0.08),),
            expect="rollback",
            onset=late,
            within_minutes=6 * 60,
            goal_share=0.95,
        ),
        Case(
            "late onset 2% → 20% after 40 h, 20/min",
            20,
            HEALTHY,
            segments=(Segment(late, TIER_MINUTES, 0.20),),
            expect="rollback",
            onset=late,
            within_minutes=30,
            goal_share=0.95,
        ),
        Case(
            "burst 60% for 5 min at 30 min, treatment only",
            20,
            HEALTHY,
            segments=(Segment(early, early + burst, 0.60),),
            expect="rollback",
            onset=early,
            within_minutes=15,
            goal_share=0.95,
        ),
        Case(
            "burst 60% for 5 min at 40 h, treatment only",
            20,
            HEALTHY,
            segments=(Segment(late, late + burst, 0.60),),
            expect="rollback",
            onset=late,
            within_minutes=15,
            goal_share=0.95,
        ),
        Case(
            "burst 60% for 5 min at 30 min, both cohorts",
            20,
            HEALTHY,
            segments=(Segment(early, early + burst, 0.60, 0.60),),
            onset=early,
        ),
        Case(
            "burst 60% for 5 min at 40 h, both cohorts",
            20,
            HEALTHY,
            segments=(Segment(late, late + burst, 0.60, 0.60),),
            onset=late,
        ),
        Case("control as bad: both 6% at 20/min", 20, 0.06, 0.06),
        Case("control as bad: both 10% at 20/min", 20, 0.10, 0.10),
        Case("relative only: 4% vs control 2%, 20/min", 20, 0.04, 0.02),
    ]
    return cases
