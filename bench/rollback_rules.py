"""The shapes the simulated rules share: one minute of counts in, twelve 5-s verdicts out."""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from flagpilot.services.rollouts import Decision, Detector, RollbackRule

SLOTS = 12  # the server checks every 5 s; a minute's row grows over its 12 checks
HEALTHY, PAUSE, ROLLBACK = 0, 1, 2

IntArray = NDArray[np.int64]
Counts = tuple[IntArray, IntArray, IntArray, IntArray]
"""Treatment events, treatment errors, control events, control errors: each (runs, SLOTS), the
minute's counts so far at each of its checks (cumulative over the minute)."""
Verdicts = tuple[NDArray[np.int8], dict[str, NDArray[np.float64]]]
"""Each check's verdict (runs, SLOTS), and statistics worth comparing with the checker's."""


class SimulatedRule(Protocol):
    """A rule the simulation drives minute by minute."""

    name: str

    def begin(self, runs: int) -> None:
        """Reset for `runs` fresh tiers."""

    def minute(self, m: int, counts: Counts) -> Verdicts:
        """The verdicts at minute `m`'s checks; then fold the complete minute in."""


class WindowSums:
    """Treatment's counts over the rollout's one-hour window at each check of a minute.

    At a check at second 5 (s + 1) of minute m the window starts in minute m - 60 (the rows of
    minutes m - 60 .. m), except at the minute's last check, which is the next minute's first
    second: then it starts in minute m - 59.
    """

    def begin(self, runs: int) -> None:
        """Reset for `runs` fresh tiers."""
        self.history = np.zeros((61, 2, runs), dtype=np.int64)
        self.sums = np.zeros((2, runs), dtype=np.int64)

    def at(self, m: int, n_t: IntArray, e_t: IntArray) -> tuple[IntArray, IntArray]:
        """(events, errors) in the window at each check of minute `m`."""
        w_n = self.sums[0][:, None] + n_t
        w_k = self.sums[1][:, None] + e_t
        if m >= 60:
            oldest = self.history[(m - 60) % 61]
            w_n[:, -1] -= oldest[0]
            w_k[:, -1] -= oldest[1]
        return w_n, w_k

    def fold(self, m: int, n_t: IntArray, e_t: IntArray) -> None:
        """Fold the complete minute's treatment counts in."""
        if m >= 60:
            self.sums -= self.history[(m - 60) % 61]
        self.history[m % 61] = np.stack([n_t, e_t])
        self.sums += self.history[m % 61]


class DetectorArrays:
    """`sequential.Detector` over many runs at once: the same fold, the same mixture."""

    def __init__(self, detector: Detector) -> None:
        self.detector = detector
        self.log_bound = math.log(detector.bound)
        count = len(detector.change_ratios)
        self.log_tier_weight = math.log(detector.tier_weight)
        self.log_change_weight = (
            math.log((1.0 - detector.tier_weight) / (count * detector.horizon_minutes))
            if detector.tier_weight < 1.0
            else -math.inf
        )

    def begin(self, runs: int) -> None:
        """Reset for `runs` fresh tiers."""
        self.log_tier = np.zeros(runs)
        self.log_changes = np.full((len(self.detector.change_ratios), runs), -np.inf)

    def peek(self, m: int, log_lrs: list[NDArray[np.float64]]) -> NDArray[np.float64]:
        """log R at each check of minute `m`, given each ratio's (runs, SLOTS) log-LRs so far."""
        start = 0.0 if m < self.detector.horizon_minutes else -np.inf
        upcoming = 0.0 if m + 1 < self.detector.horizon_minutes else -np.inf
        total = self.log_tier_weight + self.log_tier[:, None] + log_lrs[0]
        for a, llr in enumerate(log_lrs[1:]):
            changes = np.logaddexp(self.log_changes[a], start)[:, None] + llr
            # the minute's last check is at the next minute's first second: a start minute too
            changes[:, -1] = np.logaddexp(changes[:, -1], upcoming)
            total = np.logaddexp(total, self.log_change_weight + changes)
        return total

    def fold(self, m: int, log_lrs: list[NDArray[np.float64]]) -> None:
        """Fold the complete minute (the last check's counts) into the state."""
        start = 0.0 if m < self.detector.horizon_minutes else -np.inf
        self.log_tier += log_lrs[0][:, -1]
        for a, llr in enumerate(log_lrs[1:]):
            self.log_changes[a] = np.logaddexp(self.log_changes[a], start) + llr[:, -1]


