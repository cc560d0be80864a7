"""What one row of the flags page shows, computed once per request from the services' views.

Per environment a cell says whether the flag is on, whether it is killed, and for a rollout its
tier and percentage now, the next gate (the dwell time) and when it opens, and its health (the
treatment's error rate in the window against the threshold). A flag is *stale* when no serving
route has evaluated it in any environment for `stale_after` (seven days unless configured) and
it is older than that: a candidate for removal, as LaunchDarkly's flag insights and Unleash's
"potentially stale" mark them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flagpilot.core import FlagType, RolloutStatus
from flagpilot.core.tiers import next_tier
from flagpilot.services.clock import utc
from flagpilot.services.flags import FlagView
from flagpilot.services.rollouts import RolloutRecord, RolloutStatistics
from flagpilot.ui.services import STALE_AFTER

PHASES = (("1", "Phase 1"), ("2", "Phase 2"), ("3", "Phase 3"), ("other", "Other flags"))

StatisticsOf = Callable[[RolloutRecord], RolloutStatistics | None]


@dataclass(frozen=True, slots=True)
class Health:
    """The treatment's error rate in the window against the rollout's threshold."""

    error_rate: float
    threshold: float
    events: int

    @property
    def healthy(self) -> bool:
        """Within the threshold."""
        return self.error_rate <= self.threshold


@dataclass(frozen=True, slots=True)
class Cell:
    """One flag in one environment."""

    environment: str
    enabled: bool | None
    value_text: str
    killed: bool
    rollout: RolloutRecord | None
    gate_opens_at: datetime | None
    next_tier: str | None
    health: Health | None

    @property
    def state(self) -> str:
        """on, off, killed or value: what the filter by state matches."""
        if self.killed:
            return "killed"
        if self.enabled is None:
            return "value"
        return "on" if self.enabled else "off"


@dataclass(frozen=True, slots=True)
class Row:
    """One flag of the flags page."""

    view: FlagView
    phase: str
    cells: tuple[Cell, ...]
    stale: bool

    @property
    def key(self) -> str:
        """The flag key."""
        return self.view.key


def phase_of(view: FlagView) -> str:
    """The page section of a flag: "1", "2", "3" or "other"."""
    phase = view.record.definition.phase
    return str(phase) if phase in (1, 2, 3) else "other"


def value_text(value: object) -> str:
    """A flag value as compact JSON, for display."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _health(stats: RolloutStatistics | None, record: RolloutRecord) -> Health | None:
    if stats is None:
        return None
    treatment = stats.window.treatment
    return Health(treatment.error_rate, record.error_rate_threshold, treatment.exposures)


def _cell(view: FlagView, environment: str, statistics_of: StatisticsOf) -> Cell:
    state = view.environments.get(environment)
    setting = None if state is None else state.setting
    rollout = None if state is None else state.rollout
    definition = view.record.definition
    value = setting.value if setting is not None and setting.has_value else definition.default
    opens_at = upcoming = None
    health = None
    if rollout is not None and rollout.status in (RolloutStatus.ACTIVE, RolloutStatus.PAUSED):
        following = next_tier(rollout.current_tier)
        upcoming = None if following is None else following.value
        if following is not None and rollout.tier_started_at is not None:
            opens_at = rollout.tier_started_at + timedelta(seconds=rollout.min_dwell_seconds)
        health = _health(statistics_of(rollout), rollout)
    return Cell(
        environment=environment,
        enabled=view.enabled(environment),
        value_text="" if definition.type is FlagType.BOOL else value_text(value),
        killed=state is not None and state.killed,
        rollout=rollout,
        gate_opens_at=opens_at,
        next_tier=upcoming,
        health=health,
    )


def _stale(
    view: FlagView, last_evaluated: Mapping[str, datetime] | None, now: datetime, stale_after: timedelta
) -> bool:
    if last_evaluated is None:
        return False  # nothing counts evaluations: no flag can be called stale
    created = view.record.created_at
    if created is None or now - utc(created) < stale_after:
        return False
    latest = last_evaluated.get(view.key)
    return latest is None or now - latest >= stale_after


def latest_evaluations(last_evaluated: Mapping[tuple[str, str], datetime]) -> dict[str, datetime]:
    """When each flag was last evaluated in any environment."""
    latest: dict[str, datetime] = {}
    for (key, _environment), moment in last_evaluated.items():
        if key not in latest or moment > latest[key]:
            latest[key] = moment
    return latest


def build_rows(
    views: Iterable[FlagView],
    environments: list[str],
    statistics_of: StatisticsOf,
    now: datetime,
    *,
    last_evaluated: Mapping[str, datetime] | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> list[Row]:
    """A row per flag, with a cell per environment in `environments` order.

    Args:
        last_evaluated: when each flag was last evaluated in any environment (`latest_evaluations`);
            None when nothing counts evaluations, and then no flag is stale.
        stale_after: how long without an evaluation makes a flag stale.
    """
    return [
        Row(
            view=view,
            phase=phase_of(view),
            cells=tuple(_cell(view, env, statistics_of) for env in environments),
            stale=_stale(view, last_evaluated, now, stale_after),
        )
        for view in views
    ]


@dataclass(frozen=True, slots=True)
class RowFilter:
    """The flags page's search, filters and order, as its query string carries them.

    Attributes:
        query: a case-insensitive part of the key or description.
        phase: "1", "2", "3", "other" or "" for all.
        environment: the environment `state` and `rollout` look at ("" for any).
        state: "on", "off", "killed", "value" or "".
        rollout: a rollout status, "none" (no rollout) or "".
        sort: "key", "phase", "updated" (newest first) or "stale".
    """

    query: str = ""
    phase: str = ""
    environment: str = ""
    state: str = ""
    rollout: str = ""
    sort: str = "key"

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> RowFilter:
        """The filter of a query string (unknown values mean "all")."""
        sort = params.get("sort", "key")
        return cls(
            query=params.get("q", "").strip()[:200],
            phase=params.get("phase", ""),
            environment=params.get("environment", ""),
            state=params.get("state", ""),
            rollout=params.get("rollout", ""),
            sort=sort if sort in ("key", "phase", "updated", "stale") else "key",
        )

    def _cells(self, row: Row) -> tuple[Cell, ...]:
        if not self.environment:
            return row.cells
        return tuple(cell for cell in row.cells if cell.environment == self.environment)

    def matches(self, row: Row) -> bool:
        """Whether `row` passes every filter."""
        if self.phase and row.phase != self.phase:
            return False
        if self.query:
            needle = self.query.casefold()
            text = f"{row.key} {row.view.record.definition.description}".casefold()
            if needle not in text:
                return False
        cells = self._cells(row)
        if self.state and not any(cell.state == self.state for cell in cells):
            return False
        if self.rollout == "none":
            return all(cell.rollout is None for cell in cells)
        return not self.rollout or any(
            cell.rollout is not None and cell.rollout.status.value == self.rollout for cell in cells
        )

    def apply(self, rows: list[Row]) -> list[Row]:
        """The rows that match, in the chosen order."""
        kept = [row for row in rows if self.matches(row)]
        if self.sort == "updated":
            kept.sort(key=lambda row: (row.view.record.updated_at or datetime.min).isoformat(), reverse=True)
        elif self.sort == "stale":
            kept.sort(key=lambda row: (not row.stale, row.key))
        elif self.sort == "phase":
            kept.sort(key=lambda row: (row.phase, row.key))
        return kept

    @property
    def active(self) -> bool:
        """Whether any filter narrows the list."""
        return bool(self.query or self.phase or self.state or self.rollout)
