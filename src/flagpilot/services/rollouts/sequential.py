"""Anytime-valid evidence that forgets: an e-detector folded over a tier's per-minute counts.

A rollout is checked every few seconds for days, so a fixed-sample test re-run at each check
would eventually fire on a healthy rollout (DESIGN.md, "What the statistics must survive"), and
a cumulative likelihood ratio never forgets: after 40 healthy hours it sits so low that a
regression starting then is not caught within the tier. The e-detector below does both jobs.

For each minute i the null and an alternative give a likelihood ratio l_i (`rate_log_lr`:
treatment's error rate at the threshold against `ratio` x threshold; `share_log_lr`: an error
lands in treatment as often as treatment's share of the minute's events, against `ratio` times
the odds). With L_j(t) = l_j * ... * l_t the evidence of a change that began at minute j,

    R(t) = w * L_0(t; tier ratio) + (1 - w) * mean over change ratios a and over the start
           minutes j < N (a week) of L_j(t; a)        with L_j(t) = 1 while t < j

Every L_j is a nonnegative martingale with mean 1 when the null holds (a supermartingale for any
rate below the threshold), started at 1, so R, a fixed mixture of them, is one too. By Ville's
inequality the chance that R *ever* reaches 1/alpha, however often it is looked at and however
long the tier lasts, is at most alpha: the guarantee of the one SPRT before it. Unlike that SPRT
it forgets: the start minutes just before a change carry the evidence from when it began. The
sum over j is Shiryaev-Roberts' recursion, S(t) = l_t * (S(t - 1) + 1), so a tier's state is a
handful of numbers per minute, recomputed from the stored rows at every check.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

WEEK_MINUTES = 7 * 24 * 60
DEFAULT_TIER_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class Detector:
    """One e-detector's settings.

    Attributes:
        alpha: the chance of ever crossing the bound when the null holds; the bound is 1/alpha.
        tier_ratio: the alternative of the tier-long likelihood ratio (x the null).
        change_ratios: the alternatives of the change-point mixture (x the null).
        tier_weight: w, the tier-long ratio's share of the mixture.
        horizon_minutes: N, how many start minutes the change-point mixture averages over.
    """

    alpha: float
    tier_ratio: float
    change_ratios: tuple[float, ...]
    tier_weight: float = DEFAULT_TIER_WEIGHT
    horizon_minutes: int = WEEK_MINUTES

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must be between 0 and 1")
        if self.tier_ratio <= 1.0 or not self.change_ratios or min(self.change_ratios) <= 1.0:
            raise ValueError("every alternative ratio must be above 1")
        if not 0.0 < self.tier_weight <= 1.0:
            raise ValueError("the tier weight must be above 0 and at most 1")
        if self.horizon_minutes < 1:
            raise ValueError("the horizon must be at least one minute")

    @property
    def bound(self) -> float:
        """The e-value that counts as evidence: 1 / alpha."""
        return 1.0 / self.alpha

    @property
    def ratios(self) -> tuple[float, ...]:
        """The tier ratio, then the change ratios: the order of every per-minute vector."""
        return (self.tier_ratio, *self.change_ratios)

    def start(self) -> DetectorState:
        """The state before the tier's first minute."""
        count = len(self.change_ratios)
        return DetectorState(
            log_changes=(-math.inf,) * count,
            cumulative=(0.0,) * count,
            lowest=(math.inf,) * count,
            lowest_at=(0,) * count,
        )

    def fold(self, state: DetectorState, minutes: Iterable[tuple[int, Sequence[float]]]) -> DetectorState:
        """The state after folding in `minutes`, in order: (minute since the tier began, log-LRs).

        Each minute's log-likelihood ratios are one per alternative, in `ratios` order. Minutes
        skipped between two folded ones had no events: a ratio of 1 each, but start minutes all
        the same.
        """
        horizon = self.horizon_minutes
        done, log_tier = state.minutes, state.log_tier
        changes, cumulative = list(state.log_changes), list(state.cumulative)
        lowest, lowest_at = list(state.lowest), list(state.lowest_at)
        alternatives = range(len(changes))
        for index, log_lrs in minutes:
            if index < done:
                raise ValueError("minutes must be folded in order")
            starts = min(index + 1, horizon) - done
            log_starts = math.log(starts) if starts > 0 else -math.inf
            latest = min(index, horizon - 1)
            log_tier += log_lrs[0]
            for a in alternatives:
                llr, before = log_lrs[a + 1], cumulative[a]
                if starts > 0 and before <= lowest[a]:
                    lowest[a], lowest_at[a] = before, latest
                added = _log_add(changes[a], log_starts)
                changes[a] = added + llr if added > -math.inf else -math.inf
                cumulative[a] = before + llr
            done = index + 1
        return DetectorState(
            done, log_tier, tuple(changes), tuple(cumulative), tuple(lowest), tuple(lowest_at)
        )

    def log_e_value(self, state: DetectorState) -> float:
        """log R: the mixture's evidence after the minutes folded into `state`."""
        per_change = math.log((1.0 - self.tier_weight) / (len(self.change_ratios) * self.horizon_minutes))
        terms = [math.log(self.tier_weight) + state.log_tier]
        if self.tier_weight < 1.0:
            terms += [per_change + log_s for log_s in state.log_changes]
        return _log_sum(terms)

    def likely_change(self, state: DetectorState) -> int | None:
        """The start minute with the most evidence of a change, under the strongest alternative."""
        if not state.log_changes or max(state.log_changes) == -math.inf:
            return None
        strongest = max(range(len(state.log_changes)), key=lambda a: state.log_changes[a])
        return state.lowest_at[strongest]


