"""/api/admin/rollout, /api/events and /api/admin/alerts over the in-memory rollout store.

The checklist's own request bodies are sent exactly as written; every refusal is a problem
document naming the field, the gate or the rule.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from flagpilot.api.admin.alerts import alerts_router
from flagpilot.api.admin.rollouts import rollouts_router
from flagpilot.api.events import events_router
from flagpilot.core import FlagDefinition, FlagType
from flagpilot.services.auth import TokenKind
from flagpilot.services.rollouts import (
    Alert,
    InMemoryAlerts,
    OutcomeAggregator,
    RolloutManager,
    Severity,
)
from flagpilot.services.snapshots import StaticSnapshotProvider
from flagpilot.services.tokens import TokenService
from tests.fakes.rollouts import InMemoryRolloutStore
from tests.unit.api.conftest import AppFactory, Keys, bearer

pytestmark = pytest.mark.anyio

PATH = "/api/admin/rollout"
FLAG = "phase2_enhanced_storage"
CHECKLIST_BODIES: list[dict[str, Any]] = [
    {
        "featureName": "phase2_enhanced_storage",
        "whitelistedCustomers": ["YOUR_INTERNAL_CUSTOMER_ID"],
        "rollbackThreshold": {"errorRate": 0.05, "timeWindow": 3600000},
    },
    *(
        {"featureName": name, "whitelistedCustomers": ["YOUR_INTERNAL_CUSTOMER_ID"]}
        for name in (
            "phase2_connection_monitoring",
            "phase2_retry_logic",
            "phase3_tab_sync",
            "phase3_performance_mode",
            "phase3_analytics",
        )
    ),
]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rig:
    """The app's rollout parts, for looking behind the HTTP answers."""

    http: httpx.AsyncClient
    store: InMemoryRolloutStore
    manager: RolloutManager
    aggregator: OutcomeAggregator
    alerts: InMemoryAlerts
    clock: Clock
    editor: str

    async def create(self, body: dict[str, Any] | None = None, key: str | None = None) -> httpx.Response:
        return await self.http.post(
            PATH, json=body or {"featureName": FLAG, "minEvents": 10}, headers=bearer(key or self.editor)
        )

    async def act(
        self, verb: str, body: dict[str, Any], key: str | None = None, **headers: str
    ) -> httpx.Response:
        return await self.http.post(
            f"{PATH}/{verb}", json=body, headers={**bearer(key or self.editor), **headers}
        )


@pytest.fixture
async def rig(
    make_app: AppFactory, tokens: TokenService, snapshots: StaticSnapshotProvider
) -> AsyncIterator[Rig]:
    store = InMemoryRolloutStore()
    manager = RolloutManager(store)
    aggregator = OutcomeAggregator(store)
    alerts = InMemoryAlerts()
    clock = Clock()
    routers = [
        rollouts_router(manager, tokens, "production", clock),
        events_router(aggregator, tokens, snapshots, "production", clock),
        alerts_router(alerts, tokens),
    ]
    editor = tokens.create(TokenKind.EDITOR, None, None, "test editor", "tests")[1]
    transport = httpx.ASGITransport(app=make_app(routers=routers))
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
        yield Rig(http, store, manager, aggregator, alerts, clock, editor)


