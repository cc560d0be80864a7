"""The flags page, `/dashboard/admin/feature-flags` (the checklist's address; also `/admin/flags`).

Every flag on one page, grouped by phase, with a cell per environment: on or off, the kill
switch, the rollout's tier and percentage now, its next gate and when it opens, its health, and
whether the flag is stale. Search, filters and order are query parameters, so a filtered view
is a link; with JavaScript on, htmx swaps only the table as the user types. A thousand flags in
three environments render in one page without paging: the whole list is read in a handful of
queries, and each toggle is one button of a shared form (one CSRF field per page, not per flag).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from flagpilot.core import RolloutStatus
from flagpilot.services.auth import EDITORS
from flagpilot.services.rollouts import RolloutRecord, RolloutStatistics
from flagpilot.ui.flag_rows import PHASES, RowFilter, build_rows
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import current_caller
from flagpilot.ui.web import UiRoute, render

FLAGS_PATH = "/dashboard/admin/feature-flags"
ROLLOUT_STATUSES = [status.value for status in RolloutStatus]


def flags_router(services: UiServices) -> APIRouter:
    """The flags page and its table fragment."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)

    def statistics_of(record: RolloutRecord) -> RolloutStatistics | None:
        return services.rollouts.statistics(record.feature_name, record.environment, now=services.clock())

    def page(request: Request, fragment: bool) -> Response:
        caller = current_caller(request, services.users)
        environments = [env.name for env in services.flags.list_environments()]
        row_filter = RowFilter.from_params(request.query_params)
        rows = build_rows(services.flags.list_flags(), environments, statistics_of, services.clock())
        shown = row_filter.apply(rows)
        sections = [(name, label, [row for row in shown if row.phase == name]) for name, label in PHASES]
        context = {
            "nav": "flags",
            "environments": environments,
            "sections": sections,
            "filter": row_filter,
            "total": len(rows),
            "shown": len(shown),
            "can_edit": caller.may(EDITORS),
            "guarded": list(services.guarded_environments),
            "statuses": ROLLOUT_STATUSES,
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        }
        return render(request, "flag_table.html" if fragment else "flags.html", context)

    @router.get(FLAGS_PATH)
    def flags(request: Request) -> Response:
        return page(request, fragment=request.headers.get("hx-request") == "true")

    @router.get("/admin/flags")
    def flags_alias(request: Request) -> Response:
        return page(request, fragment=request.headers.get("hx-request") == "true")

    return router
