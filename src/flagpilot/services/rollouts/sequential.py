"""An anytime-valid test that a rollout's error rate is above its threshold.

A rollout is checked every minute for days, so a fixed-sample test re-run at each check would
eventually fire on a healthy rollout (DESIGN.md, "What the statistics must survive"). Wald's
one-sided sequential probability ratio test does not: under H0 (rate = threshold) the likelihood
ratio is a martingale with mean 1, so by Ville's inequality the chance that it *ever* reaches
1/alpha, however often it is looked at, is at most alpha; for any rate below the threshold the
chance is smaller still. There is no lower boundary: a healthy rollout is never "accepted", it
just stays under watch.

    H0: p = p0 (the threshold)      H1: p = p1 = ratio * p0
    LLR(n, k) = k * ln(p1 / p0) + (n - k) * ln((1 - p1) / (1 - p0))
    evidence when LLR >= ln(1 / alpha)

The defaults (alpha 0.10, ratio 1.4) were chosen by `bench/bench_rollback_sim.py`: at a 5%
threshold and 20 events a minute they roll back under 1% of rollouts whose true rate is 4%, and
detect a true 8% within 1,000 events in over 95% of runs; alpha 0.05 with ratio 1.6 misses that
detection target (see docs/rollouts.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_ALPHA = 0.10
DEFAULT_RATIO = 1.4
ONE_SIDED_Z_95 = 1.6448536269514722


@dataclass(frozen=True, slots=True)
class SequentialTest:
    """One-sided SPRT settings: false-alarm bound `alpha` and alternative `ratio` x threshold."""

    alpha: float = DEFAULT_ALPHA
    ratio: float = DEFAULT_RATIO

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must be between 0 and 1")
        if self.ratio <= 1.0:
            raise ValueError("ratio must be above 1")

    @property
    def bound(self) -> float:
        """The log-likelihood ratio that counts as evidence: ln(1 / alpha)."""
        return math.log(1.0 / self.alpha)

    def alternative(self, threshold: float) -> float:
        """p1: `ratio` x threshold, kept below 1 (halfway to 1 for thresholds near it)."""
        return min(threshold * self.ratio, threshold + (1.0 - threshold) / 2.0)

    def steps(self, threshold: float) -> tuple[float, float]:
        """(LLR added per error, LLR added per success) at `threshold`, for incremental use.

        A threshold of 0 makes any error infinite evidence; a threshold of 1 can never be exceeded.
        """
        if threshold <= 0.0:
            return math.inf, 0.0
        if threshold >= 1.0:
            return -math.inf, 0.0
        p1 = self.alternative(threshold)
        return math.log(p1 / threshold), math.log((1.0 - p1) / (1.0 - threshold))

    def log_likelihood_ratio(self, events: int, errors: int, threshold: float) -> float:
        """LLR of `errors` in `events` outcomes for H1 against H0 at `threshold`."""
        per_error, per_success = self.steps(threshold)
        if errors == 0:
            return (events - errors) * per_success
        if math.isinf(per_error):
            return per_error
        return errors * per_error + (events - errors) * per_success

    def rejects(self, events: int, errors: int, threshold: float) -> bool:
        """Whether the evidence that the rate exceeds `threshold` has reached the bound."""
        return self.log_likelihood_ratio(events, errors, threshold) >= self.bound


def two_proportion_z(
    treatment_events: int, treatment_errors: int, control_events: int, control_errors: int
) -> float:
    """Pooled z statistic for "treatment's error rate is above control's" (0.0 without data).

    Only used to *withhold* a rollback (when control fails as much, the feature is not the
    cause), so repeated looks can make the rule more cautious, never less.
    """
    if treatment_events == 0 or control_events == 0:
        return 0.0
    pooled = (treatment_errors + control_errors) / (treatment_events + control_events)
    variance = pooled * (1.0 - pooled) * (1.0 / treatment_events + 1.0 / control_events)
    difference = treatment_errors / treatment_events - control_errors / control_events
    if variance <= 0.0:
        return 0.0 if difference == 0.0 else math.copysign(math.inf, difference)
    return difference / math.sqrt(variance)
