"""The rule's two e-detectors folded over a tier's minutes, resumed from the last check's states.

The checker judges every rollout every few seconds, and a tier can be days long: folding every
minute again at each check would cost tens of milliseconds per rollout. A `FoldMemo` keeps the
states after the minutes folded last time; the next check resumes from them when every earlier
minute is exactly as it was (rows can still grow, since outcome events may be reported up to a
day late), and folds from the tier's start otherwise. Either way the result is the fold of the
stored rows, so a restarted checker, with an empty memo, reaches the same verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flagpilot.services.rollouts.sequential import Detector, DetectorState, rate_steps, share_log_lr
from flagpilot.services.rollouts.statistics import CohortPair, CohortStats, MinutePoint

KEPT_STATES = 8

MinuteCounts = tuple[int, int, int, int, int, int, int]
"""(minute since the tier began, treatment events, treatment errors, bucketed treatment events,
bucketed errors, control events, control errors): what the detectors read of one minute."""


@dataclass(frozen=True, slots=True)
class TierStates:
    """Both detectors after some of a tier's minutes."""

    absolute: DetectorState
    attribution: DetectorState


@dataclass(slots=True)
class FoldMemo:
    """The last check's minute counts and the states after its last few minutes."""

    counts: list[MinuteCounts] = field(default_factory=list)
    states: dict[int, TierStates] = field(default_factory=dict)

    def resume(self, counts: Sequence[MinuteCounts]) -> tuple[int, TierStates | None]:
        """The longest kept prefix of `counts` unchanged since last time, and the states after it."""
        for position in sorted(self.states, reverse=True):
            if position <= len(counts) and list(counts[:position]) == self.counts[:position]:
                return position, self.states[position]
        return 0, None

    def keep(
        self, counts: Sequence[MinuteCounts], resumed_at: int, position: int, states: TierStates
    ) -> None:
        """Remember the states after `counts[:position]`, having resumed at `resumed_at`.

        Kept states past `resumed_at` followed minutes that have changed since: they go.
        """
        kept = {p: s for p, s in self.states.items() if p <= resumed_at}
        kept[position] = states
        self.states = {p: kept[p] for p in sorted(kept)[-KEPT_STATES:]}
        self.counts = list(counts)


def minute_counts(minutes: Sequence[MinutePoint], tier_started: datetime) -> list[MinuteCounts]:
    """The numbers the detectors read, per minute of the tier since `tier_started`."""
    counts: list[MinuteCounts] = []
    for point in minutes:
        index = minute_index(point.minute, tier_started)
        if index < 0:
            continue
        pair = point.counts
        treated, chosen, control = pair.treatment, pair.whitelisted, pair.control
        n, k = treated.successes + treated.errors, treated.errors
        counts.append(
            (
                index,
                n,
                k,
                n - chosen.successes - chosen.errors,
                k - chosen.errors,
                control.successes + control.errors,
                control.errors,
            )
        )
    return counts


def summed(counts: Sequence[MinuteCounts], since_index: int = 0) -> CohortPair:
    """The counts of the minutes from `since_index` on, as a pair."""
    kept = [c for c in counts if c[0] >= since_index] if since_index else counts
    n, k, bn, bk, cn, ck = (sum(column) for column in list(zip(*kept, strict=True))[1:]) if kept else (0,) * 6
    return CohortPair(
        treatment=CohortStats(n - k, k),
        control=CohortStats(cn - ck, ck),
        whitelisted=CohortStats((n - bn) - (k - bk), k - bk),
    )


def minute_index(moment: datetime, tier_started: datetime) -> int:
    """Whole minutes from the tier's first minute to `moment`'s."""
    return int((moment - tier_started).total_seconds() // 60)


def fold_tier(
    absolute: Detector,
    attribution: Detector,
    counts: Sequence[MinuteCounts],
    *,
    threshold: float,
    now_index: int,
    memo: FoldMemo | None = None,
) -> TierStates:
    """Both detectors after every minute of `counts` and the empty minutes up to `now_index`.

    Absolute: treatment's error rate (everyone with the feature) against `threshold`.
    Attribution: the bucketed treatment's share of each minute's errors against its share of
    the minute's events (the whitelisted are chosen, not drawn, so they are left out).
    """
    steps = [rate_steps(threshold, ratio) for ratio in absolute.ratios]
    ratios = attribution.ratios

    def fold(states: TierStates, part: Sequence[MinuteCounts]) -> TierStates:
        return TierStates(
            absolute.fold(
                states.absolute,
                (
                    (index, [(k * error if k else 0.0) + (n - k) * success for error, success in steps])
                    for index, n, k, *_ in part
                ),
            ),
            attribution.fold(
                states.attribution,
                (
                    (index, [share_log_lr(bn, bk, cn, ck, ratio) for ratio in ratios])
                    for index, _, _, bn, bk, cn, ck in part
                ),
            ),
        )

    position, resumed = memo.resume(counts) if memo is not None else (0, None)
    states = resumed or TierStates(absolute.start(), attribution.start())
    last = max(position, len(counts) - 1)  # the current minute's row is still growing
    states = fold(states, counts[position:last])
    if memo is not None:
        memo.keep(counts, position, last, states)
    states = fold(states, counts[last:])
    idle = [(now_index, 0, 0, 0, 0, 0, 0)] if now_index >= states.absolute.minutes else []
    return fold(states, idle)
