"""The admin web UI: server-rendered pages over the same services the API and the CLI call.

    routers = ui_routers(UiServices(flags=..., rollouts=..., audit=..., tokens=..., users=..., snapshots=...))

Jinja2 templates, plain CSS and vendored htmx (only to swap fragments); every action is a plain
form that also works with JavaScript off. The pages live under `/admin`, the flags page also at
the checklist's `/dashboard/admin/feature-flags`, static files at `/static`.
"""

from __future__ import annotations

from fastapi import APIRouter

from flagpilot.ui.alerts_page import alerts_router
from flagpilot.ui.audit_page import audit_router
from flagpilot.ui.bulk_actions import bulk_router
from flagpilot.ui.flag_page import flag_page_router
from flagpilot.ui.flags_page import FLAGS_PATH, flags_router
from flagpilot.ui.login import login_router
from flagpilot.ui.rollout_actions import rollout_actions_router
from flagpilot.ui.rollout_pages import rollout_pages_router
from flagpilot.ui.services import UiServices
from flagpilot.ui.static import STATIC_ROOT, static_router
from flagpilot.ui.switch_actions import switch_router
from flagpilot.ui.tokens_page import tokens_router
from flagpilot.ui.web import CSP, SECURITY_HEADERS

__all__ = ["CSP", "FLAGS_PATH", "SECURITY_HEADERS", "STATIC_ROOT", "UiServices", "ui_routers"]


def ui_routers(services: UiServices) -> list[APIRouter]:
    """Every admin UI router over `services`, to mount beside the API."""
    factories = (
        login_router,
        flags_router,
        switch_router,
        bulk_router,
        flag_page_router,
        rollout_pages_router,
        rollout_actions_router,
        audit_router,
        alerts_router,
        tokens_router,
    )
    return [static_router(), *(factory(services) for factory in factories)]
