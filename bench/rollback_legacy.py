"""The automatic-rollback rule before the e-detectors, in NumPy, for the "before" column.

This is `decide()` as flagpilot shipped it until the change-point rule replaced it: a one-sided
SPRT over the tier's treatment events (alpha 0.10, H1 = 1.4 x threshold), the same SPRT over
the rollout's one-hour window, and a fixed-sample z-test against control (z >= 1.645 to roll
back once control has `min_events` events):

    healthy   window rate <= threshold, or neither SPRT at its bound
    rollback  tier SPRT at its bound, >= min_events treatment events, and treatment worse than
              control (when control has min_events events)
    pause     otherwise

It was checked against the shipped checker (`rollout_statistics()` + `RollbackChecker.judge()`)
by `bench_rollback_sim.py --validate` on the code it replaced: every sampled check agreed.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from rollback_rules import PAUSE, ROLLBACK, SLOTS, Counts, Verdicts

Z95 = 1.6448536269514722


class LegacyRule:
    """Tier SPRT + window SPRT + z against control, vectorised over runs and 5-s checks."""

    name = "before (SPRT + window + z)"

    def __init__(self, threshold: float, min_events: int, *, alpha: float = 0.10, ratio: float = 1.4) -> None:
        self.threshold = threshold
        self.min_events = min_events
        p1 = min(threshold * ratio, threshold + (1.0 - threshold) / 2.0)
        self.per_error = math.log(p1 / threshold)
        self.per_success = math.log((1.0 - p1) / (1.0 - threshold))
        self.bound = math.log(1.0 / alpha)

    def begin(self, runs: int) -> None:
        """Reset for `runs` fresh tiers."""
        self.tier = np.zeros((4, runs), dtype=np.int64)
        self.history = np.zeros((61, 2, runs), dtype=np.int64)
        self.window = np.zeros((2, runs), dtype=np.int64)

    def minute(self, m: int, counts: Counts) -> Verdicts:
        """Verdicts at the minute's 12 checks; then fold the complete minute into the state."""
        n_t, e_t, n_c, e_c = counts
        big_n = self.tier[0][:, None] + n_t
        big_k = self.tier[1][:, None] + e_t
        c_n = self.tier[2][:, None] + n_c
        c_k = self.tier[3][:, None] + e_c
        w_n = np.repeat(self.window[0][:, None], SLOTS, axis=1) + n_t
        w_k = np.repeat(self.window[1][:, None], SLOTS, axis=1) + e_t
        if m >= 60:  # at the minute's last check the window has moved past minute m - 60
            oldest = self.history[(m - 60) % 61]
            w_n[:, -1] -= oldest[0]
            w_k[:, -1] -= oldest[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            above = (w_n > 0) & (w_k / np.maximum(w_n, 1) > self.threshold)
            tier_llr = big_k * self.per_error + (big_n - big_k) * self.per_success
            window_llr = w_k * self.per_error + (w_n - w_k) * self.per_success
            z = _two_proportion_z(big_n, big_k, c_n, c_k)
        tier_ok = tier_llr >= self.bound
        live = above & (tier_ok | (window_llr >= self.bound))
        worse = (c_n < self.min_events) | (z >= Z95)
        rollback = live & tier_ok & (big_n >= self.min_events) & worse
        verdicts = np.where(rollback, ROLLBACK, np.where(live, PAUSE, 0)).astype(np.int8)
        self._fold(m, counts)
        return verdicts, {}

    def _fold(self, m: int, counts: Counts) -> None:
        n_t, e_t, n_c, e_c = (c[:, -1] for c in counts)
        self.tier += np.stack([n_t, e_t, n_c, e_c])
        slot = m % 61
        if m >= 60:
            self.window -= self.history[(m - 60) % 61]
        self.history[slot] = np.stack([n_t, e_t])
        self.window += self.history[slot]


def _two_proportion_z(
    n_t: NDArray[np.int64], k_t: NDArray[np.int64], n_c: NDArray[np.int64], k_c: NDArray[np.int64]
) -> NDArray[np.float64]:
    """`two_proportion_z` of the old rule, elementwise (0 without data, +-inf at zero variance)."""
    pooled = (k_t + k_c) / np.maximum(n_t + n_c, 1)
    variance = pooled * (1.0 - pooled) * (1.0 / np.maximum(n_t, 1) + 1.0 / np.maximum(n_c, 1))
    difference = k_t / np.maximum(n_t, 1) - k_c / np.maximum(n_c, 1)
    z = np.where(
        variance > 0.0,
        difference / np.sqrt(np.where(variance > 0.0, variance, 1.0)),
        np.where(difference == 0.0, 0.0, np.copysign(np.inf, difference)),
    )
    return np.where((n_t == 0) | (n_c == 0), 0.0, z)
