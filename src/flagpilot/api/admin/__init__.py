"""The admin API: flags, environment values, kill switch, overrides, audit trail, export/import.

    routers = admin_routers(AdminServices(flags=..., audit=..., authenticator=..., ...))

Every route takes a bearer token (`flagpilot.api.admin.access` says which kinds may do what),
parses its input, calls one service and maps nothing itself: service errors become problem
documents in `flagpilot.api.problems`. Token administration is `flagpilot.api.admin.tokens`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flagpilot.api.admin.access import ADMINS, EDITORS, READERS
from flagpilot.api.admin.audit import audit_router
from flagpilot.api.admin.dependencies import AdminServices
from flagpilot.api.admin.environments import environments_router
from flagpilot.api.admin.features import feature_flags_router
from flagpilot.api.admin.flags import flags_router
from flagpilot.api.admin.overrides import overrides_router
from flagpilot.api.admin.switches import switches_router
from flagpilot.api.admin.transfer import rounding_problems, transfer_router

if TYPE_CHECKING:
    from fastapi import APIRouter


def admin_routers(services: AdminServices) -> list[APIRouter]:
    """Every admin router over `services`, to mount with `ApiDependencies.routers`."""
    factories = (
        feature_flags_router,
        flags_router,
        switches_router,
        overrides_router,
        audit_router,
        transfer_router,
        environments_router,
    )
    return [factory(services) for factory in factories]


__all__ = [
    "ADMINS",
    "EDITORS",
    "READERS",
    "AdminServices",
    "admin_routers",
    "audit_router",
    "environments_router",
    "feature_flags_router",
    "flags_router",
    "overrides_router",
    "rounding_problems",
    "switches_router",
    "transfer_router",
]
