"""Customer and organization overrides of one flag: list (paged), set in bulk, clear.

A token confined to an organization reaches only that organization's overrides: the calls run
confined to it (row-level security on PostgreSQL), so another tenant's overrides are neither
listed nor changed — naming them is answered with 403 or, for a clear, 404.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import Response

from flagpilot.api.admin.access import EDITORS, READERS, actor_of, environment_for
from flagpilot.api.admin.bodies import ID, REASON, ClearOverrides, OverrideValues
from flagpilot.api.admin.dependencies import AdminServices
from flagpilot.api.admin.flags import FlagKey
from flagpilot.api.admin.responses import NOT_FOUND, READ, WRITE, CountDoc, OverridePageDoc
from flagpilot.api.jsonio import json_response
from flagpilot.api.security import require
from flagpilot.api.serialisers import override_page_json
from flagpilot.services.auth import Principal
from flagpilot.services.errors import NotFound
from flagpilot.services.stored_records import OverrideScope

Environment = Annotated[str | None, Query(min_length=1, max_length=64)]


def overrides_router(services: AdminServices) -> APIRouter:
    """`/api/admin/flags/{key}/overrides` over `services`."""
    router = APIRouter(prefix="/api/admin/flags/{key}/overrides", tags=["admin: overrides"])
    readers = Depends(require(services.authenticator, *READERS))
    editors = Depends(require(services.authenticator, *EDITORS))
    manager = services.flags

    def scoped_environment(principal: Principal, requested: str | None) -> str | None:
        if principal.environment is None and requested is None:
            return None  # every environment
        return environment_for(principal, requested, services.default_environment)

    @router.get("", summary="List overrides", response_model=OverridePageDoc, responses={**READ, **NOT_FOUND})
    def list_overrides(
        key: FlagKey,
        principal: Annotated[Principal, readers],
        scope: OverrideScope = OverrideScope.CUSTOMER,
        environment: Environment = None,
        cursor: Annotated[str | None, Query(max_length=1024)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Response:
        """One page of the flag's overrides, by environment and subject."""
        page = manager.list_overrides(
            key,
            scope,
            environment=scoped_environment(principal, environment),
            cursor=cursor,
            limit=limit,
            organization_id=principal.organization_id,
        )
        return json_response(override_page_json(page))

    @router.put("", summary="Set many overrides", response_model=CountDoc, responses=WRITE)
    def set_many(key: FlagKey, body: OverrideValues, principal: Annotated[Principal, editors]) -> Response:
        """Override the flag for many customers or organizations in one transaction."""
        count = manager.set_overrides(
            key,
            environment_for(principal, body.environment, services.default_environment),
            body.scope,
            body.values,
            actor=actor_of(principal),
            reason=body.reason,
            organization_id=principal.organization_id,
        )
        return json_response({"count": count})

    @router.post("/clear", summary="Clear overrides", response_model=CountDoc, responses=WRITE)
    def clear_many(key: FlagKey, body: ClearOverrides, principal: Annotated[Principal, editors]) -> Response:
        """Remove the listed overrides, or all of the flag's in the environment (`subjectIds` null)."""
        count = manager.clear_overrides(
            key,
            environment_for(principal, body.environment, services.default_environment),
            body.scope,
            body.subject_ids,
            actor=actor_of(principal),
            reason=body.reason,
            organization_id=principal.organization_id,
        )
        return json_response({"count": count})

    @router.delete(
        "/{scope}/{subject_id}", summary="Clear one override", response_model=CountDoc, responses=WRITE
    )
    def clear_one(
        key: FlagKey,
        scope: OverrideScope,
        subject_id: Annotated[str, Path(min_length=1, max_length=ID)],
        principal: Annotated[Principal, editors],
        environment: Environment = None,
        reason: Annotated[str, Query(max_length=REASON)] = "",
    ) -> Response:
        """Remove one customer's or organization's override; 404 if there is none."""
        scoped = environment_for(principal, environment, services.default_environment)
        removed = manager.clear_override(
            key,
            scoped,
            scope,
            subject_id,
            actor=actor_of(principal),
            reason=reason,
            organization_id=principal.organization_id,
        )
        if not removed:
            raise NotFound(f"flag {key!r} has no {scope.value} override for {subject_id!r} in {scoped!r}")
        return json_response({"count": 1})

    return router
