"""The flags table's HTML, rebuilt only as far as what it shows has changed.

A thousand flags in three environments make a page of about a megabyte, yet between two
requests almost nothing on it changes. Three layers of reuse keep a request to the work its
changes need:

- the rows (`build_rows`) are reused while the flags page's reads hand back the very same
  lists (`FlagPageReads` reuses its reads while the database's state version holds), for at
  most `lifetime` seconds, since the stale mark depends on the time too;
- each row's HTML is keyed by a fingerprint of everything `row_html` reads (the flag's
  version, description, archived and stale marks, and per environment its state, value, kill
  switch, rollout status and percentage, next gate and health) plus whether the viewer may
  edit, so a change renders only the rows it touched; a changed flag has a new version, so its
  old fragment is never served again; the cache is emptied when it grows past `MAX_ROWS`;
- the sections (every phase's table) are kept per filter and role while the rows are the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from markupsafe import Markup

from flagpilot.services.flags import FlagView
from flagpilot.services.rollouts import RolloutRecord, RolloutStatistics
from flagpilot.ui.flag_row_html import row_html
from flagpilot.ui.flag_rows import PHASES, Row, RowFilter, build_rows
from flagpilot.ui.web import TEMPLATES

MAX_ROWS = 20_000
MAX_SECTIONS = 64

StatisticsByRollout = Mapping[tuple[str, str], RolloutStatistics]


def fingerprint(row: Row, can_edit: bool) -> Hashable:
    """Everything `row_html` reads from `row`: equal fingerprints render equal HTML."""
    record = row.view.record
    return (
        can_edit,
        row.key,
        row.view.version,
        record.archived,
        record.definition.description,
        row.stale,
        tuple(
            (
                cell.environment,
                cell.enabled,
                cell.value_text,
                cell.killed,
                None if cell.rollout is None else (cell.rollout.status, cell.rollout.percentage),
                cell.next_tier,
                cell.gate_opens_at,
                cell.health,
            )
            for cell in row.cells
        ),
    )


@dataclass(frozen=True, slots=True)
class Table:
    """What the flags page shows of its rows under one filter."""

    total: int
    shown: int
    sections: Markup


@dataclass(frozen=True, slots=True)
class _Inputs:
    """What the rows are built from; reused only while each is the very same object."""

    views: Sequence[FlagView]
    environments: tuple[str, ...]
    statistics: StatisticsByRollout
    last_evaluated: Mapping[str, datetime] | None
    stale_after: timedelta

    def same(self, other: _Inputs) -> bool:
        return (
            self.views is other.views
            and self.environments == other.environments
            and self.statistics is other.statistics
            and self.last_evaluated is other.last_evaluated
            and self.stale_after == other.stale_after
        )


@dataclass
class _Built:
    inputs: _Inputs
    at: float
    rows: list[Row]
    sections: dict[tuple[RowFilter, bool], Table] = field(default_factory=dict)


class FlagTable:
    """The flags table from the page's reads, reusing rows, row HTML and sections (thread-safe:
    a race builds something twice, never a wrong thing)."""

    def __init__(
        self, lifetime: float, limit: int = MAX_ROWS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._lifetime = lifetime
        self._limit = limit
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._built: _Built | None = None
        self._rendered: dict[Hashable, Markup] = {}
        self._sections = TEMPLATES.get_template("flag_sections.html")

    def table(
        self,
        views: Sequence[FlagView],
        environments: Sequence[str],
        statistics: StatisticsByRollout,
        now: datetime,
        row_filter: RowFilter,
        can_edit: bool,
        *,
        last_evaluated: Mapping[str, datetime] | None,
        stale_after: timedelta,
    ) -> Table:
        """The table of `views` as `row_filter` shows it to a viewer who `can_edit` or not."""
        inputs = _Inputs(views, tuple(environments), statistics, last_evaluated, stale_after)
        built = self._rows(inputs, now)
        found = built.sections.get((row_filter, can_edit))
        if found is None:
            found = self._render(built.rows, inputs.environments, row_filter, can_edit)
            with self._lock:
                if len(built.sections) >= MAX_SECTIONS:
                    built.sections.clear()
                built.sections[(row_filter, can_edit)] = found
        return found

    def _rows(self, inputs: _Inputs, now: datetime) -> _Built:
        moment = self._monotonic()
        with self._lock:
            built = self._built
        if built is not None and moment - built.at < self._lifetime and built.inputs.same(inputs):
            return built
        statistics = inputs.statistics

        def statistics_of(record: RolloutRecord) -> RolloutStatistics | None:
            return statistics.get((record.feature_name, record.environment))

        rows = build_rows(
            inputs.views,
            list(inputs.environments),
            statistics_of,
            now,
            last_evaluated=inputs.last_evaluated,
            stale_after=inputs.stale_after,
        )
        fresh = _Built(inputs, moment, rows)
        with self._lock:
            self._built = fresh
        return fresh

    def _render(
        self, rows: list[Row], environments: Sequence[str], row_filter: RowFilter, can_edit: bool
    ) -> Table:
        shown = row_filter.apply(rows)
        sections = [
            (name, label, [self._row(row, can_edit) for row in shown if row.phase == name])
            for name, label in PHASES
        ]
        html = self._sections.render(sections=sections, environments=environments, can_edit=can_edit)
        return Table(total=len(rows), shown=len(shown), sections=Markup(html))

    def _row(self, row: Row, can_edit: bool) -> Markup:
        key = fingerprint(row, can_edit)
        fragment = self._rendered.get(key)
        if fragment is None:
            if len(self._rendered) >= self._limit:
                self._rendered.clear()
            fragment = row_html(row, can_edit)
            self._rendered[key] = fragment
        return fragment
