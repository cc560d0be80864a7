"""The alerts page: what the automatic checker raised (rollbacks, pauses), acknowledged or not.

    GET  /admin/alerts
    POST /admin/alerts/acknowledge     id

Alerts are this server's in-memory list (also delivered by webhook and counted in metrics);
acknowledging one marks it seen here for everyone, until the server restarts.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from flagpilot.services.auth import EDITORS
from flagpilot.ui.forms import posted
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import current_caller
from flagpilot.ui.web import UiRoute, render

SHOWN = 200


class Acknowledgements:
    """Which alerts someone has marked as seen, and by whom."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, alert_id: str, actor: str) -> None:
        """Mark `alert_id` seen by `actor` (the first acknowledgement is kept)."""
        with self._lock:
            self._seen.setdefault(alert_id, actor)

    def by(self, alert_id: str) -> str | None:
        """Who acknowledged `alert_id`, or None."""
        with self._lock:
            return self._seen.get(alert_id)


def alerts_router(services: UiServices) -> APIRouter:
    """The alerts page."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)
    acknowledged = Acknowledgements()

    @router.get("/admin/alerts")
    def alerts(request: Request) -> Response:
        caller = current_caller(request, services.users)
        recent = [] if services.alerts is None else services.alerts.recent(SHOWN)
        context = {
            "nav": "alerts",
            "alerts": [(alert, acknowledged.by(alert.id)) for alert in recent],
            "can_ack": caller.may(EDITORS),
        }
        return render(request, "alerts.html", context)

    @router.post("/admin/alerts/acknowledge")
    async def acknowledge(request: Request) -> Response:
        post = await posted(request, services, EDITORS, "acknowledge alerts")
        acknowledged.add(post.text("id"), post.caller.actor)
        return RedirectResponse("/admin/alerts", 303)

    return router
