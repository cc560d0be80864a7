"""The audit log page and its export.

    GET /admin/audit                   filters: flag, actor, action, from, to; before/after diff
    GET /admin/audit?verify=1          … and the hash chain's verification status
    GET /admin/audit/export.csv|json   every row the filters select, from the server (not the screen)

The trail's own query filters by flag, actor and time; the action filter is applied while
paging through it, so an export streams page by page and never holds the whole trail.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from flagpilot.core import Problem
from flagpilot.services.audit import AuditLog, audit_record_dict
from flagpilot.services.errors import InvalidInput
from flagpilot.services.stored_records import AuditRecord
from flagpilot.ui.diff import field_changes
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import current_caller
from flagpilot.ui.web import UiRoute, render

SHOWN = 200
PAGE = 1000
CSV_COLUMNS = (
    "id",
    "changedAt",
    "actor",
    "action",
    "scope",
    "flag",
    "environment",
    "subjectId",
    "before",
    "after",
    "reason",
    "hash",
)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """The audit page's filters, as its query string carries them."""

    flag: str = ""
    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_params(cls, params: dict[str, str]) -> AuditFilter:
        """The filter of a query string; a bad date is `InvalidInput` naming the field."""
        return cls(
            flag=params.get("flag", "").strip(),
            actor=params.get("actor", "").strip(),
            action=params.get("action", "").strip(),
            since=_date(params.get("from", ""), "from"),
            until=_date(params.get("to", ""), "to"),
        )

    def rows(self, audit: AuditLog) -> Iterator[AuditRecord]:
        """Every matching row, newest first, read a page at a time."""
        since = None if self.since is None else datetime.combine(self.since, time(), UTC)
        until = None if self.until is None else datetime.combine(self.until + timedelta(days=1), time(), UTC)
        before: int | None = None
        while True:
            page = audit.query(
                feature_name=self.flag or None,
                actor=self.actor or None,
                since=since,
                until=until,
                before_id=before,
                limit=PAGE,
            )
            for row in page:
                if not self.action or row.action == self.action or row.action.startswith(self.action + "."):
                    yield row
            if len(page) < PAGE:
                return
            before = page[-1].id

    def query_string(self) -> str:
        """The filters as a query string (for the export links)."""
        values = {
            "flag": self.flag,
            "actor": self.actor,
            "action": self.action,
            "from": "" if self.since is None else self.since.isoformat(),
            "to": "" if self.until is None else self.until.isoformat(),
        }
        return urlencode({k: v for k, v in values.items() if v})


def _date(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{field}: {text!r} is not a date (YYYY-MM-DD)", [Problem("(audit)", field, "is not a date")]
        ) from None


def _csv(rows: Iterator[AuditRecord]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        data = audit_record_dict(row)
        data["before"], data["after"] = row.before_value or "", row.after_value or ""
        writer.writerow(data)
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json(rows: Iterator[AuditRecord]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + json.dumps(audit_record_dict(row), ensure_ascii=False)
    yield "]\n"


def audit_router(services: UiServices) -> APIRouter:
    """The audit log page and its exports."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)

    @router.get("/admin/audit")
    def audit(request: Request) -> Response:
        current_caller(request, services.users)
        params = dict(request.query_params)
        try:
            chosen = AuditFilter.from_params(params)
            error = ""
        except InvalidInput as exc:
            chosen, error = AuditFilter(), exc.detail
        rows = []
        for row in chosen.rows(services.audit):
            rows.append((row, field_changes(row.before_value, row.after_value)))
            if len(rows) >= SHOWN:
                break
        context = {
            "nav": "audit",
            "filter": chosen,
            "params": params,
            "history": rows,
            "shown": SHOWN,
            "error": error,
            "chain": services.audit.verify(seal=False) if params.get("verify") else None,
            "export": chosen.query_string(),
        }
        return render(request, "audit.html", context, 422 if error else 200)

    @router.get("/admin/audit/export.{kind}")
    def export(request: Request, kind: str) -> Response:
        current_caller(request, services.users)
        chosen = AuditFilter.from_params(dict(request.query_params))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        if kind == "csv":
            body, media = _csv(chosen.rows(services.audit)), "text/csv; charset=utf-8"
        elif kind == "json":
            body, media = _json(chosen.rows(services.audit)), "application/json"
        else:
            raise InvalidInput(f"export format {kind!r}: choose csv or json")
        headers = {"Content-Disposition": f'attachment; filename="flagpilot-audit-{stamp}.{kind}"'}
        return StreamingResponse(body, media_type=media, headers=headers)

    return router
