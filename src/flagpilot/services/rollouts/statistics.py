"""Outcome statistics of a rollout: pure functions over `rollout_metrics` rows.

The same functions feed the rollout page, the advance gate and the automatic-rollback decision,
so what an operator reads is what the rules judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flagpilot.core import Tier
from flagpilot.services.rollouts.rollout_records import Cohort, MetricRow, RolloutRecord


@dataclass(frozen=True, slots=True)
class CohortStats:
    """Outcome counts of one cohort; `exposures` is the number of outcome events."""

    successes: int = 0
    errors: int = 0

    @property
    def exposures(self) -> int:
        """Outcome events counted (successes + errors)."""
        return self.successes + self.errors

    @property
    def error_rate(self) -> float:
        """errors / exposures, 0.0 without events."""
        total = self.exposures
        return self.errors / total if total else 0.0

    @property
    def success_rate(self) -> float:
        """successes / exposures, 0.0 without events."""
        total = self.exposures
        return self.successes / total if total else 0.0

    def plus(self, successes: int, errors: int) -> CohortStats:
        """These counts with more added."""
        return CohortStats(self.successes + successes, self.errors + errors)


@dataclass(frozen=True, slots=True)
class CohortPair:
    """Treatment (customers with the feature) against control (customers without).

    `treatment` counts everyone with the feature; `whitelisted` is the part of it that has the
    feature by the whitelist, so `bucketed` (treatment without them) is the randomised half.
    """

    treatment: CohortStats = field(default_factory=CohortStats)
    control: CohortStats = field(default_factory=CohortStats)
    whitelisted: CohortStats = field(default_factory=CohortStats)

    @property
    def bucketed(self) -> CohortStats:
        """Treatment customers put there by the hash, not the whitelist."""
        return CohortStats(
            self.treatment.successes - self.whitelisted.successes,
            self.treatment.errors - self.whitelisted.errors,
        )


@dataclass(frozen=True, slots=True)
class MinutePoint:
    """One minute of a chart: both cohorts' counts at the tier then served."""

    minute: datetime
    tier: Tier
    counts: CohortPair


@dataclass(frozen=True, slots=True)
class RolloutStatistics:
    """What a rollout's page and its rules look at.

    Attributes:
        feature_name: the flag key.
        environment: the environment.
        tier: the tier being served.
        window_start: start of the rollout's time window (`now - time_window_ms`).
        window_end: `now`.
        window: the current tier's counts within the window.
        tier_total: the current tier's counts since the tier began.
        by_tier: every tier's counts within the rows read (the window, or more if asked).
        series: per-minute counts within the rows read, for charts.
        tier_started: the minute the current tier began (None while planned).
        tier_series: the current tier's per-minute counts since it began, oldest first (what
            the automatic-rollback rule folds; not in the API's JSON of it).
    """

    feature_name: str
    environment: str
    tier: Tier
    window_start: datetime
    window_end: datetime
    window: CohortPair
    tier_total: CohortPair
    by_tier: Mapping[Tier, CohortPair]
    series: tuple[MinutePoint, ...]
    tier_started: datetime | None = None
    tier_series: tuple[MinutePoint, ...] = ()


