"""The automatic-rollback rule: quiet at healthy rates, quick at bad ones, careful in between."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest

from flagpilot.services.rollouts import (
    CohortPair,
    CohortStats,
    SequentialTest,
    Verdict,
    decide,
    two_proportion_z,
)
from tests.unit.services.rollouts.helpers import NOW

THRESHOLD = 0.05


def judge(window: CohortPair, tier: CohortPair | None = None, min_events: int = 100) -> Verdict:
    return decide(
        window,
        tier or window,
        threshold=THRESHOLD,
        min_events=min_events,
        window_start=NOW - timedelta(hours=1),
        window_end=NOW,
    ).verdict


def treated(successes: int, errors: int, control: CohortStats | None = None) -> CohortPair:
    return CohortPair(CohortStats(successes, errors), control or CohortStats())


def test_sequential_test__llr_matches_the_formula() -> None:
    test = SequentialTest(alpha=0.05, ratio=1.6)

    llr = test.log_likelihood_ratio(200, 20, THRESHOLD)

    assert llr == pytest.approx(20 * math.log(0.08 / 0.05) + 180 * math.log(0.92 / 0.95))
    assert test.bound == pytest.approx(math.log(20))


def test_sequential_test__at_the_extremes_of_the_threshold__stays_defined() -> None:
    test = SequentialTest()

    assert test.rejects(100, 1, 0.0)
    assert not test.rejects(100, 0, 0.0)
    assert not test.rejects(100, 100, 1.0)
    assert test.alternative(0.9) < 1.0


def test_decide__rate_within_threshold__is_healthy() -> None:
    assert judge(treated(960, 40)) is Verdict.HEALTHY


def test_decide__a_handful_of_early_errors__is_not_conclusive() -> None:
    assert judge(treated(8, 2)) is Verdict.HEALTHY


def test_decide__conclusive_errors_over_enough_events__rolls_back_with_evidence() -> None:
    # Given
    window = treated(170, 30)

    # When
    decision = decide(
        window,
        window,
        threshold=THRESHOLD,
        min_events=100,
        window_start=NOW - timedelta(hours=1),
        window_end=NOW,
    )

    # Then
    assert decision.verdict is Verdict.ROLLBACK
    evidence = decision.evidence.to_dict()
    assert evidence["tierTotal"]["treatment"] == {
        "exposures": 200,
        "successes": 170,
        "errors": 30,
        "errorRate": 0.15,
        "successRate": 0.85,
    }
    assert evidence["tierLogLikelihoodRatio"] >= evidence["bound"]
    assert "15.00%" in decision.reason


def test_decide__conclusive_but_below_min_events__pauses_for_a_human() -> None:
    decision_verdict = judge(treated(30, 30))

    assert decision_verdict is Verdict.PAUSE


def test_decide__when_control_fails_as_much__pauses_instead_of_rolling_back() -> None:
    window = treated(170, 30, control=CohortStats(8_500, 1_500))

    assert judge(window) is Verdict.PAUSE


def test_decide__when_treatment_is_worse_than_a_healthy_control__rolls_back() -> None:
    window = treated(170, 30, control=CohortStats(9_800, 200))

    assert judge(window) is Verdict.ROLLBACK


def test_decide__conclusive_recent_errors_after_a_long_healthy_tier__pause() -> None:
    # Given a tier with 50,000 healthy events and a bad last hour
    window = treated(1_000, 200)
    tier = treated(49_000, 1_200)

    assert judge(window, tier) is Verdict.PAUSE


def test_two_proportion_z__is_positive_when_treatment_fails_more() -> None:
    assert two_proportion_z(1000, 100, 1000, 50) > 3
    assert two_proportion_z(1000, 50, 1000, 50) == 0.0
    assert two_proportion_z(0, 0, 1000, 50) == 0.0


def stream_verdicts(rate: float, seed: int, minutes: int, per_minute: int = 20) -> tuple[bool, int]:
    """Check a simulated rollout every minute; (rolled back?, events seen when it did)."""
    rng = random.Random(seed)
    history: list[tuple[int, int]] = []
    successes = errors = 0
    for _ in range(minutes):
        bad = sum(rng.random() < rate for _ in range(per_minute))
        history.append((per_minute - bad, bad))
        successes += per_minute - bad
        errors += bad
        recent = history[-60:]
        window = treated(sum(s for s, _ in recent), sum(e for _, e in recent))
        if judge(window, treated(successes, errors)) is Verdict.ROLLBACK:
            return True, successes + errors
    return False, successes + errors


def test_decide__on_seeded_healthy_streams__never_rolls_back() -> None:
    # Given 30 rollouts at a true 2% and 30 at 4%, watched every minute for 8 hours
    rolled = [stream_verdicts(rate, seed, minutes=480)[0] for rate in (0.02, 0.04) for seed in range(30)]

    # Then none is rolled back
    assert not any(rolled)


def test_decide__on_seeded_failing_streams__detects_quickly() -> None:
    # Given 30 rollouts at a true 15% error rate
    results = [stream_verdicts(0.15, seed, minutes=480) for seed in range(30)]

    # Then every one is rolled back within 400 events
    assert all(rolled for rolled, _ in results)
    assert max(events for _, events in results) <= 400
