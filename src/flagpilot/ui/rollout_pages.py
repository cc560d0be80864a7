"""The rollouts list and one rollout's page.

    GET /admin/rollouts                      every rollout, the create form, the preset button
    GET /admin/rollouts/{key}/{environment}  tiers, gates, transitions, statistics, events

The rollout page shows the five tiers with the current one marked, every closed gate with when
it opens (the same `closed_gates` an advance is refused by), the error rates per minute against
the threshold, the events counted, the automatic checker's verdict on the current numbers with
its evidence, and the rollout's event list.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from flagpilot.core import RolloutStatus
from flagpilot.core.tiers import TIER_ORDER, TIER_PERCENTAGES
from flagpilot.services.auth import EDITORS
from flagpilot.services.rollouts import closed_gates
from flagpilot.ui.chart import error_rate_chart
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import current_caller
from flagpilot.ui.web import UiRoute, render

TRANSITIONS = {
    RolloutStatus.PLANNED: ("start",),
    RolloutStatus.ACTIVE: ("advance", "pause", "rollback"),
    RolloutStatus.PAUSED: ("resume", "rollback"),
    RolloutStatus.COMPLETED: ("rollback",),
    RolloutStatus.ROLLED_BACK: ("restart",),
}
"""The buttons each status offers (the service still decides: e.g. complete at tier 4)."""
NOTICES = {verb: f"Done: {verb}." for verbs in TRANSITIONS.values() for verb in verbs}


def rollout_path(feature_name: str, environment: str) -> str:
    """The address of a rollout's page."""
    return f"/admin/rollouts/{feature_name}/{environment}"


def rollout_page(
    request: Request, services: UiServices, key: str, environment: str, *, error: str = "", status: int = 200
) -> Response:
    """One rollout's page, with `error` shown at its actions (e.g. a refused advance)."""
    caller = current_caller(request, services.users)
    now = services.clock()
    record = services.rollouts.get(key, environment)
    stats = services.rollouts.statistics(key, environment, now=now)
    checker = services.checker
    decision = None if checker is None else checker.judge(record, stats)
    evidence = None if decision is None else decision.evidence.to_dict()
    context = {
        "nav": "rollouts",
        "r": record,
        "tiers": [(tier, TIER_PERCENTAGES[tier]) for tier in TIER_ORDER],
        "gates": closed_gates(record, stats, now=now) if record.status is RolloutStatus.ACTIVE else [],
        "stats": stats,
        "chart": error_rate_chart(stats.series, record.error_rate_threshold),
        "decision": decision,
        "evidence": json.dumps(evidence, indent=2, default=str),
        "events": services.rollouts.history(key, environment, limit=50),
        "transitions": TRANSITIONS[record.status] if caller.may(EDITORS) else (),
        "here": rollout_path(key, environment),
        "notice": NOTICES.get(request.query_params.get("done", ""), ""),
        "error": error,
    }
    return render(request, "rollout.html", context, status)


def rollout_pages_router(services: UiServices) -> APIRouter:
    """The rollout pages."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)

    @router.get("/admin/rollouts")
    def rollouts(request: Request) -> Response:
        caller = current_caller(request, services.users)
        context = {
            "nav": "rollouts",
            "rollouts": services.rollouts.list_rollouts(),
            "environments": [env.name for env in services.flags.list_environments()],
            "flags": [view.key for view in services.flags.list_flags()],
            "can_edit": caller.may(EDITORS),
            "values": {},
            "errors": {},
        }
        return render(request, "rollouts.html", context)

    @router.get("/admin/rollouts/{key}/{environment}")
    def rollout(request: Request, key: str, environment: str) -> Response:
        return rollout_page(request, services, key, environment)

    return router
