"""Simulated minutes of outcomes and the rule's verdicts over them, for the decision tests."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from flagpilot.core import Tier
from flagpilot.services.rollouts import (
    CohortPair,
    CohortStats,
    Decision,
    MinutePoint,
    RollbackRule,
    Verdict,
    decide,
    totals_of,
)
from flagpilot.services.rollouts.detectors import FoldMemo
from tests.unit.services.rollouts.helpers import NOW

THRESHOLD = 0.05


Rates = Callable[[int], tuple[float, float | None]]


def minutes_of(
    rates: Rates, count: int, *, per_minute: int = 20, control_share: int = 9, seed: int = 1
) -> list[MinutePoint]:
    """`count` simulated minutes: treatment and control error rates per minute from `rates`."""
    rng = random.Random(seed)
    points = []
    for m in range(count):
        treated_rate, control_rate = rates(m)
        bad = sum(rng.random() < treated_rate for _ in range(per_minute))
        control = CohortStats()
        if control_rate is not None:
            events = per_minute * control_share
            failed = sum(rng.random() < control_rate for _ in range(events))
            control = CohortStats(events - failed, failed)
        points.append(
            MinutePoint(
                NOW + timedelta(minutes=m),
                Tier.TIER_2_EARLY_ADOPTERS,
                CohortPair(CohortStats(per_minute - bad, bad), control),
            )
        )
    return points


def judge(
    points: list[MinutePoint],
    *,
    min_events: int = 100,
    memo: FoldMemo | None = None,
    rule: RollbackRule | None = None,
) -> Decision:
    end = points[-1].minute + timedelta(seconds=30) if points else NOW
    start = end - timedelta(hours=1)
    return decide(
        points,
        tier_started=NOW,
        threshold=THRESHOLD,
        min_events=min_events,
        window=totals_of(p.counts for p in points if p.minute >= start.replace(second=0)),
        window_start=end - timedelta(hours=1),
        window_end=end,
        memo=memo,
        rule=rule,
    )


def first_verdict(points: list[MinutePoint], verdict: Verdict, every: int = 1, start: int = 0) -> int | None:
    """The first minute (checked every `every` minutes from `start`) judged `verdict`."""
    memo = FoldMemo()
    for m in range(start, len(points), every):
        if judge(points[: m + 1], memo=memo).verdict is verdict:
            return m
    return None
