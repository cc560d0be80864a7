"""The rollouts list and one rollout's page.

    GET /admin/rollouts                      every rollout, the create form, the preset button
    GET /admin/rollouts/{key}/{environment}  tiers, gates, transitions, statistics, events

The rollout page shows the five tiers with the current one marked, every closed gate with when
it opens (the same `closed_gates` an advance is refused by), the error rates per minute against
the threshold, the events counted, the automatic checker's verdict on the current numbers with
its evidence, and the rollout's event list.

While the database is unreachable both pages render from the last good read (`rollout_memory`)
with the outage banner, say when that read was taken, and offer no control: a write would be
refused anyway. A rollout no page has read yet is the 503 page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from flagpilot.core import RolloutStatus
from flagpilot.core.tiers import TIER_ORDER, TIER_PERCENTAGES
from flagpilot.services.audit_payloads import evidence_payload
from flagpilot.services.auth import EDITORS
from flagpilot.services.errors import StorageUnavailable
from flagpilot.services.rollouts import RolloutEventRecord, RolloutRecord, RolloutStatistics, closed_gates
from flagpilot.ui.chart import error_rate_chart
from flagpilot.ui.services import UiServices
from flagpilot.ui.sessions import current_caller
from flagpilot.ui.web import DATABASE_DOWN, UiRoute, database_answered, render

TRANSITIONS = {
    RolloutStatus.PLANNED: ("start",),
    RolloutStatus.ACTIVE: ("advance", "pause", "rollback"),
    RolloutStatus.PAUSED: ("resume", "rollback"),
    RolloutStatus.COMPLETED: ("rollback",),
    RolloutStatus.ROLLED_BACK: ("restart",),
}
"""The buttons each status offers (the service still decides: e.g. complete at tier 4)."""
NOTICES = {verb: f"Done: {verb}." for verbs in TRANSITIONS.values() for verb in verbs}
LIST_DEFAULTS: dict[str, object] = {
    "nav": "rollouts",
    "environments": [],
    "flags": [],
    "values": {},
    "errors": {},
    "read_at": None,
}


def rollout_path(feature_name: str, environment: str) -> str:
    """The address of a rollout's page."""
    return f"/admin/rollouts/{feature_name}/{environment}"


def rollout_page(
    request: Request, services: UiServices, key: str, environment: str, *, error: str = "", status: int = 200
) -> Response:
    """One rollout's page, with `error` shown at its actions (e.g. a refused advance)."""
    caller = current_caller(request, services.users)
    now = services.clock()
    memory = services.rollout_memory
    try:
        record = services.rollouts.get(key, environment)
        stats = services.rollouts.statistics(key, environment, now=now)
        events = services.rollouts.history(key, environment, limit=50)
    except StorageUnavailable:
        remembered = memory.get(key, environment)
        if remembered is None:
            raise
        request.state.ui_banner = DATABASE_DOWN
        context = page_context(remembered.record, remembered.statistics, remembered.events, services, now)
        return render(request, "rollout.html", {**context, "read_at": remembered.read_at}, status)
    database_answered(request)
    memory.remember_page(record, stats, events, now)
    context = page_context(record, stats, events, services, now)
    transitions = TRANSITIONS[record.status] if caller.may(EDITORS) else ()
    context |= {
        "transitions": transitions,
        "notice": NOTICES.get(request.query_params.get("done", ""), ""),
        "error": error,
    }
    return render(request, "rollout.html", context, status)


def page_context(
    record: RolloutRecord,
    stats: RolloutStatistics | None,
    events: Sequence[RolloutEventRecord] | None,
    services: UiServices,
    now: datetime,
) -> dict[str, object]:
    """What the rollout page shows of `record`; `stats` and `events` are None when unknown (an
    outage before the page was read), and then so are the gates, the chart and the verdict."""
    checker = services.checker
    decision = None if checker is None or stats is None else checker.judge(record, stats)
    evidence = None if decision is None else evidence_payload(decision.evidence)
    active = record.status is RolloutStatus.ACTIVE
    return {
        "nav": "rollouts",
        "r": record,
        "tiers": [(tier, TIER_PERCENTAGES[tier]) for tier in TIER_ORDER],
        "gates": closed_gates(record, stats, now=now) if active and stats is not None else [],
        "stats": stats,
        "chart": None if stats is None else error_rate_chart(stats.series, record.error_rate_threshold),
        "decision": decision,
        "evidence": json.dumps(evidence, indent=2, default=str),
        "events": events,
        "transitions": (),
        "here": rollout_path(record.feature_name, record.environment),
        "notice": "",
        "error": "",
        "read_at": None,
    }


def rollout_pages_router(services: UiServices) -> APIRouter:
    """The rollout pages."""
    router = APIRouter(route_class=UiRoute, include_in_schema=False)

    @router.get("/admin/rollouts")
    def rollouts(request: Request) -> Response:
        caller = current_caller(request, services.users)
        memory = services.rollout_memory
        try:
            listed = services.rollouts.list_rollouts()
            environments = [env.name for env in services.flags.list_environments()]
            flags = [view.key for view in services.flags.list_flags()]
        except StorageUnavailable:
            listed_at = memory.listed_at()
            if listed_at is None:
                raise
            request.state.ui_banner = DATABASE_DOWN
            context = {"rollouts": memory.records(), "can_edit": False, "read_at": listed_at}
            return render(request, "rollouts.html", {**LIST_DEFAULTS, **context})
        database_answered(request)
        memory.remember_records(listed, services.clock())
        context = {
            "rollouts": listed,
            "environments": environments,
            "flags": flags,
            "can_edit": caller.may(EDITORS),
        }
        return render(request, "rollouts.html", {**LIST_DEFAULTS, **context})

    @router.get("/admin/rollouts/{key}/{environment}")
    def rollout(request: Request, key: str, environment: str) -> Response:
        return rollout_page(request, services, key, environment)

    return router
