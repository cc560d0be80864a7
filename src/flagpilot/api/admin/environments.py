"""`GET/POST /api/admin/environments`: the environments a flag can be set in, and adding one."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field
from starlette.responses import Response

from flagpilot.api.admin.access import ADMINS, READERS, actor_of, require_unconfined
from flagpilot.api.admin.bodies import Body
from flagpilot.api.admin.dependencies import AdminServices
from flagpilot.api.admin.responses import READ, WRITE, EnvironmentItem, EnvironmentsDoc
from flagpilot.api.jsonio import json_response
from flagpilot.api.security import require
from flagpilot.services.auth import Principal


class NewEnvironment(Body):
    """An environment to add, e.g. `{"name": "qa"}`."""

    name: str = Field(min_length=1, max_length=64, description="Lower case: `^[a-z][a-z0-9_-]{0,63}$`.")
    description: str = Field(default="", max_length=2000)


def environments_router(services: AdminServices) -> APIRouter:
    """`/api/admin/environments` over `services` (any reading token lists; unconfined admins add)."""
    router = APIRouter(prefix="/api/admin/environments", tags=["admin: flags"])
    readers = Depends(require(services.authenticator, *READERS))
    admins = Depends(require(services.authenticator, *ADMINS))

    @router.post(
        "", status_code=201, summary="Add an environment", response_model=EnvironmentItem, responses=WRITE
    )
    def create_environment(body: NewEnvironment, principal: Annotated[Principal, admins]) -> Response:
        """Add an environment: every flag is then served there with its default (409 if it exists)."""
        require_unconfined(principal)
        record = services.flags.create_environment(
            body.name, actor=actor_of(principal), description=body.description
        )
        created = {"name": record.name, "description": record.description}
        return json_response(created, 201, {"Location": f"/api/admin/environments/{record.name}"})

    @router.get("", summary="List environments", response_model=EnvironmentsDoc, responses=READ)
    def list_environments(principal: Annotated[Principal, readers]) -> Response:
        """Every environment, by name."""
        items = [{"name": e.name, "description": e.description} for e in services.flags.list_environments()]
        return json_response({"items": items})

    return router
