"""Statistics over metric rows: windows, tiers, cohorts and the per-minute series."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flagpilot.api.serialisers import minute_point_json, statistics_json
from flagpilot.core import Tier
from flagpilot.services.rollouts import (
    Cohort,
    CohortStats,
    MetricRow,
    RolloutConfig,
    by_tier,
    minute_series,
    read_since,
    rollout_statistics,
    totals,
)
from flagpilot.services.rollouts import transitions as rules
from tests.unit.services.rollouts.helpers import ACTOR, ENV, FLAG, NOW

T1, T2 = Tier.TIER_1_INTERNAL, Tier.TIER_2_EARLY_ADOPTERS
TREAT, CONTROL = Cohort.TREATMENT, Cohort.CONTROL


def minute(n: int) -> MetricRow:
    return MetricRow(1, NOW + timedelta(minutes=n), T1, TREAT)


def test_cohort_stats__rates_are_shares_of_the_events_and_zero_without_any() -> None:
    assert (CohortStats(95, 5).error_rate, CohortStats(95, 5).success_rate) == (0.05, 0.95)
    assert (CohortStats().error_rate, CohortStats().success_rate, CohortStats().exposures) == (0.0, 0.0, 0)


def test_totals__sums_per_cohort_within_tier_and_time_bounds() -> None:
    rows = [
        replace(minute(0), successes=10, errors=1),
        replace(minute(1), successes=20, errors=2),
        replace(minute(1), cohort=CONTROL, successes=100, errors=3),
        replace(minute(2), tier=T2, successes=7, errors=7),
    ]

    pair = totals(rows, tier=T1, since=NOW + timedelta(minutes=1))

    assert (pair.treatment, pair.control) == (CohortStats(20, 2), CohortStats(100, 3))
    assert totals(rows).treatment == CohortStats(37, 10)


def test_by_tier_and_series__split_counts_for_the_chart() -> None:
    rows = [
        replace(minute(1), successes=20, errors=2),
        replace(minute(0), successes=10, errors=1),
        replace(minute(0), cohort=CONTROL, successes=50),
        replace(minute(1), tier=T2, successes=7, errors=7),
    ]

    series = minute_series(rows)
    tiers = by_tier(rows)

    assert [(p.minute, p.tier) for p in series] == [
        (NOW, T1),
        (NOW + timedelta(minutes=1), T1),
        (NOW + timedelta(minutes=1), T2),
    ]
    assert series[0].counts.control == CohortStats(50, 0)
    assert list(tiers) == [T1, T2]
    assert tiers[T2].treatment.error_rate == 0.5
    assert minute_point_json(series[0])["treatment"]["exposures"] == 11


def test_rollout_statistics__window_covers_the_time_window_and_tier_total_the_whole_tier() -> None:
    # Given a tier started at NOW with a one-hour window, looked at three hours later
    record = replace(
        rules.start(rules.new_rollout(FLAG, ENV, RolloutConfig(), actor=ACTOR, now=NOW), now=NOW), id=1
    )
    later = NOW + timedelta(hours=3)
    rows = [
        replace(minute(10), successes=100, errors=50),
        replace(minute(150), successes=90, errors=10),
        replace(minute(170), cohort=CONTROL, successes=1000, errors=10),
    ]

    # When
    stats = rollout_statistics(record, rows, now=later)

    # Then
    assert read_since(record, later) == NOW
    assert stats.window.treatment == CohortStats(90, 10)
    assert stats.window.control == CohortStats(1000, 10)
    assert stats.tier_total.treatment == CohortStats(190, 60)
    assert stats.window_start == later - timedelta(hours=1)
    assert statistics_json(stats)["window"]["treatment"]["errorRate"] == 0.1
    assert len(stats.series) == 2
