"""The flags table's rows as HTML, each rendered once and reused while what it shows is unchanged.

A thousand flags in three environments make a page of about a megabyte; rendering every row
through the template on every request costs most of the page's time, yet between two requests
almost no row changes. Each row is keyed by a fingerprint of everything its template reads (the flag's
version, description, archived and stale marks, and per environment its state, value, kill
switch, rollout status and percentage, next gate and health) plus whether the viewer may edit;
a request renders only the rows whose fingerprint it has not seen. A changed flag has a new
version, so its old fragment is never served again; the cache is emptied when it grows past
`MAX_ROWS`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from markupsafe import Markup

from flagpilot.ui.flag_rows import Row
from flagpilot.ui.web import TEMPLATES

MAX_ROWS = 20_000


def fingerprint(row: Row, can_edit: bool) -> Hashable:
    """Everything `flag_row.html` reads from `row`: equal fingerprints render equal HTML."""
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


class RowFragments:
    """Rendered rows of the flags table by fingerprint (thread-safe: a race renders a row twice)."""

    def __init__(self, limit: int = MAX_ROWS) -> None:
        self._limit = limit
        self._rendered: dict[Hashable, Markup] = {}
        self._template = TEMPLATES.get_template("flag_row.html")

    def renderer(self, can_edit: bool) -> Callable[[Row], Markup]:
        """The function the table template calls for each row."""

        def html(row: Row) -> Markup:
            key = fingerprint(row, can_edit)
            fragment = self._rendered.get(key)
            if fragment is None:
                if len(self._rendered) >= self._limit:
                    self._rendered.clear()
                fragment = Markup(self._template.render(row=row, can_edit=can_edit))
                self._rendered[key] = fragment
            return fragment

        return html