def rate_log_lrs(
    n: IntArray, k: IntArray, threshold: float, ratios: tuple[float, ...]
) -> list[NDArray[np.float64]]:
    """`sequential.rate_log_lr` elementwise, for each ratio (0 < threshold < 1)."""
    out = []
    for ratio in ratios:
        p1 = min(threshold * ratio, threshold + (1.0 - threshold) / 2.0)
        out.append(k * math.log(p1 / threshold) + (n - k) * math.log((1.0 - p1) / (1.0 - threshold)))
    return out


def share_log_lrs(
    n_t: IntArray, e_t: IntArray, n_c: IntArray, e_c: IntArray, ratios: tuple[float, ...]
) -> list[NDArray[np.float64]]:
    """`sequential.share_log_lr` elementwise, for each ratio."""
    errors = e_t + e_c
    live = (errors > 0) & (n_t > 0) & (n_c > 0)
    share = n_t / np.maximum(n_t + n_c, 1)
    return [
        np.where(live, e_t * math.log(ratio) - errors * np.log1p((ratio - 1.0) * share), 0.0)
        for ratio in ratios
    ]


class ShippedRule:
    """`decision.decide()` with the default `RollbackRule`, vectorised over runs and checks."""

    name = "after (e-detectors)"

    def __init__(self, threshold: float, min_events: int, rule: RollbackRule | None = None) -> None:
        self.rule = rule or RollbackRule()
        self.threshold = threshold
        self.min_events = min_events
        self.absolute = DetectorArrays(self.rule.absolute)
        self.attribution = DetectorArrays(self.rule.attribution)
        self.unattributed_log_bound = math.log(self.rule.unattributed_bound)

    def begin(self, runs: int) -> None:
        """Reset for `runs` fresh tiers."""
        self.absolute.begin(runs)
        self.attribution.begin(runs)
        self.window = WindowSums()
        self.window.begin(runs)
        self.tier = np.zeros((2, runs), dtype=np.int64)

    def minute(self, m: int, counts: Counts) -> Verdicts:
        """Verdicts at minute `m`'s checks, then fold the minute in."""
        n_t, e_t, n_c, e_c = counts
        absolute = rate_log_lrs(n_t, e_t, self.threshold, self.rule.absolute.ratios)
        attribution = share_log_lrs(n_t, e_t, n_c, e_c, self.rule.attribution.ratios)
        log_abs = self.absolute.peek(m, absolute)
        log_attr = self.attribution.peek(m, attribution)
        treated = self.tier[0][:, None] + n_t
        enough = treated >= self.min_events
        control_reports = np.minimum(treated, self.tier[1][:, None] + n_c) >= self.min_events
        above = log_abs >= self.absolute.log_bound
        blamed = log_attr >= self.attribution.log_bound
        w_n, w_k = self.window.at(m, n_t, e_t)
        above &= (w_n > 0) & (w_k / np.maximum(w_n, 1) > self.threshold)
        unattributed = log_abs >= self.unattributed_log_bound
        rollback = above & enough & (blamed | ~control_reports)
        pause = (above & ~enough) | (above & ~rollback & unattributed) | (~above & blamed)
        self.absolute.fold(m, absolute)
        self.attribution.fold(m, attribution)
        self.tier += np.stack([n_t[:, -1], n_c[:, -1]])
        self.window.fold(m, n_t[:, -1], e_t[:, -1])
        verdicts = np.where(rollback, ROLLBACK, np.where(pause, PAUSE, HEALTHY)).astype(np.int8)
        return verdicts, {"absolute": log_abs, "attribution": log_attr}


def checker_numbers(decision: Decision) -> dict[str, float]:
    """The checker's statistics under the names `ShippedRule` reports them."""
    evidence = decision.evidence
    return {"absolute": evidence.absolute.log_e_value, "attribution": evidence.attribution.log_e_value}
