"""Flag definitions: create, read, change, archive and restore (`/api/admin/flags`).

Reads carry the flag's version as `ETag`; changes take it back as `If-Match` (or a `version`
field) and answer 409 if someone else changed the flag in between.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path
from starlette.responses import Response

from flagpilot.api.admin.access import (
    ADMINS,
    READERS,
    actor_of,
    require_all_organizations,
    require_unconfined,
)
from flagpilot.api.admin.bodies import ID, Change, FlagChanges, NewFlag
from flagpilot.api.admin.dependencies import AdminServices
from flagpilot.api.admin.responses import ETAG_HEADER, NOT_FOUND, READ, WRITE, FlagDoc
from flagpilot.api.admin.sent import named_as_sent
from flagpilot.api.admin.versions import expected_version, versioned
from flagpilot.api.security import require
from flagpilot.api.serialisers import flag_json
from flagpilot.core import FlagDefinition
from flagpilot.services.auth import Principal

FlagKey = Annotated[str, Path(min_length=1, max_length=ID)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]

_CHANGE_NAMES = {"description": "description", "default_value": "default", "phase": "phase"}


def definition_changes(body: FlagChanges) -> dict[str, Any]:
    """The fields a PATCH body sets, as `FlagManager.update_flag` names them."""
    changes = {
        _CHANGE_NAMES[name]: getattr(body, name) for name in _CHANGE_NAMES if name in body.model_fields_set
    }
    if "prerequisites" in body.model_fields_set:
        changes["prerequisites"] = body.prerequisites or []
    return changes


def flags_router(services: AdminServices) -> APIRouter:
    """`/api/admin/flags` over `services`."""
    router = APIRouter(prefix="/api/admin/flags", tags=["admin: flags"])
    readers = Depends(require(services.authenticator, *READERS))
    admins = Depends(require(services.authenticator, *ADMINS))
    manager = services.flags

    @router.post("", status_code=201, summary="Create a flag", response_model=FlagDoc, responses=WRITE)
    def create(body: NewFlag, principal: Annotated[Principal, admins]) -> Response:
        """Create a flag; it starts with no environment values, overrides or rollouts."""
        require_unconfined(principal)
        definition = FlagDefinition(
            key=body.key,
            type=body.type,
            default=body.default_value,
            phase=body.phase,
            description=body.description,
            prerequisites=tuple(body.prerequisites),
        )
        fields = {"key": "key", "default": "defaultValue", "phase": "phase", "prerequisites": "prerequisites"}
        with named_as_sent(fields):
            view = manager.create_flag(definition, actor=actor_of(principal), reason=body.reason)
        location = {"Location": f"/api/admin/flags/{view.key}"}
        return versioned(flag_json(view), view.version, 201, location)

    @router.get(
        "/{key}",
        summary="Read a flag",
        response_model=FlagDoc,
        responses={**READ, **NOT_FOUND, 200: {"headers": ETAG_HEADER}},
    )
    def read(key: FlagKey, principal: Annotated[Principal, readers]) -> Response:
        """A flag with its state in every environment; `ETag` is its version."""
        require_all_organizations(principal)
        view = manager.get_flag(key)
        return versioned(flag_json(view), view.version)

    @router.patch("/{key}", summary="Change a flag", response_model=FlagDoc, responses=WRITE)
    def update(
        key: FlagKey, body: FlagChanges, principal: Annotated[Principal, admins], if_match: IfMatch = None
    ) -> Response:
        """Change the description, default value, phase or prerequisites."""
        require_unconfined(principal)
        view = manager.update_flag(
            key,
            definition_changes(body),
            actor=actor_of(principal),
            expected_version=expected_version(if_match, body.version),
            reason=body.reason,
        )
        return versioned(flag_json(view), view.version)

    def set_archived(
        key: str, principal: Principal, body: Change | None, if_match: str | None, archived: bool
    ) -> Response:
        require_unconfined(principal)
        change = body or Change()
        view = (manager.archive_flag if archived else manager.restore_flag)(
            key,
            actor=actor_of(principal),
            expected_version=expected_version(if_match, change.version),
            reason=change.reason,
        )
        return versioned(flag_json(view), view.version)

    @router.post("/{key}/archive", summary="Archive a flag", response_model=FlagDoc, responses=WRITE)
    def archive(
        key: FlagKey,
        principal: Annotated[Principal, admins],
        body: Change | None = None,
        if_match: IfMatch = None,
    ) -> Response:
        """Stop serving a flag; its settings and overrides are kept for a restore."""
        return set_archived(key, principal, body, if_match, archived=True)

    @router.post(
        "/{key}/restore", summary="Restore an archived flag", response_model=FlagDoc, responses=WRITE
    )
    def restore(
        key: FlagKey,
        principal: Annotated[Principal, admins],
        body: Change | None = None,
        if_match: IfMatch = None,
    ) -> Response:
        """Serve an archived flag again."""
        return set_archived(key, principal, body, if_match, archived=False)

    return router
