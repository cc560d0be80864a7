"""The automatic-rollback rule: pure, from a tier's counts to a verdict with its evidence.

healthy    the treatment's error rate in the window is within the threshold, or above it
           without conclusive evidence yet (a handful of early errors never trips it)
rollback   the tier's treatment events are conclusive (sequential test, anytime-valid), the
           window's rate is above the threshold, the tier has at least `min_events` events,
           and, when control has data, the treatment is significantly worse than control
pause      a degradation that is real but not conclusive for a rollback: strong evidence on
           fewer than `min_events` events, control failing as much (so the feature may not
           be the cause), or conclusive errors in the recent window only (the tier's long
           healthy history outweighs them) — stop progress and call a human
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from flagpilot.services.rollouts.sequential import ONE_SIDED_Z_95, SequentialTest, two_proportion_z
from flagpilot.services.rollouts.statistics import CohortPair, CohortStats


class Verdict(StrEnum):
    """What the checker should do with a rollout."""

    HEALTHY = "healthy"
    PAUSE = "pause"
    ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True)
class Evidence:
    """The numbers a verdict rests on, kept with the audit row and the rollout event."""

    threshold: float
    min_events: int
    alpha: float
    alternative: float
    bound: float
    tier_llr: float
    window_llr: float
    z_vs_control: float | None
    window_start: datetime
    window_end: datetime
    window: CohortPair
    tier_total: CohortPair

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (infinite statistics are written as strings)."""
        return {
            "test": "one-sided SPRT over the tier's treatment events",
            "threshold": self.threshold,
            "minEvents": self.min_events,
            "alpha": self.alpha,
            "alternativeRate": self.alternative,
            "bound": self.bound,
            "tierLogLikelihoodRatio": _finite(self.tier_llr),
            "windowLogLikelihoodRatio": _finite(self.window_llr),
            "zVsControl": None if self.z_vs_control is None else _finite(self.z_vs_control),
            "windowStart": self.window_start.isoformat(),
            "windowEnd": self.window_end.isoformat(),
            "window": self.window.to_dict(),
            "tierTotal": self.tier_total.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict, a sentence saying why, and the evidence."""

    verdict: Verdict
    reason: str
    evidence: Evidence


def decide(
    window: CohortPair,
    tier_total: CohortPair,
    *,
    threshold: float,
    min_events: int,
    window_start: datetime,
    window_end: datetime,
    test: SequentialTest | None = None,
) -> Decision:
    """Judge one rollout's current tier from its window and cumulative counts.

    Args:
        window: the tier's counts within the rollout's time window.
        tier_total: the tier's counts since it began (the sequential test's sample).
        threshold: the rollout's error-rate threshold.
        min_events: treatment events the tier needs before a rollback.
        window_start: start of the window, for the evidence.
        window_end: end of the window (the check's `now`), for the evidence.
        test: the sequential test's settings.
    """
    test = test or SequentialTest()
    treated, recent, control = tier_total.treatment, window.treatment, tier_total.control
    compare = control.exposures >= min_events
    z = (
        two_proportion_z(treated.exposures, treated.errors, control.exposures, control.errors)
        if compare
        else None
    )
    evidence = Evidence(
        threshold=threshold,
        min_events=min_events,
        alpha=test.alpha,
        alternative=test.alternative(threshold),
        bound=test.bound,
        tier_llr=test.log_likelihood_ratio(treated.exposures, treated.errors, threshold),
        window_llr=test.log_likelihood_ratio(recent.exposures, recent.errors, threshold),
        z_vs_control=z,
        window_start=window_start,
        window_end=window_end,
        window=window,
        tier_total=tier_total,
    )
    rate = f"treatment error rate {_pct(recent.error_rate)} ({recent.errors}/{recent.exposures})"
    if recent.exposures == 0 or recent.error_rate <= threshold:
        return Decision(Verdict.HEALTHY, f"{rate} within the {_pct(threshold)} threshold", evidence)
    tier_conclusive = evidence.tier_llr >= evidence.bound
    if not tier_conclusive and evidence.window_llr < evidence.bound:
        return Decision(
            Verdict.HEALTHY,
            f"{rate} above the {_pct(threshold)} threshold, not conclusive yet "
            f"(log-likelihood ratio {evidence.tier_llr:.2f} of {evidence.bound:.2f})",
            evidence,
        )
    worse = z is None or z >= ONE_SIDED_Z_95
    if tier_conclusive and treated.exposures >= min_events and worse:
        return Decision(
            Verdict.ROLLBACK,
            f"{rate} above the {_pct(threshold)} threshold: conclusive over the tier's "
            f"{treated.exposures} events (log-likelihood ratio {evidence.tier_llr:.2f} >= "
            f"{evidence.bound:.2f}){_versus(control, z)}",
            evidence,
        )
    return Decision(
        Verdict.PAUSE, f"{rate} above the {_pct(threshold)} threshold, {_why_not(evidence, worse)}", evidence
    )


def _why_not(evidence: Evidence, worse: bool) -> str:
    treated = evidence.tier_total.treatment
    if evidence.tier_llr < evidence.bound:
        return "conclusive in the recent window only, not over the tier: paused for a human to judge"
    if treated.exposures < evidence.min_events:
        return (
            f"conclusive but on only {treated.exposures} of the {evidence.min_events} events a "
            "rollback needs: paused for a human to judge"
        )
    control = evidence.tier_total.control
    return (
        f"but control fails as much ({_pct(control.error_rate)}, z {evidence.z_vs_control:.2f}): "
        "the feature may not be the cause; paused for a human to judge"
        if not worse
        else "paused for a human to judge"
    )


def _versus(control: CohortStats, z: float | None) -> str:
    if z is None:
        return ""
    return f", worse than control's {_pct(control.error_rate)} (z {z:.2f})"


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def _finite(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)