def _fields(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


async def test_create__the_checklists_six_bodies__make_six_planned_rollouts_at_zero(rig: Rig) -> None:
    responses = [await rig.create(body) for body in CHECKLIST_BODIES]

    assert [r.status_code for r in responses] == [201] * 6
    listed = (await rig.http.get(PATH, headers=bearer(rig.editor))).json()
    assert sorted(
        (r["featureName"], r["currentTier"], r["percentage"], r["status"]) for r in listed
    ) == sorted((body["featureName"], "tier_0_disabled", 0.0, "planned") for body in CHECKLIST_BODIES)
    first = responses[0].json()
    assert first["environment"] == "production"
    assert first["rollbackThreshold"] == {"errorRate": 0.05, "timeWindow": 3600000}
    assert first["whitelistedCustomers"] == ["YOUR_INTERNAL_CUSTOMER_ID"]
    assert responses[0].headers["ETag"] == '"1"'


async def test_create__with_dwell_in_hours__stores_it_in_seconds(rig: Rig) -> None:
    response = await rig.create({"featureName": FLAG, "minDwellHours": 1.5, "environment": "staging"})

    assert response.status_code == 201
    assert (response.json()["minDwellSeconds"], response.json()["environment"]) == (5400, "staging")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"featureName": FLAG, "rollbackThreshold": {"errorRate": 1.5}}, "body.rollbackThreshold.errorRate"),
        ({"featureName": FLAG, "rollbackThreshold": {"timeWindow": 0}}, "body.rollbackThreshold.timeWindow"),
        ({"featureName": FLAG, "whitelistedCustomer": ["x"]}, "body.whitelistedCustomer"),
        ({"featureName": FLAG, "whitelistedCustomers": ["a", "a"]}, "body.whitelistedCustomers[1]"),
        ({"featureName": FLAG, "minEvents": 0}, "body.minEvents"),
        ({"whitelistedCustomers": []}, "body.featureName"),
    ],
)
async def test_create__with_a_bad_field__is_422_naming_it(rig: Rig, body: dict[str, Any], field: str) -> None:
    response = await rig.create(body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in _fields(response)


async def test_create__for_an_unknown_flag_or_environment__is_404(rig: Rig) -> None:
    flag = await rig.create({"featureName": "no_such_flag"})
    environment = await rig.create({"featureName": FLAG, "environment": "nowhere"})

    assert (flag.status_code, environment.status_code) == (404, 404)
    assert flag.json()["type"] == "urn:flagpilot:problem:flag-not-found"


async def test_create__of_a_flag_that_is_not_boolean__is_422_naming_feature_name(
    make_app: AppFactory, tokens: TokenService
) -> None:
    banner = FlagDefinition(key="banner_text", type=FlagType.STRING, default="hi")
    store = InMemoryRolloutStore(flags=[banner], environments=["production"])
    editor = tokens.create(TokenKind.EDITOR, None, None, "test editor", "tests")[1]
    app = make_app(routers=[rollouts_router(RolloutManager(store), tokens, "production", Clock())])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.post(PATH, json={"featureName": "banner_text"}, headers=bearer(editor))

    assert response.status_code == 422
    assert _fields(response) == ["banner_text.featureName"]
    assert "boolean" in response.json()["detail"]
    assert store.rollouts == {}


async def test_create__twice__is_409_already_exists(rig: Rig) -> None:
    await rig.create()
    again = await rig.create()

    assert again.status_code == 409
    assert again.json()["type"] == "urn:flagpilot:problem:already-exists"


async def test_writes__without_a_token__are_401_and_with_a_viewer_or_sdk_token__403(
    rig: Rig, keys: Keys
) -> None:
    anonymous = await rig.http.post(PATH, json={"featureName": FLAG})
    viewer = await rig.create(key=keys.viewer)
    server = await rig.act("rollback", {"featureName": FLAG, "reason": "x"}, key=keys.server)

    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert (viewer.status_code, server.status_code) == (403, 403)


async def test_advance__inside_the_dwell_time__is_409_naming_the_gate_and_when_it_opens(rig: Rig) -> None:
    await rig.create()
    await rig.act("start", {"featureName": FLAG})

    refused = await rig.act("advance", {"featureName": FLAG, "fromTier": "tier_1_internal"})

    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"] == "urn:flagpilot:problem:gate-closed"
    assert problem["gate"] == "min_dwell"
    assert problem["opensAt"] == (rig.clock.now + timedelta(hours=48)).isoformat()


async def test_advance__forced__needs_a_reason_and_then_moves_one_tier(rig: Rig) -> None:
    await rig.create()
    await rig.act("start", {"featureName": FLAG})

    origin = {"featureName": FLAG, "fromTier": "tier_1_internal"}
    unexplained = await rig.act("advance", {**origin, "force": True})
    forced = await rig.act("advance", {**origin, "force": True, "reason": "pilot go-ahead"})

    assert unexplained.status_code == 422
    assert "phase2_enhanced_storage.reason" in _fields(unexplained)
    assert forced.status_code == 200
    assert (forced.json()["currentTier"], forced.json()["percentage"]) == ("tier_2_early_adopters", 10.0)


async def test_advance__naming_no_origin__is_422_asking_for_from_tier(rig: Rig) -> None:
    await rig.create()
    await rig.act("start", {"featureName": FLAG})

    unnamed = await rig.act("advance", {"featureName": FLAG, "force": True, "reason": "go"})

    assert unnamed.status_code == 422
    assert "body.fromTier" in _fields(unnamed)


async def test_advance__repeated_from_the_same_tier__moves_one_tier_and_then_409s(rig: Rig) -> None:
    await rig.create()
    await rig.act("start", {"featureName": FLAG})
    body = {"featureName": FLAG, "fromTier": "tier_1_internal", "force": True, "reason": "go"}

    first = await rig.act("advance", body)
    again = await rig.act("advance", body)

    assert first.status_code == 200
    assert first.json()["currentTier"] == "tier_2_early_adopters"
    assert again.status_code == 409
    assert again.json()["type"] == "urn:flagpilot:problem:version-conflict"


async def test_lifecycle__through_every_verb__ends_planned_again_with_its_history(rig: Rig) -> None:
    await rig.create()
    steps = [
        ("start", {}),
        ("pause", {}),
        ("resume", {}),
        ("rollback", {"reason": "Critical bug: [describe issue]"}),
        ("restart", {}),
    ]
    statuses = []
    for verb, extra in steps:
        response = await rig.act(verb, {"featureName": FLAG, **extra})
        assert response.status_code == 200, response.text
        statuses.append(response.json()["status"])

    detail = (await rig.http.get(f"{PATH}/{FLAG}", headers=bearer(rig.editor))).json()

    assert statuses == ["active", "paused", "active", "rolled_back", "planned"]
    assert [e["eventType"] for e in detail["events"]] == [
        "restarted",
        "rolled_back",
        "resumed",
        "paused",
        "started",
        "created",
    ]


async def test_complete__below_tier_4__is_409_saying_why(rig: Rig) -> None:
    await rig.create()
    await rig.act("start", {"featureName": FLAG})

    refused = await rig.act("complete", {"featureName": FLAG})
    paused_twice = [await rig.act("pause", {"featureName": FLAG}) for _ in range(2)][1]

    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:flagpilot:problem:illegal-transition"
    assert "tier_4_full" in refused.json()["detail"]
    assert paused_twice.status_code == 409


async def test_writes__at_a_stale_version__are_409_with_the_current_one(rig: Rig) -> None:
    created = await rig.create()
    await rig.act("start", {"featureName": FLAG})

    by_body = await rig.act("pause", {"featureName": FLAG, "version": 1})
    by_header = await rig.act("pause", {"featureName": FLAG}, **{"If-Match": created.headers["ETag"]})
    current = await rig.act("pause", {"featureName": FLAG}, **{"If-Match": '"2"'})

    assert (by_body.status_code, by_header.status_code) == (409, 409)
    assert by_body.json()["currentVersion"] == 2
    assert current.status_code == 200
    assert current.headers["ETag"] == '"3"'


async def test_rollback__without_a_reason_or_of_an_unknown_rollout__is_422_or_404(rig: Rig) -> None:
    await rig.create()

    unexplained = await rig.act("rollback", {"featureName": FLAG})
    unknown = await rig.act("rollback", {"featureName": "phase3_tab_sync", "reason": "x"})

    assert unexplained.status_code == 422
    assert "body.reason" in _fields(unexplained)
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "urn:flagpilot:problem:rollout-not-found"


async def test_show__has_statistics_from_reported_events_and_the_closed_gates(rig: Rig, keys: Keys) -> None:
    await rig.create({"featureName": FLAG, "whitelistedCustomers": ["staff-1"], "minEvents": 10})
    await rig.act("start", {"featureName": FLAG})
    rig.aggregator.set_rollouts("production", rig.manager.list_rollouts())
    batch = [
        {"featureName": FLAG, "customerId": "staff-1", "outcome": "success", "count": 6},
        {"featureName": FLAG, "customerId": "staff-1", "outcome": "error", "count": 2},
        {"featureName": "phase3_tab_sync", "customerId": "staff-1", "outcome": "error"},
    ]

    reported = await rig.http.post("/api/events", json=batch, headers=bearer(keys.client))
    rig.aggregator.flush(rig.clock.now)
    shown = await rig.http.get(f"{PATH}/{FLAG}", headers=bearer(keys.viewer))

    assert (reported.status_code, reported.json()) == (202, {"accepted": 2, "ignored": 1, "rejected": 0})
    treatment = shown.json()["statistics"]["window"]["treatment"]
    assert treatment == {"exposures": 8, "successes": 6, "errors": 2, "errorRate": 0.25, "successRate": 0.75}
    assert shown.json()["statistics"]["series"][0]["treatment"]["errors"] == 2
    assert {gate["gate"] for gate in shown.json()["closedGates"]} == {"min_dwell", "min_events", "error_rate"}


async def test_show__of_an_unknown_rollout__is_404(rig: Rig) -> None:
    response = await rig.http.get(f"{PATH}/{FLAG}", headers=bearer(rig.editor))

    assert response.status_code == 404


async def test_events__with_malformed_items__are_422_naming_each_and_count_nothing(
    rig: Rig, keys: Keys
) -> None:
    await rig.create()
    await rig.act("start", {"featureName": FLAG})
    rig.aggregator.set_rollouts("production", rig.manager.list_rollouts())
    batch = [
        {"featureName": FLAG, "customerId": "c-1", "outcome": "success"},
        {"featureName": FLAG, "customerId": "c-1", "outcome": "crashed"},
        {"featureName": FLAG, "outcome": "error", "count": 0},
    ]

    response = await rig.http.post("/api/events", json=batch, headers=bearer(keys.server))

    assert response.status_code == 422
    assert _fields(response) == ["body.1.outcome", "body.2.customerId", "body.2.count"]
    assert rig.aggregator.pending() == 0


@pytest.mark.parametrize("body", [b"not json", b"{}", b"[]"])
async def test_events__that_are_no_list_of_events__are_422(rig: Rig, keys: Keys, body: bytes) -> None:
    response = await rig.http.post("/api/events", content=body, headers=bearer(keys.server))

    assert response.status_code == 422
    assert _fields(response) == ["body.events"]


async def test_events__need_an_sdk_token(rig: Rig, keys: Keys) -> None:
    batch = [{"featureName": FLAG, "customerId": "c-1", "outcome": "success"}]

    anonymous = await rig.http.post("/api/events", json=batch)
    viewer = await rig.http.post("/api/events", json=batch, headers=bearer(keys.viewer))

    assert (anonymous.status_code, viewer.status_code) == (401, 403)


async def test_alerts__list_the_newest_first_for_readers_only(rig: Rig, keys: Keys) -> None:
    for version in (2, 3):
        rig.alerts.emit(
            Alert(
                "rollout.auto_rollback",
                Severity.CRITICAL,
                FLAG,
                "production",
                "rolled back",
                rig.clock.now,
                version,
            )
        )

    listed = await rig.http.get("/api/admin/alerts", headers=bearer(keys.viewer))
    refused = await rig.http.get("/api/admin/alerts", headers=bearer(keys.client))

    assert [alert["version"] for alert in listed.json()] == [3, 2]
    assert listed.json()[0]["id"] == f"production/{FLAG}/v3/rollout.auto_rollback"
    assert refused.status_code == 403


@pytest.mark.parametrize("verb", ["create", "start"])
async def test_rollout_writes__by_an_organization_confined_editor__are_403(
    rig: Rig, tokens: TokenService, verb: str
) -> None:
    # Given a rollout created with an unconfined editor, and an editor confined to one tenant
    await rig.create()
    tenant_editor = tokens.create(TokenKind.EDITOR, "org-a", None, "tenant editor", "tests")[1]

    # When the tenant's editor tries to change what every tenant is served
    if verb == "create":
        response = await rig.create({"featureName": "phase3_analytics"}, key=tenant_editor)
    else:
        response = await rig.act(verb, {"featureName": FLAG}, key=tenant_editor)

    # Then it is refused and nothing changed
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert rig.manager.get(FLAG, "production").status.value == "planned"


async def test_alerts__for_an_environment_confined_token__are_its_environments_and_another_is_a_404(
    rig: Rig, tokens: TokenService
) -> None:
    # Given alerts in staging and in production, and a viewer confined to staging
    for environment in ("staging", "production"):
        rig.alerts.emit(
            Alert(
                "rollout.auto_rollback", Severity.CRITICAL, FLAG, environment, "rolled back", rig.clock.now, 2
            )
        )
    staging_viewer = tokens.create(TokenKind.VIEWER, None, "staging", "staging viewer", "tests")[1]

    # When it lists alerts, of its own environment, of another and of one that does not exist
    own = await rig.http.get("/api/admin/alerts", headers=bearer(staging_viewer))
    named_own = await rig.http.get(
        "/api/admin/alerts", params={"environment": "staging"}, headers=bearer(staging_viewer)
    )
    other = await rig.http.get(
        "/api/admin/alerts", params={"environment": "production"}, headers=bearer(staging_viewer)
    )
    unknown = await rig.http.get(
        "/api/admin/alerts", params={"environment": "nowhere"}, headers=bearer(staging_viewer)
    )

    # Then it sees only staging's, and another environment looks exactly like a missing one
    assert own.status_code == named_own.status_code == 200
    assert [alert["environment"] for alert in own.json()] == ["staging"]
    assert own.json() == named_own.json()
    assert other.status_code == unknown.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.text.replace("production", "nowhere") == unknown.text


async def test_events__for_an_unknown_environment__are_a_404_problem(rig: Rig, keys: Keys) -> None:
    batch = [{"featureName": FLAG, "customerId": "c-1", "outcome": "error"}]

    response = await rig.http.post("/api/events?environment=prod", json=batch, headers=bearer(keys.server))

    assert response.status_code == 404
    assert response.json()["type"] == "urn:flagpilot:problem:environment-not-found"
    assert "'prod'" in response.json()["detail"]


async def test_events__a_batch_of_5000__is_counted_and_a_larger_body_names_the_routes_limit(
    rig: Rig, keys: Keys
) -> None:
    # Given a serving rollout
    await rig.create()
    await rig.act("start", {"featureName": FLAG})
    rig.aggregator.set_rollouts("production", rig.manager.list_rollouts())
    event = {"featureName": FLAG, "customerId": "c" * 256, "outcome": "success", "count": 10_000}

    # When the documented maximum of 5,000 events with long ids is sent, and then a body past it
    full = await rig.http.post("/api/events", json=[event] * 5_000, headers=bearer(keys.server))
    huge = await rig.http.post(
        "/api/events", content=b"[" + b" " * (4 * 1024 * 1024) + b"]", headers=bearer(keys.server)
    )

    # Then the first is counted whole, and the second is a 413 naming the route and its limit
    assert (full.status_code, full.json()["accepted"]) == (202, 5_000)
    assert huge.status_code == 413
    assert "4,194,304 bytes, the limit of POST /api/events (room for 5,000 events)" in huge.json()["detail"]
