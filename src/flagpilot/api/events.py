"""`POST /api/events`: rollout outcome events from SDKs and widgets, counted in memory.

    [{"featureName": "phase2_enhanced_storage", "customerId": "c-42", "outcome": "error",
      "count": 3, "timestamp": 1762160400000}]

A batch is checked whole first: if any event is malformed, the answer is 422 naming each bad
member (`body.3.outcome`) and nothing is counted, so a client can fix and resend the batch
without counting anything twice. A well-formed batch is answered 202 with how many events were
`accepted` (counted), `ignored` (no serving rollout for the flag: a normal race with a rollback)
and `rejected` (timestamped outside the accepted window). Counts reach the database at the
next flush, within a second. An environment that does not exist is a 404, like on every other
route: a typo in `?environment=` must not turn every event into a silent `ignored`.
"""

# No `from __future__ import annotations` here: FastAPI reads the route's `Annotated`
# dependencies at definition time, and they name locals of the router factory.
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from flagpilot.api.schemas import PROBLEM_RESPONSES, ValidationProblem, problem_doc
from flagpilot.api.security import require, scoped_environment
from flagpilot.core import Problem
from flagpilot.services.auth import Authenticator, Principal, TokenKind
from flagpilot.services.clock import Clock, utc_now
from flagpilot.services.errors import InvalidInput
from flagpilot.services.rollouts import OutcomeAggregator
from flagpilot.services.rollouts.outcomes import MAX_COUNT, event_problems
from flagpilot.services.snapshots import SnapshotProvider

PATH = "/api/events"
MAX_BATCH = 5_000
MAX_REPORTED_PROBLEMS = 20


def parse_batch(raw: bytes) -> list[dict[str, Any]]:
    """The events of a request body, or `InvalidInput` naming every bad member (up to 20)."""
    try:
        events = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(
            "the body is not JSON", [Problem("body", "events", f"is not JSON: {exc}")]
        ) from exc
    if not isinstance(events, list) or not events:
        raise InvalidInput(
            "the body must be a non-empty JSON array of outcome events",
            [Problem("body", "events", "must be a non-empty array")],
        )
    if len(events) > MAX_BATCH:
        raise InvalidInput(
            f"at most {MAX_BATCH} events per batch",
            [Problem("body", "events", f"holds {len(events)} events; send at most {MAX_BATCH}")],
        )
    found: list[Problem] = []
    for index, event in enumerate(events):
        found.extend(event_problems(index, event))
        if len(found) >= MAX_REPORTED_PROBLEMS:
            break
    if found:
        raise InvalidInput(f"{len(found)} problem(s) in the batch; nothing was counted", found)
    return events


def events_router(
    aggregator: OutcomeAggregator,
    authenticator: Authenticator,
    snapshots: SnapshotProvider,
    default_environment: str,
    clock: Clock = utc_now,
) -> APIRouter:
    """`POST /api/events` counting into `aggregator` (server-SDK and client-SDK tokens); the
    environment must be one `snapshots` serves."""
    router = APIRouter(tags=["events"])
    reporter = Depends(require(authenticator, TokenKind.SERVER_SDK, TokenKind.CLIENT_SDK))

    @router.post(
        PATH,
        status_code=202,
        summary="Report rollout outcome events",
        responses={
            404: problem_doc("The environment does not exist."),
            413: problem_doc("The body is over the route's limit (room for 5,000 events)."),
            422: problem_doc("A malformed event; each bad member is named.", ValidationProblem),
            **PROBLEM_RESPONSES,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["featureName", "customerId", "outcome"],
                                "properties": {
                                    "featureName": {"type": "string"},
                                    "customerId": {"type": "string"},
                                    "outcome": {"enum": ["success", "error"]},
                                    "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
                                    "timestamp": {"type": ["integer", "number", "string"]},
                                },
                            },
                        }
                    }
                },
            }
        },
    )
    async def report(
        request: Request,
        principal: Annotated[Principal, reporter],
        environment: Annotated[
            str | None, Query(description="Default: the token's, else the server's.")
        ] = None,
    ) -> Response:
        """Count a batch of outcomes; 202 with accepted / ignored / rejected counts."""
        scope = scoped_environment(principal, environment, default_environment)
        snapshots.get(scope)  # EnvironmentNotFound (404) for an unknown one; a memory read
        events = parse_batch(await request.body())
        result = aggregator.record(events, environment=scope, now=clock())
        body = {"accepted": result.accepted, "ignored": result.ignored, "rejected": result.rejected}
        return Response(orjson.dumps(body), status_code=202, media_type="application/json")

    return router
