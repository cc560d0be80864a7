"""A flag's settings in one environment: the kill switch and clearing the environment's value.

    POST /api/admin/flags/{key}/kill    {"environment": "production", "reason": "errors in checkout"}

The kill switch is for emergencies: it is never refused for prerequisites, only for a stale
version when the caller names one. Setting a value is `POST /api/admin/feature-flags`.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from flagpilot.api.admin.access import EDITORS, actor_of, environment_for, require_all_organizations
from flagpilot.api.admin.bodies import REASON, Switch
from flagpilot.api.admin.dependencies import AdminServices
from flagpilot.api.admin.flags import FlagKey, IfMatch
from flagpilot.api.admin.responses import WRITE, FlagDoc
from flagpilot.api.admin.versions import expected_version, versioned
from flagpilot.api.security import require
from flagpilot.api.serialisers import flag_json
from flagpilot.services.auth import Principal


def switches_router(services: AdminServices) -> APIRouter:
    """Kill, unkill and clear-value routes over `services`."""
    router = APIRouter(prefix="/api/admin/flags", tags=["admin: flags"])
    editors = Depends(require(services.authenticator, *EDITORS))
    manager = services.flags

    def switch(key: str, body: Switch, principal: Principal, if_match: str | None, on: bool) -> Response:
        require_all_organizations(principal)
        environment = environment_for(principal, body.environment, services.default_environment)
        change = manager.kill if on else manager.unkill
        view = change(
            key,
            environment,
            actor=actor_of(principal),
            reason=body.reason,
            expected_version=expected_version(if_match, body.version),
        )
        return versioned(flag_json(view), view.version)

    @router.post("/{key}/kill", summary="Turn the kill switch on", response_model=FlagDoc, responses=WRITE)
    def kill(
        key: FlagKey, body: Switch, principal: Annotated[Principal, editors], if_match: IfMatch = None
    ) -> Response:
        """Turn the flag off for everyone in the environment, whatever else says."""
        return switch(key, body, principal, if_match, on=True)

    @router.post("/{key}/unkill", summary="Turn the kill switch off", response_model=FlagDoc, responses=WRITE)
    def unkill(
        key: FlagKey, body: Switch, principal: Annotated[Principal, editors], if_match: IfMatch = None
    ) -> Response:
        """Let the flag's value, overrides and rollout apply again."""
        return switch(key, body, principal, if_match, on=False)

    @router.delete(
        "/{key}/environments/{environment}/value",
        summary="Clear the environment's value",
        response_model=FlagDoc,
        responses=WRITE,
    )
    def clear_value(
        key: FlagKey,
        environment: str,
        principal: Annotated[Principal, editors],
        reason: Annotated[str, Query(max_length=REASON)] = "",
        if_match: IfMatch = None,
    ) -> Response:
        """Remove the environment's value: the flag falls back to its default there."""
        require_all_organizations(principal)
        scoped = environment_for(principal, environment, services.default_environment)
        view = manager.clear_value(
            key,
            scoped,
            actor=actor_of(principal),
            expected_version=expected_version(if_match, None),
            reason=reason,
        )
        return versioned(flag_json(view), view.version)

    return router
