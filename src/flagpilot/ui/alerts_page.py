"""The alerts page: what the automatic checker raised (rollbacks, pauses), acknowledged or not.

    GET  /admin/alerts
    POST /admin/alerts/acknowledge     id

Alerts are this server's in-memory list (also delivered by webhook and counted in metrics).
Acknowledging one marks it seen for everyone: the acknowledgement is stored (in the database,
in a server), so it survives a restart and shows on every replica, and its audit row names the
user. Alert ids are deterministic, so the same alert has the same id on every replica.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from flagpilot.services.auth import EDITORS
from flagpilot.services.errors import StorageUnavailable
from flagpilot.ui.forms import PostedForm, posted
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import current_caller
from flagpilot.ui.web import DATABASE_DOWN, UiRoute, render

SHOWN = 200


def alerts_router(services: UiServices) -> APIRouter:
    """The alerts page."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)

    @router.get("/admin/alerts")
    def alerts(request: Request) -> Response:
        caller = current_caller(request, services.users)
        recent = [] if services.alerts is None else services.alerts.recent(SHOWN)
        degraded = False
        try:
            seen = services.acknowledgements.of([alert.id for alert in recent])
        except StorageUnavailable:  # the alerts are this process's; who saw them is not known now
            seen, degraded = {}, True
            request.state.ui_banner = DATABASE_DOWN
        context = {
            "nav": "alerts",
            "alerts": [(alert, seen.get(alert.id)) for alert in recent],
            "can_ack": caller.may(EDITORS) and not degraded,
        }
        return render(request, "alerts.html", context)

    @router.post("/admin/alerts/acknowledge")
    def acknowledge(request: Request, form: PostedForm) -> Response:
        post = posted(request, form, services, EDITORS, "acknowledge alerts")
        alert_id = post.text("id")
        known = (
            {} if services.alerts is None else {alert.id: alert for alert in services.alerts.recent(SHOWN)}
        )
        alert = known.get(alert_id)
        services.acknowledgements.add(
            alert_id,
            post.caller.actor,
            feature_name=None if alert is None else alert.feature_name,
            environment=None if alert is None else alert.environment,
        )
        return RedirectResponse("/admin/alerts", 303)

    return router
