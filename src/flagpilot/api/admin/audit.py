"""The audit trail over HTTP: `GET /api/admin/audit` (filtered, paged) and `/audit/verify`."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at definition.
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from flagpilot.api.admin.access import READERS, require_unconfined
from flagpilot.api.admin.bodies import ID
from flagpilot.api.admin.dependencies import AdminServices
from flagpilot.api.admin.responses import READ, AuditPageDoc, ChainDoc
from flagpilot.api.jsonio import json_response
from flagpilot.api.security import require
from flagpilot.api.serialisers import chain_report_json
from flagpilot.services.audit import audit_record_dict
from flagpilot.services.auth import Principal
from flagpilot.services.stored_records import AuditRecord

Moment = Annotated[datetime | None, Query(description="ISO 8601; without a zone it is UTC.")]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def audit_router(services: AdminServices) -> APIRouter:
    """`/api/admin/audit` over `services`."""
    router = APIRouter(prefix="/api/admin/audit", tags=["admin: audit"])
    readers = Depends(require(services.authenticator, *READERS))

    @router.get("", summary="Read the audit trail", response_model=AuditPageDoc, responses=READ)
    def query(
        principal: Annotated[Principal, readers],
        flag: Annotated[str | None, Query(max_length=ID)] = None,
        actor: Annotated[str | None, Query(max_length=ID)] = None,
        since: Moment = None,
        until: Moment = None,
        before: Annotated[
            int | None, Query(ge=1, le=2**31 - 1, description="`nextBefore` of the last page.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Response:
        """Changes, newest first, filtered by flag, actor and time; page with `before`."""
        require_unconfined(principal)

        def read(before_id: int | None, count: int) -> list[AuditRecord]:
            return services.audit.query(
                feature_name=flag,
                actor=actor,
                since=_utc(since),
                until=_utc(until),
                before_id=before_id,
                limit=count,
            )

        records = read(before, limit)
        # A full page has a next one only if an older row exists: look for one, not for a page.
        more = len(records) == limit and bool(read(records[-1].id, 1))
        next_before = records[-1].id if more else None
        names = services.token_names()
        items = [audit_record_dict(r, names) for r in records]
        return json_response({"items": items, "nextBefore": next_before})

    @router.get("/verify", summary="Verify the audit trail", response_model=ChainDoc, responses=READ)
    def verify(principal: Annotated[Principal, readers]) -> Response:
        """Check every link of the hash chain; `brokenId` names the first broken row."""
        require_unconfined(principal)
        return json_response(chain_report_json(services.audit.verify()))

    return router