def totals(
    rows: Iterable[MetricRow],
    *,
    tier: Tier | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> CohortPair:
    """Sum rows per cohort, keeping those of `tier` with `since <= minute < until` (None: any)."""
    counts = {cohort: [0, 0] for cohort in Cohort}
    for row in rows:
        if tier is not None and row.tier is not tier:
            continue
        if (since is not None and row.minute < since) or (until is not None and row.minute >= until):
            continue
        pair = counts[row.cohort]
        pair[0] += row.successes
        pair[1] += row.errors
    return _pair(counts)


def totals_of(pairs: Iterable[CohortPair]) -> CohortPair:
    """The sum of several pairs (a tier's minutes, say)."""
    counts = {cohort: [0, 0] for cohort in Cohort}
    for pair in pairs:
        for cohort, stats in (
            (Cohort.TREATMENT, pair.bucketed),
            (Cohort.CONTROL, pair.control),
            (Cohort.WHITELISTED, pair.whitelisted),
        ):
            counts[cohort][0] += stats.successes
            counts[cohort][1] += stats.errors
    return _pair(counts)


def _pair(counts: Mapping[Cohort, list[int]]) -> CohortPair:
    """A pair from per-cohort [successes, errors], the whitelisted counted as treatment too."""
    treated, whitelisted = counts[Cohort.TREATMENT], counts[Cohort.WHITELISTED]
    return CohortPair(
        treatment=CohortStats(treated[0] + whitelisted[0], treated[1] + whitelisted[1]),
        control=CohortStats(*counts[Cohort.CONTROL]),
        whitelisted=CohortStats(*whitelisted),
    )


def by_tier(rows: Iterable[MetricRow]) -> dict[Tier, CohortPair]:
    """Counts per tier, in tier order, for the tiers that have rows."""
    kept = list(rows)
    present = {row.tier for row in kept}
    return {tier: totals(kept, tier=tier) for tier in Tier if tier in present}


def minute_series(rows: Iterable[MetricRow], *, tier: Tier | None = None) -> list[MinutePoint]:
    """Per-minute counts by cohort, oldest first (a minute served by two tiers yields two points)."""
    cells: dict[tuple[datetime, Tier], dict[Cohort, list[int]]] = {}
    for row in rows:
        if tier is not None and row.tier is not tier:
            continue
        cell = cells.get((row.minute, row.tier))
        if cell is None:
            cell = cells[(row.minute, row.tier)] = {cohort: [0, 0] for cohort in Cohort}
        counts = cell[row.cohort]
        counts[0] += row.successes
        counts[1] += row.errors
    return [
        MinutePoint(minute=minute, tier=at_tier, counts=_pair(cell))
        for (minute, at_tier), cell in sorted(cells.items(), key=lambda item: (item[0][0], item[0][1]))
    ]


def window_start(record: RolloutRecord, now: datetime) -> datetime:
    """Start of the rollout's time window ending at `now`."""
    return now - timedelta(milliseconds=record.time_window_ms)


def tier_start_minute(record: RolloutRecord) -> datetime | None:
    """The minute bucket the current tier began in (rows are per minute)."""
    started = record.tier_started_at
    return None if started is None else started.replace(second=0, microsecond=0)


def read_since(record: RolloutRecord, now: datetime) -> datetime:
    """The earliest minute the statistics need: the window's or the tier's start, whichever first."""
    start = minute_floor(window_start(record, now))
    tier_start = tier_start_minute(record)
    return start if tier_start is None else min(start, tier_start)


def minute_floor(moment: datetime) -> datetime:
    """The start of `moment`'s minute."""
    return moment.replace(second=0, microsecond=0)


def rollout_statistics(
    record: RolloutRecord, rows: Iterable[MetricRow], *, now: datetime
) -> RolloutStatistics:
    """The rollout's statistics at `now` from its metric rows (read from `read_since(record, now)`).

    The window counts the current tier's rows whose minute overlaps the window (a minute is
    counted whole); the tier total counts the current tier's rows since the tier's first minute.
    """
    kept = list(rows)
    start = window_start(record, now)
    tier = record.current_tier
    tier_start = tier_start_minute(record)
    in_window = [row for row in kept if row.minute >= minute_floor(start)]
    since = minute_floor(start) if tier_start is None else max(minute_floor(start), tier_start)
    return RolloutStatistics(
        feature_name=record.feature_name,
        environment=record.environment,
        tier=tier,
        window_start=start,
        window_end=now,
        window=totals(in_window, tier=tier, since=since),
        tier_total=CohortPair() if tier_start is None else totals(kept, tier=tier, since=tier_start),
        by_tier=by_tier(in_window),
        series=tuple(minute_series(in_window)),
        tier_started=tier_start,
        tier_series=()
        if tier_start is None
        else tuple(minute_series([row for row in kept if row.minute >= tier_start], tier=tier)),
    )
