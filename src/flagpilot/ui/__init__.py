"""The admin web UI: server-rendered pages over the same services the API and the CLI call.

    routers = ui_routers(UiServices(flags=..., rollouts=..., audit=..., tokens=..., users=..., snapshots=...))

Jinja2 templates, plain CSS and vendored htmx (only to swap fragments); every action is a plain
form that also works with JavaScript off. The pages live under `/admin`, the flags page also at
the checklist's `/dashboard/admin/feature-flags`, static files at `/static`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import fastapi

from flagpilot.ui import (
    alerts_page,
    audit_page,
    bulk_actions,
    flag_page,
    flags_page,
    login,
    rollout_actions,
    rollout_pages,
    static,
    switch_actions,
    tokens_page,
    web,
)
from flagpilot.ui.flags_page import FLAGS_PATH
from flagpilot.ui.services import UiServices
from flagpilot.ui.static import STATIC_ROOT
from flagpilot.ui.web import CSP, SECURITY_HEADERS

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["CSP", "FLAGS_PATH", "SECURITY_HEADERS", "STATIC_ROOT", "UiServices", "ui_routers"]


def ui_routers(services: UiServices) -> list[APIRouter]:
    """Every admin UI router over `services`, to mount beside the API; each page carries the
    outage banner while the server knows the database is down."""
    factories = (
        login.login_router,
        flags_page.flags_router,
        switch_actions.switch_router,
        bulk_actions.bulk_router,
        flag_page.flag_page_router,
        rollout_pages.rollout_pages_router,
        rollout_actions.rollout_actions_router,
        audit_page.audit_router,
        alerts_page.alerts_router,
        tokens_page.tokens_router,
    )
    pages = fastapi.APIRouter(dependencies=[fastapi.Depends(web.outage_banner(services.database_down))])
    for factory in factories:
        pages.include_router(factory(services))
    return [static.static_router(), pages]
