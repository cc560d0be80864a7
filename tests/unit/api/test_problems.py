"""Every error a client can meet is application/problem+json, mapped in one table."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter

from flagpilot.api import PROBLEMS
from flagpilot.api.problem_titles import TITLES, title_of
from flagpilot.core import Problem
from flagpilot.services import errors
from flagpilot.services.users import TooManyAttempts
from tests.unit.api.conftest import AppFactory, Keys, bearer

pytestmark = pytest.mark.anyio

RAISED: dict[str, errors.ServiceError] = {
    "flag": errors.FlagNotFound("flag 'x' does not exist"),
    "invalid": errors.InvalidInput("bad flag", [Problem("x", "defaultValue", "must be a boolean")]),
    "version": errors.VersionConflict("stale write", current_version=12),
    "gate": errors.GateClosed("too early", gate="min_dwell", opens_at="2026-01-02T00:00:00Z"),
    "state": errors.RolloutStateError("rollout is paused"),
    "denied": errors.PermissionDenied("no"),
    "storage": errors.StorageUnavailable("database unreachable"),
    "contention": errors.WriteContention("a concurrent change aborted this one"),
    "bug": RuntimeError("a bug"),  # type: ignore[dict-item]
}


def raising_router() -> APIRouter:
    router = APIRouter()

    @router.get("/raise/{name}")
    async def raise_it(name: str) -> None:
        raise RAISED[name]

    return router


@pytest.fixture
async def raising(make_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(routers=[raising_router()]), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
        yield http


def problem(response: httpx.Response) -> dict[str, object]:
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == response.status_code
    return body


@pytest.mark.parametrize(
    ("name", "status", "kind"),
    [
        ("flag", 404, "flag-not-found"),
        ("invalid", 422, "invalid-input"),
        ("version", 409, "version-conflict"),
        ("gate", 409, "gate-closed"),
        ("state", 409, "illegal-transition"),
        ("denied", 403, "permission-denied"),
        ("storage", 503, "storage-unavailable"),
        ("contention", 503, "write-contention"),
        ("bug", 500, "internal-error"),
    ],
)
async def test_service_error__maps_to_its_status_and_type(
    raising: httpx.AsyncClient, name: str, status: int, kind: str
) -> None:
    response = await raising.get(f"/raise/{name}")

    assert response.status_code == status
    assert problem(response)["type"] == f"urn:flagpilot:problem:{kind}"


async def test_invalid_input__names_each_bad_field(raising: httpx.AsyncClient) -> None:
    body = problem(await raising.get("/raise/invalid"))

    assert body["errors"] == [{"field": "x.defaultValue", "message": "must be a boolean"}]


async def test_conflicts__carry_what_the_client_needs_to_retry(raising: httpx.AsyncClient) -> None:
    assert problem(await raising.get("/raise/version"))["currentVersion"] == 12
    assert problem(await raising.get("/raise/gate"))["opensAt"] == "2026-01-02T00:00:00Z"


async def test_write_contention__says_when_to_send_the_same_request_again(raising: httpx.AsyncClient) -> None:
    response = await raising.get("/raise/contention")

    assert response.headers["retry-after"] == "1"


async def test_unexpected_error__leaks_nothing(raising: httpx.AsyncClient) -> None:
    body = problem(await raising.get("/raise/bug"))

    assert "a bug" not in str(body)


def test_table__maps_every_service_error_class() -> None:
    classes = {
        cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.ServiceError)
    }

    assert classes <= set(PROBLEMS)


async def test_unknown_route__is_a_404_problem(client: httpx.AsyncClient) -> None:
    assert problem(await client.get("/no/such/route"))["type"] == "urn:flagpilot:problem:not-found"


async def test_wrong_method__is_a_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")

    assert problem(response)["status"] == 405
    assert response.headers["allow"] == "GET"


async def test_bad_query__is_a_422_problem_naming_the_field(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.get("/api/widget/config", params={"customerId": "x" * 300, "key": keys.client})

    body = problem(response)
    assert response.status_code == 422
    assert body["errors"] == [
        {"field": "query.customerId", "message": "String should have at most 256 characters"}
    ]


async def test_bad_body__is_a_422_problem_naming_the_field(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post("/api/admin/tokens", json={"kind": "wizard"}, headers=bearer(keys.admin))

    fields = {error["field"] for error in problem(response)["errors"]}  # type: ignore[attr-defined]
    assert fields == {"body.kind", "body.name"}


async def test_declared_body_over_the_limit__is_413_before_reading(make_app: AppFactory, keys: Keys) -> None:
    transport = httpx.ASGITransport(app=make_app(max_body_bytes=100))
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
        response = await http.post(
            "/ofrep/v1/evaluate/flags", content=b" " * 101, headers=bearer(keys.client)
        )

    assert problem(response)["type"] == "urn:flagpilot:problem:payload-too-large"


async def test_streamed_body_over_the_limit__is_413(make_app: AppFactory, keys: Keys) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b" " * 40

    transport = httpx.ASGITransport(app=make_app(max_body_bytes=100))
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
        response = await http.post("/ofrep/v1/evaluate/flags", content=chunks(), headers=bearer(keys.client))

    assert response.status_code == 413
    assert problem(response)["status"] == 413


async def test_streamed_body_over_the_limit__to_a_model_route__is_413(
    make_app: AppFactory, keys: Keys
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"kind": "admin", "name": "'
        yield b"x" * 200
        yield b'"}'

    transport = httpx.ASGITransport(app=make_app(max_body_bytes=100))
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
        response = await http.post(
            "/api/admin/tokens",
            content=chunks(),
            headers={**bearer(keys.admin), "content-type": "application/json"},
        )

    assert response.status_code == 413


async def test_unreadable_content_length__is_413(make_app: AppFactory, keys: Keys) -> None:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
        response = await http.post(
            "/ofrep/v1/evaluate/flags",
            content=b"{}",
            headers={**bearer(keys.client), "content-length": "lots"},
        )

    assert response.status_code == 413


def test_problem_titles__are_the_apis_words_for_every_service_error__the_most_specific_first() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.ServiceError)]

    assert set(classes) <= set(TITLES)
    assert title_of(errors.FlagNotFound("flag 'x' does not exist")) == "Flag not found"
    assert title_of(TooManyAttempts("wait", retry_after=3)) == "Too many login attempts"
    assert not any(hasattr(c, "title") for c in classes)  # what an error is called is not the service's
