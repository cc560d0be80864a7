"""The automatic-rollback rule: quiet when healthy, quick on a regression whenever it starts,
and never blaming the feature for what control suffers too."""

from __future__ import annotations

import json
import math
import random

import pytest

from flagpilot.core import Tier
from flagpilot.services.audit_payloads import evidence_payload
from flagpilot.services.rollouts import (
    DEFAULT_ABSOLUTE,
    CohortPair,
    CohortStats,
    Detector,
    Finding,
    MinutePoint,
    RollbackRule,
    Verdict,
    rate_log_lr,
    share_log_lr,
)
from flagpilot.services.rollouts.detectors import FoldMemo
from tests.unit.services.rollouts.helpers import NOW
from tests.unit.services.rollouts.streams import THRESHOLD, judge, minutes_of


def test_rate_log_lr__matches_the_binomial_likelihood_ratio() -> None:
    llr = rate_log_lr(200, 20, THRESHOLD, 1.6)

    assert llr == pytest.approx(20 * math.log(0.08 / 0.05) + 180 * math.log(0.92 / 0.95))
    assert rate_log_lr(100, 1, 0.0, 1.5) == math.inf
    assert rate_log_lr(100, 100, 1.0, 1.5) == 0.0


@pytest.mark.parametrize("ratio", [1.5, 3.0])
def test_one_minute_factors__have_mean_one_under_the_null(ratio: float) -> None:
    # A factor of mean 1 under the null is what makes the mixture a martingale (Ville's bound)
    n = 30
    rate = sum(
        math.comb(n, k)
        * THRESHOLD**k
        * (1 - THRESHOLD) ** (n - k)
        * math.exp(rate_log_lr(n, k, THRESHOLD, ratio))
        for k in range(n + 1)
    )
    share, errors = 0.1, 12
    split = sum(
        math.comb(errors, t)
        * share**t
        * (1 - share) ** (errors - t)
        * math.exp(share_log_lr(10, t, 90, errors - t, ratio))
        for t in range(errors + 1)
    )

    assert (rate, split) == (pytest.approx(1.0), pytest.approx(1.0))


def test_detector_fold__equals_the_mixture_summed_over_every_start_minute() -> None:
    # Given random per-minute log-LRs with a gap of empty minutes
    detector = Detector(alpha=0.05, tier_ratio=1.5, change_ratios=(2.0,), tier_weight=0.7, horizon_minutes=50)
    rng = random.Random(3)
    minutes = [m for m in range(80) if not 20 <= m < 25]
    llrs = {m: [rng.uniform(-1, 1), rng.uniform(-1, 1)] for m in minutes}

    # When folded
    state = detector.fold(detector.start(), [(m, llrs[m]) for m in minutes])

    # Then R = w * L_0 + (1 - w) / N * sum over start minutes j < N of prod_{i >= j} l_i
    last = max(minutes)
    tier = math.exp(sum(v[0] for v in llrs.values()))
    changes = sum(math.exp(sum(llrs[i][1] for i in minutes if i >= j)) for j in range(50) if j <= last)
    expected = 0.7 * tier + 0.3 / 50 * changes
    assert math.exp(detector.log_e_value(state)) == pytest.approx(expected, rel=1e-9)


def test_decide__healthy_tier__has_no_evidence_and_stays_healthy() -> None:
    decision = judge(minutes_of(lambda m: (0.02, 0.02), 600))

    assert (decision.verdict, decision.evidence.finding) == (Verdict.HEALTHY, Finding.NONE)


def test_decide__a_burst_control_suffers_too__pauses_without_rolling_back() -> None:
    # Given a 5-minute burst of 60% errors in both cohorts after an hour
    points = minutes_of(lambda m: (0.6, 0.6) if 60 <= m < 65 else (0.02, 0.02), 180)

    verdicts = [judge(points[: m + 1]).verdict for m in range(55, 180, 5)]

    assert Verdict.ROLLBACK not in verdicts
    assert Verdict.PAUSE in verdicts
    assert judge(points[:66]).evidence.finding is Finding.CONTROL_FAILS_TOO


