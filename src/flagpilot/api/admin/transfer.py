"""`GET /api/admin/export` and `POST /api/admin/import`: every flag as one JSON document.

An import is all or nothing and replaces the flags it names (their settings, overrides and
rollouts); `?dryRun=true` checks the document and reports what it would write. The transfer
service judges the document; numbers it would refuse as rounded are named here by their place
in the request body (`body.rollouts.0.percentage`), as the schema's own errors are.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from flagpilot.api.admin.access import ADMINS, READERS, actor_of, require_unconfined
from flagpilot.api.admin.dependencies import AdminServices
from flagpilot.api.admin.responses import READ, WRITE, ImportDoc
from flagpilot.api.jsonio import json_response
from flagpilot.api.security import require
from flagpilot.api.serialisers import import_report_json
from flagpilot.services import transfer
from flagpilot.services.auth import Principal


def rounding_problems(document: Any) -> list[Mapping[str, str]]:
    """The transfer service's rounding problems as field errors named by their place in the body."""
    return [
        {"field": f"body.{_path(problem.flag)}.{problem.field}", "message": problem.message}
        for problem in transfer.rounding_problems(document)
    ]


def _path(item: str) -> str:
    """`rollouts[2]` as the body path `rollouts.2`."""
    return item.replace("[", ".").rstrip("]")


def transfer_router(services: AdminServices) -> APIRouter:
    """Export and import over `services`."""
    router = APIRouter(prefix="/api/admin", tags=["admin: export and import"])
    readers = Depends(require(services.authenticator, *READERS))
    admins = Depends(require(services.authenticator, *ADMINS))

    @router.get("/export", summary="Export every flag", response_model=dict[str, Any], responses=READ)
    def export(principal: Annotated[Principal, readers]) -> Response:
        """Flags, settings, overrides and rollouts as one document, for `POST /api/admin/import`."""
        require_unconfined(principal)
        return json_response(services.export())

    @router.post("/import", summary="Import an export", response_model=ImportDoc, responses=WRITE)
    def import_(
        document: Annotated[dict[str, Any], Body()],
        principal: Annotated[Principal, admins],
        dry_run: Annotated[bool, Query(alias="dryRun")] = False,
    ) -> Response:
        """Check the whole document, then write it in one transaction (unless `dryRun`)."""
        require_unconfined(principal)
        problems = rounding_problems(document)
        if problems:
            raise RequestValidationError(
                [
                    {"loc": tuple(p["field"].split(".")), "msg": p["message"], "type": "value_error"}
                    for p in problems
                ]
            )
        report = services.import_document(document, actor=actor_of(principal), dry_run=dry_run)
        return json_response(import_report_json(report))

    return router