@dataclass(frozen=True, slots=True)
class DetectorState:
    """An e-detector after some minutes: what the next minute's fold needs.

    Attributes:
        minutes: minutes folded (the next start minute).
        log_tier: log of the tier-long likelihood ratio.
        log_changes: per change ratio, log of the sum over start minutes of L_j(t).
        cumulative: per change ratio, the log-LR since the tier began.
        lowest: per change ratio, the least `cumulative` seen just before a start minute.
        lowest_at: the start minute where it was seen: the likeliest start of a change.
    """

    minutes: int = 0
    log_tier: float = 0.0
    log_changes: tuple[float, ...] = field(default=())
    cumulative: tuple[float, ...] = field(default=())
    lowest: tuple[float, ...] = field(default=())
    lowest_at: tuple[int, ...] = field(default=())


def rate_steps(threshold: float, ratio: float) -> tuple[float, float]:
    """(log-LR per error, per success) for error rate `ratio` x `threshold` against `threshold`.

    The alternative stays below 1 (halfway to 1 for thresholds near it). A threshold of 0 makes
    any error infinite evidence; a threshold of 1 can never be exceeded.
    """
    if threshold <= 0.0:
        return math.inf, 0.0
    if threshold >= 1.0:
        return 0.0, 0.0
    p1 = min(threshold * ratio, threshold + (1.0 - threshold) / 2.0)
    return math.log(p1 / threshold), math.log((1.0 - p1) / (1.0 - threshold))


def rate_log_lr(events: int, errors: int, threshold: float, ratio: float) -> float:
    """log LR of `errors` in `events` for error rate `ratio` x `threshold` against `threshold`."""
    per_error, per_success = rate_steps(threshold, ratio)
    return (errors * per_error if errors else 0.0) + (events - errors) * per_success


def share_log_lr(
    treated_events: int, treated_errors: int, control_events: int, control_errors: int, ratio: float
) -> float:
    """log LR that the minute's errors came from treatment at `ratio` x the rate of control's.

    If the feature does nothing, each error of the minute is in treatment with chance
    pi = n_T / (n_T + n_C), however the base rate moves; under relative risk `ratio` the chance
    is ratio * pi / (ratio * pi + 1 - pi). (Given the minute's errors their split is
    hypergeometric, which this binomial ratio bounds: a supermartingale all the same.)
    """
    errors = treated_errors + control_errors
    if not errors or not treated_events or not control_events:
        return 0.0
    share = treated_events / (treated_events + control_events)
    return treated_errors * math.log(ratio) - errors * math.log1p((ratio - 1.0) * share)


def _log_add(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    high, low = (a, b) if a >= b else (b, a)
    return high + math.log1p(math.exp(low - high))


def _log_sum(terms: Sequence[float]) -> float:
    high = max(terms)
    if high in (math.inf, -math.inf):
        return high
    return high + math.log(sum(math.exp(t - high) for t in terms))
