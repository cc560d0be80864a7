"""`GET /api/admin/environments`: the environments a flag can be set in."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from flagpilot.api.admin.access import READERS
from flagpilot.api.admin.docs import READ, EnvironmentsDoc
from flagpilot.api.admin.services import AdminServices
from flagpilot.api.jsonio import json_response
from flagpilot.api.security import require
from flagpilot.services.auth import Principal


def environments_router(services: AdminServices) -> APIRouter:
    """`/api/admin/environments` over `services` (any reading token, scoped or not)."""
    router = APIRouter(prefix="/api/admin/environments", tags=["admin: flags"])
    readers = Depends(require(services.authenticator, *READERS))

    @router.get("", summary="List environments", response_model=EnvironmentsDoc, responses=READ)
    def list_environments(principal: Annotated[Principal, readers]) -> Response:
        """Every environment, by name."""
        items = [{"name": e.name, "description": e.description} for e in services.flags.list_environments()]
        return json_response({"items": items})

    return router
