"""The hot routes answered in one layer answer exactly as through the framework's middleware.

Each request is sent twice: to the app as built (the hot routes answered by `FastPaths`) and to
the same app with the dispatcher switched off, where the same handlers are reached through
observation, CORS, the body limit, text hygiene and FastAPI's router. Status, headers (but the
date and the made request id) and body must be equal, and both must be measured alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from flagpilot.api.app import ServingApp
from flagpilot.api.metrics import UNMATCHED_ROUTE
from flagpilot.services.snapshots import StaticSnapshotProvider
from tests.unit.api.conftest import AppFactory, Keys, bearer

pytestmark = pytest.mark.anyio


async def _answers(app: FastAPI, send: Callable[[httpx.AsyncClient], object]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
        response = await send(http)  # type: ignore[misc]
        assert isinstance(response, httpx.Response)
        return response


def _comparable(response: httpx.Response, made_id: bool) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name != "date" and not (made_id and name == "x-request-id")
    ]
    return response.status_code, sorted(headers), response.content


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 1000):
        yield b" " * 1000


CASES: dict[str, Callable[[httpx.AsyncClient, Keys], object]] = {
    "widget": lambda http, keys: http.get(f"/api/widget/config?key={keys.client}&customerId=c-1"),
    "widget from a page": lambda http, keys: http.get(
        "/api/widget/config",
        params={"customerId": "c-2"},
        headers={**bearer(keys.client), "Origin": "https://a.example"},
    ),
    "widget, caller's request id": lambda http, keys: http.get(
        f"/api/widget/config?key={keys.client}", headers={"X-Request-ID": "trace-17"}
    ),
    "widget, no key": lambda http, keys: http.get("/api/widget/config?customerId=c-1"),
    "widget, admin key in the URL": lambda http, keys: http.get(f"/api/widget/config?key={keys.admin}"),
    "widget, NUL in the query": lambda http, keys: http.get(
        f"/api/widget/config?key={keys.client}&customerId=a%00b"
    ),
    "widget, over-long id": lambda http, keys: http.get(
        f"/api/widget/config?key={keys.client}&customerId={'x' * 300}"
    ),
    "widget, unknown environment": lambda http, keys: http.get(
        f"/api/widget/config?key={keys.client}&environment=nope"
    ),
    "ofrep single": lambda http, keys: http.post(
        "/ofrep/v1/evaluate/flags/phase2_enhanced_storage",
        json={"context": {"targetingKey": "vip"}},
        headers=bearer(keys.server),
    ),
    "ofrep single, unknown flag": lambda http, keys: http.post(
        "/ofrep/v1/evaluate/flags/nope", json={"context": {}}, headers=bearer(keys.server)
    ),
    "ofrep bulk": lambda http, keys: http.post(
        "/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "c-3"}}, headers=bearer(keys.client)
    ),
    "ofrep bulk, NUL in the body": lambda http, keys: http.post(
        "/ofrep/v1/evaluate/flags",
        content=b'{"context": {"targetingKey": "a\\u0000b"}}',
        headers={**bearer(keys.client), "content-type": "application/json"},
    ),
    "ofrep bulk, declared body too large": lambda http, keys: http.post(
        "/ofrep/v1/evaluate/flags", content=b" " * 5000, headers=bearer(keys.client)
    ),
    "ofrep bulk, streamed body too large": lambda http, keys: http.post(
        "/ofrep/v1/evaluate/flags", content=_chunks(5000), headers=bearer(keys.client)
    ),
    "ofrep bulk, not JSON": lambda http, keys: http.post(
        "/ofrep/v1/evaluate/flags", content=b"{", headers=bearer(keys.client)
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_hot_route__answers_as_through_the_middleware(
    make_app: AppFactory, keys: Keys, case: str
) -> None:
    fast = make_app(max_body_bytes=4000)
    framework = make_app(max_body_bytes=4000)
    assert isinstance(framework, ServingApp)
    framework.fast_paths = None

    def send(http: httpx.AsyncClient) -> object:
        return CASES[case](http, keys)

    answered, expected = await _answers(fast, send), await _answers(framework, send)

    made_id = "request id" not in case
    assert _comparable(answered, made_id) == _comparable(expected, made_id)
    assert answered.headers["x-request-id"]
    if not made_id:
        assert answered.headers["x-request-id"] == "trace-17"
    # Counted alike; a request refused before routing is "(unmatched)" behind the middleware,
    # while the one layer knows its route.
    ((route, *counted),) = _samples(fast)
    ((framework_route, *framework_counted),) = _samples(framework)
    assert counted == framework_counted
    assert route == (framework_route if framework_route != UNMATCHED_ROUTE else route)
    assert route in ("/api/widget/config", "/ofrep/v1/evaluate/flags", "/ofrep/v1/evaluate/flags/{key}")


def _samples(app: FastAPI) -> list[tuple[str, str, str, float]]:
    """The request counter's samples of an app's metrics: route, method, status, count."""
    found = []
    for family in app.state.metrics.registry.collect():
        if family.name == "flagpilot_http_requests":
            found.extend(
                (s.labels["route"], s.labels["method"], s.labels["status"], s.value)
                for s in family.samples
                if s.name.endswith("_total")
            )
    return found


async def test_hot_route__an_unexpected_error__is_a_500_problem_and_counted(
    make_app: AppFactory, keys: Keys
) -> None:
    class Broken(StaticSnapshotProvider):
        def get(self, environment: str) -> object:  # type: ignore[override]
            raise RuntimeError("the snapshot store broke")

    app = make_app(snapshots=Broken({}))

    answered = await _answers(app, lambda http: http.get(f"/api/widget/config?key={keys.client}"))

    assert answered.status_code == 500
    assert answered.headers["content-type"] == "application/problem+json"
    assert answered.json()["type"].endswith("internal-error")
    assert answered.headers["vary"] == "Origin"
    assert _samples(app) == [("/api/widget/config", "GET", "500", 1.0)]
