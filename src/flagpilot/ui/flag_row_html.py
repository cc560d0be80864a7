"""One row of the flags table as HTML, built directly rather than through a template.

A thousand flags in three environments are four thousand cells; through Jinja2 a row costs
about a third of a millisecond (a template context per call, an escape and a lookup per
expression), so a change that touches every flag (an environment-wide bulk action) made the
next page a third of a second slower. Built here, a row costs a few hundredths. Every
string from the database goes through `escape`, as autoescaping would; flag keys and
environment names are restricted to `[a-z0-9_.-]`, yet are escaped too.

Kept small, since a thousand rows make the page: a control is a plain submit button of the
table's one form (flag_table.html) whose name is the action (`on`, `off`, `kill`, `unkill`)
and whose value is "key environment version" (`switch_actions.shared_action`); no `form=` or
`formaction` attribute per button.
"""

from __future__ import annotations

from urllib.parse import quote

from markupsafe import Markup, escape

from flagpilot.ui.flag_rows import Cell, Row
from flagpilot.ui.web import format_moment, format_percent


def row_html(row: Row, can_edit: bool) -> Markup:
    """The `<tr>` of `row`, with its controls when the viewer `can_edit`."""
    key = str(escape(row.key))
    record = row.view.record
    parts = [f'<tr id="flag-{key}">']
    if can_edit:
        parts.append(f'<td><input type="checkbox" name="flags" value="{key}" aria-label="Select {key}"></td>')
    parts.append(f'<th scope="row"><a href="/admin/flags/{escape(quote(row.key))}">{key}</a>')
    if record.archived:
        parts.append(' <span class="tag">archived</span>')
    if row.stale:
        parts.append(' <span class="tag stale">stale</span>')
    description = record.definition.description
    if description:
        parts.append(f'<div class="desc">{escape(description)}</div>')
    parts.append("</th>\n")
    for cell in row.cells:
        parts.append(_cell_html(row, key, cell, can_edit))
    parts.append("</tr>")
    return Markup("".join(parts))


def _cell_html(row: Row, key: str, cell: Cell, can_edit: bool) -> str:
    env = str(escape(cell.environment))
    if cell.killed:
        shown = "Killed"
    elif cell.enabled is None:
        shown = str(escape(cell.value_text))
    else:
        shown = "On" if cell.enabled else "Off"
    parts = [f'<td class="{cell.state}"><span>{shown}</span>']
    if can_edit:
        target = f"{key} {env} {row.view.version}"
        if cell.killed:
            parts.append(
                f' <button name="unkill" value="{target}" aria-label="Unkill {key} in {env}">Unkill</button>'
            )
        else:
            if cell.enabled is not None:
                to = "off" if cell.enabled else "on"
                parts.append(
                    f' <button name="{to}" value="{target}" aria-label="Turn {to} {key} in {env}">'
                    f"Turn {to}</button>"
                )
            parts.append(
                f' <button class="danger" name="kill" value="{target}" aria-label="Kill {key} in {env}">'
                "Kill</button>"
            )
    rollout = cell.rollout
    if rollout is not None:
        link = f"/admin/rollouts/{quote(row.key)}/{quote(cell.environment)}"
        parts.append(
            f'<div class="rollout"><a href="{escape(link)}">'
            f"{escape(rollout.status.value)} · {format_percent(rollout.percentage)}</a>"
        )
        if cell.next_tier:
            opens = f" from {format_moment(cell.gate_opens_at)}" if cell.gate_opens_at else ""
            parts.append(f'<span class="gate">next {escape(cell.next_tier)}{opens}</span>')
        health = cell.health
        if health:
            verdict = "ok" if health.healthy else "bad"
            parts.append(
                f'<span class="health {verdict}">errors {health.error_rate * 100:.1f}% / '
                f"{health.threshold * 100:.1f}%</span>"
            )
        parts.append("</div>")
    parts.append("</td>\n")
    return "".join(parts)
