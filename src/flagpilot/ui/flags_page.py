"""The flags page, `/dashboard/admin/feature-flags` (the checklist's address; also `/admin/flags`).

Every flag on one page, grouped by phase, with a cell per environment: on or off, the kill
switch, the rollout's tier and percentage now, its next gate and when it opens, its health, and
whether the flag is stale. Search, filters and order are query parameters, so a filtered view
is a link; with JavaScript on, htmx swaps only the table as the user types. A thousand flags in
three environments render in one page without paging: the whole list is read in a handful of
queries, the whole table is one form (one CSRF field per page; each toggle or kill is a short
button of it, not a form or a `form=`/`formaction` attribute of its own, which browsers resolve
slowly by the thousand), and a row is rendered once and reused until what it shows changes
(`flag_table`). Each phase's section is laid out by the browser only when it nears the screen
(`content-visibility` in admin.css).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from flagpilot.core import RolloutStatus
from flagpilot.services.auth import EDITORS
from flagpilot.services.errors import StorageUnavailable
from flagpilot.services.rollouts import RolloutStatistics
from flagpilot.ui.degraded import FALLBACK_ENVIRONMENTS, snapshot_views
from flagpilot.ui.flag_reads import FlagPageReads, evaluations_lifetime
from flagpilot.ui.flag_rows import PHASES, RowFilter
from flagpilot.ui.flag_table import FlagTable
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import current_caller
from flagpilot.ui.web import DATABASE_DOWN, UiRoute, database_answered, render

FLAGS_PATH = "/dashboard/admin/feature-flags"
ROLLOUT_STATUSES = [status.value for status in RolloutStatus]


NO_STATISTICS: dict[tuple[str, str], RolloutStatistics] = {}
"""No rollout statistics while the database is down (they live in the database)."""


def flags_router(services: UiServices) -> APIRouter:
    """The flags page and its table fragment."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)

    known_environments = list(FALLBACK_ENVIRONMENTS)
    reads = FlagPageReads(services)
    table = FlagTable(lifetime=evaluations_lifetime(services.stale_after))

    def page(request: Request, fragment: bool) -> Response:
        caller = current_caller(request, services.users)
        row_filter = RowFilter.from_params(request.query_params)
        now = services.clock()
        try:
            environments = [env.name for env in services.flags.list_environments()]
            views = reads.flags(environments)
            statistics = reads.statistics(views, now)
            last_evaluated = reads.last_evaluated()
            known_environments[:] = environments
            degraded = False
            database_answered(request)
        except StorageUnavailable:
            environments = list(known_environments)
            views = snapshot_views(services.snapshots, environments)
            statistics, last_evaluated = NO_STATISTICS, None
            request.state.ui_banner = DATABASE_DOWN
            degraded = True
        can_edit = caller.may(EDITORS) and not degraded
        shown = table.table(
            views,
            environments,
            statistics,
            now,
            row_filter,
            can_edit,
            last_evaluated=last_evaluated,
            stale_after=services.stale_after,
        )
        context = {
            "nav": "flags",
            "environments": environments,
            "phases": PHASES,
            "table": shown,
            "filter": row_filter,
            "can_edit": can_edit,
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
