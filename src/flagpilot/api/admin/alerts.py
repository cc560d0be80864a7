"""`GET /api/admin/alerts`: the alerts this server raised (automatic rollbacks and pauses).

The list is the in-app one, kept in memory by the replica that runs the checker; the same alerts
go to the webhook and show as `flagpilot_rollout_auto_rollbacks_total`, and every automatic
change is in the audit trail with its evidence, which is the durable record.
"""

# No `from __future__ import annotations` here: FastAPI reads the route's `Annotated`
# dependencies at definition time, and they name locals of the router factory.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from flagpilot.api.schemas import PROBLEM_RESPONSES, problem_doc
from flagpilot.api.security import require
from flagpilot.api.serialisers import alert_json
from flagpilot.services.auth import Authenticator, Principal, TokenKind
from flagpilot.services.errors import EnvironmentNotFound
from flagpilot.services.rollouts import InMemoryAlerts

PATH = "/api/admin/alerts"


def alerts_router(alerts: InMemoryAlerts, authenticator: Authenticator) -> APIRouter:
    """The alert list over `alerts` (admin, editor and viewer tokens)."""
    router = APIRouter(tags=["alerts"])
    reader = Depends(require(authenticator, TokenKind.ADMIN, TokenKind.EDITOR, TokenKind.VIEWER))

    @router.get(
        PATH,
        summary="Recent alerts, newest first",
        responses={
            404: problem_doc("A token confined to one environment named another."),
            **PROBLEM_RESPONSES,
        },
    )
    async def recent(
        principal: Annotated[Principal, reader],
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        environment: Annotated[str | None, Query(description="Only this environment.")] = None,
    ) -> list[dict[str, Any]]:
        """Automatic rollbacks and pauses with their evidence."""
        scope = _alert_environment(principal, environment)
        return [alert_json(alert) for alert in alerts.recent(limit, environment=scope)]

    return router


def _alert_environment(principal: Principal, requested: str | None) -> str | None:
    """The environment whose alerts a token may list: a confined token's own, whatever it asks.

    A confined token naming another environment gets the 404 it would get for a name that does
    not exist, so the answer never tells it which other environments there are.

    Raises:
        EnvironmentNotFound: a confined token named an environment other than its own.
    """
    if principal.environment is None:
        return requested or None
    if requested and requested != principal.environment:
        raise EnvironmentNotFound(f"environment {requested!r} does not exist")
    return principal.environment
