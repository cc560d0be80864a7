"""The rollback decision over long simulated streams: a late onset after 40 healthy hours, seeded runs."""

from __future__ import annotations

from datetime import timedelta

from flagpilot.services.rollouts import (
    Finding,
    Verdict,
)
from tests.unit.services.rollouts.helpers import NOW
from tests.unit.services.rollouts.streams import first_verdict, judge, minutes_of


def test_decide__late_onset_after_40_healthy_hours__rolls_back_from_when_it_began() -> None:
    # Given 40 h at 2%, then 20% in treatment only (control stays at 2%)
    onset = 40 * 60
    points = minutes_of(lambda m: (0.20 if m >= onset else 0.02, 0.02), onset + 60)

    # When checked every minute from the onset
    rolled = first_verdict(points, Verdict.ROLLBACK, start=onset - 5)

    # Then it rolls back within 30 minutes, dating the change to about when it began
    assert rolled is not None
    assert rolled - onset <= 30
    evidence = judge(points[: rolled + 1]).evidence
    changed = evidence.absolute.likely_change
    assert changed is not None
    assert abs((changed - NOW) / timedelta(minutes=1) - onset) <= 5
    assert evidence.finding is Finding.REGRESSION


def test_decide__on_seeded_healthy_streams__never_rolls_back() -> None:
    # Given 20 tiers at a true 4% without control, checked every 15 minutes for 8 hours
    verdicts = [
        first_verdict(minutes_of(lambda m: (0.04, None), 480, seed=seed), Verdict.ROLLBACK, every=15)
        for seed in range(20)
    ]

    assert verdicts == [None] * 20