def test_decide__unattributed_evidence_under_the_pause_bound__is_watched_not_paused() -> None:
    points = minutes_of(lambda m: (0.6, 0.6) if 60 <= m < 65 else (0.02, 0.02), 66)

    decision = judge(points, rule=RollbackRule(unattributed_alpha=1e-300))

    assert (decision.verdict, decision.evidence.finding) == (Verdict.HEALTHY, Finding.NONE)
    assert decision.evidence.absolute.conclusive
    assert "paused if it reaches" in decision.reason


def test_decide__the_feature_doubling_errors_under_the_threshold__warns_and_pauses_never_rolls_back() -> None:
    points = minutes_of(lambda m: (0.04, 0.02), 600)

    verdicts = {judge(points[: m + 1]).evidence.finding for m in range(0, 600, 30)}

    assert Finding.ATTRIBUTED_UNDER_THRESHOLD in verdicts
    assert Finding.REGRESSION not in verdicts


def test_decide__strong_evidence_on_too_few_events__pauses_for_a_human() -> None:
    decision = judge(minutes_of(lambda m: (0.9, None), 2), min_events=100)

    assert (decision.verdict, decision.evidence.finding) == (Verdict.PAUSE, Finding.FEW_EVENTS)


def test_decide__errors_of_whitelisted_customers__are_not_attributed_to_the_feature() -> None:
    # Given control at 2% and treatment errors only among the whitelisted (not randomised)
    point = MinutePoint(
        NOW,
        Tier.TIER_1_INTERNAL,
        CohortPair(
            treatment=CohortStats(1_000, 100),
            control=CohortStats(9_800, 200),
            whitelisted=CohortStats(500, 100),
        ),
    )

    evidence = judge([point]).evidence

    assert evidence.attribution.log_e_value < 0.0
    assert evidence.finding is Finding.CONTROL_FAILS_TOO


def test_decide__evidence__carries_e_values_change_minute_and_counts_as_json() -> None:
    decision = judge(minutes_of(lambda m: (0.3 if m >= 10 else 0.02, None), 30))

    evidence = json.loads(json.dumps(evidence_payload(decision.evidence)))

    assert decision.verdict is Verdict.ROLLBACK
    assert (
        evidence["absolute"]["eValue"]
        >= evidence["absolute"]["bound"]
        == pytest.approx(DEFAULT_ABSOLUTE.bound)
    )
    assert evidence["absolute"]["likelyChangeMinute"] is not None
    assert evidence["absolute"]["sinceChange"]["treatment"]["errors"] > 0
    assert evidence["tierTotal"]["treatment"]["exposures"] == 600
    assert "most likely since" in decision.reason


def test_decide__resumed_from_a_memo__equals_the_fold_from_scratch() -> None:
    points = minutes_of(lambda m: (0.05, 0.05), 300)
    memo = FoldMemo()
    for m in range(0, 300, 7):
        judge(points[: m + 1], memo=memo)
    # A late event changes an earlier minute: the memo must not hide it
    late = points[250]
    points[250] = MinutePoint(
        late.minute, late.tier, CohortPair(late.counts.treatment.plus(0, 5), late.counts.control)
    )

    assert judge(points, memo=memo).evidence == judge(points).evidence


def test_decide__evidence_of_an_excess_that_is_over__is_watched_not_acted_on() -> None:
    # Given a 10-minute 60% burst, then 65 healthy minutes (the window no longer holds it)
    points = minutes_of(lambda m: (0.6 if 10 <= m < 20 else 0.01, None), 85)

    decision = judge(points)

    assert decision.evidence.absolute.conclusive
    assert decision.verdict is Verdict.HEALTHY
    assert "within the threshold: watched" in decision.reason
