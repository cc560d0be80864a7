"""`/api/admin/rollout`: create rollouts and move them through their tiers, over `RolloutManager`.

    POST /api/admin/rollout            create (planned, tier 0)
    POST /api/admin/rollout/{verb}     start, advance, pause, resume, rollback, complete, restart
    GET  /api/admin/rollout            list
    GET  /api/admin/rollout/{feature}  one rollout with its statistics, gates and history

Writes take an admin or editor token, reads a viewer token too. Every answer carries the
rollout's version as its `ETag`; a write with `version` (or `If-Match`) is refused with 409 if
the rollout moved since, so an operator acting on a stale page cannot skip a tier. Refusals by
the rules (a closed gate, an illegal transition) are 409 problems saying which rule and why.
"""

# No `from __future__ import annotations` here: FastAPI reads the routes' `Annotated`
# dependencies at definition time, and they name locals of the router factory.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response

from flagpilot.api.admin.access import actor_of
from flagpilot.api.admin.rollout_bodies import Advance, NewRollout, Rollback, Transition
from flagpilot.api.admin.versions import etag, expected_version
from flagpilot.api.schemas import PROBLEM_RESPONSES, ValidationProblem, problem_doc
from flagpilot.api.security import require, require_all_organizations, scoped_environment
from flagpilot.api.serialisers import rollout_detail_json, rollout_json
from flagpilot.core import RolloutStatus
from flagpilot.services.auth import Authenticator, Principal, TokenKind
from flagpilot.services.clock import Clock, utc_now
from flagpilot.services.rollouts import RolloutManager, RolloutRecord

PATH = "/api/admin/rollout"
WRITERS = (TokenKind.ADMIN, TokenKind.EDITOR)
READERS = (*WRITERS, TokenKind.VIEWER)
HISTORY_LIMIT = 50

IfMatch = Annotated[str | None, Header(description='Alternative to `version`: `"3"`.')]


TRANSITIONS: tuple[tuple[str, type[Transition], str, str], ...] = (
    ("start", Transition, "Start a planned rollout (tier 1, 1%)", "planned → active at tier 1 (internal)."),
    (
        "advance",
        Advance,
        "Advance to the next tier",
        "The next tier, if dwell time, evidence and error rate allow; `force` with a reason skips them.",
    ),
    (
        "pause",
        Transition,
        "Pause an active rollout",
        "active → paused: the tier keeps serving, progress stops.",
    ),
    ("resume", Transition, "Resume a paused rollout", "paused → active at the same tier."),
    (
        "rollback",
        Rollback,
        "Roll back (tier 0, nobody)",
        "Any state → rolled_back at 0%, in every server within a second; the reason is required.",
    ),
    ("complete", Transition, "Complete a rollout at 100%", "active at tier 4 → completed: on for everyone."),
    ("restart", Transition, "Plan a rolled-back rollout again", "rolled_back → planned at tier 0."),
)
"""The transitions: verb (the `RolloutManager` method and the path), body, summary, description."""

WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: problem_doc("No such rollout, flag or environment."),
    409: problem_doc("Stale version, a closed gate, or a transition the state does not allow."),
    422: problem_doc("A field is missing or wrong; each is named.", ValidationProblem),
    **PROBLEM_RESPONSES,
}


def _tagged(response: Response, record: RolloutRecord) -> dict[str, Any]:
    response.headers["ETag"] = etag(record.version)
    return rollout_json(record)


def rollouts_router(
    manager: RolloutManager,
    authenticator: Authenticator,
    default_environment: str,
    clock: Clock = utc_now,
) -> APIRouter:
    """The rollout routes over `manager`, which also judges which flags and environments can roll out."""
    router = APIRouter(prefix=PATH, tags=["rollouts"])
    writer = Depends(require(authenticator, *WRITERS))
    reader = Depends(require(authenticator, *READERS))

    def environment_of(principal: Principal, requested: str | None) -> str:
        return scoped_environment(principal, requested, default_environment)

    @router.post(
        "",
        status_code=201,
        summary="Create a rollout",
        responses={**WRITE_RESPONSES, 409: problem_doc("The flag already has a rollout there.")},
    )
    def create(
        body: NewRollout, principal: Annotated[Principal, writer], response: Response
    ) -> dict[str, Any]:
        """A planned rollout at tier 0 (0%); start it to serve 1%."""
        require_all_organizations(principal)
        config = body.config()
        environment = environment_of(principal, body.environment)
        record = manager.create(
            body.feature_name, environment, config, actor=actor_of(principal), now=clock(), reason=body.reason
        )
        response.headers["Location"] = f"{PATH}/{record.feature_name}?environment={environment}"
        return _tagged(response, record)

    def transition(verb: str, model: type[Transition]) -> Callable[..., dict[str, Any]]:
        action = getattr(manager, verb)

        def endpoint(
            body: Transition,
            principal: Annotated[Principal, writer],
            response: Response,
            if_match: IfMatch = None,
        ) -> dict[str, Any]:
            require_all_organizations(principal)  # a rollout reaches every tenant
            expected = expected_version(if_match, body.version)
            extra: dict[str, Any] = {}
            if isinstance(body, Advance):
                extra = {"force": body.force, "from_tier": body.origin(expected)}
            record = action(
                body.feature_name,
                environment_of(principal, body.environment),
                actor=actor_of(principal),
                now=clock(),
                reason=body.reason,
                expected_version=expected,
                **extra,
            )
            return _tagged(response, record)

        endpoint.__annotations__["body"] = model  # FastAPI parses the body by this annotation
        return endpoint

    for verb, model, summary, description in TRANSITIONS:
        router.post(
            f"/{verb}", name=verb, summary=summary, description=description, responses=WRITE_RESPONSES
        )(transition(verb, model))

    @router.get("", summary="List rollouts", responses=PROBLEM_RESPONSES)
    def list_rollouts(
        principal: Annotated[Principal, reader],
        environment: Annotated[str | None, Query(description="Only this environment.")] = None,
        status: Annotated[list[RolloutStatus] | None, Query(description="Only these statuses.")] = None,
    ) -> list[dict[str, Any]]:
        """Rollouts by environment and flag; a token confined to an environment sees only that one."""
        scope = environment if principal.environment is None else environment_of(principal, environment)
        return [rollout_json(record) for record in manager.list_rollouts(scope, status)]

    @router.get(
        "/{feature_name}",
        summary="One rollout with its statistics and history",
        responses={404: problem_doc("No such rollout."), **PROBLEM_RESPONSES},
    )
    def show(
        feature_name: str,
        principal: Annotated[Principal, reader],
        response: Response,
        environment: Annotated[str | None, Query(description="Default: the server's.")] = None,
    ) -> dict[str, Any]:
        """The rollout, its window and tier statistics (treatment vs control, per minute), the gates
        an advance would meet now, and its recent transitions."""
        detail = manager.detail(
            feature_name, environment_of(principal, environment), now=clock(), history_limit=HISTORY_LIMIT
        )
        _tagged(response, detail.record)
        return rollout_detail_json(detail)

    return router
