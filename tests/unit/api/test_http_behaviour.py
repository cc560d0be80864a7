"""Cross-cutting behaviour: request ids, CORS (any origin on the public routes), the OpenAPI document."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.api.conftest import AppFactory, Keys

pytestmark = pytest.mark.anyio

ORIGIN = "https://shop.example"


async def request(
    app_factory: AppFactory, method: str, path: str, *, origins: tuple[str, ...] = (), **kwargs: object
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app_factory(cors_origins=list(origins)))
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as http:
        return await http.request(method, path, **kwargs)  # type: ignore[arg-type]


async def test_request_id__from_the_caller__is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "trace-42"})

    assert response.headers["x-request-id"] == "trace-42"


async def test_request_id__missing_or_malformed__is_generated(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})

    assert len(first.headers["x-request-id"]) == 24
    assert first.headers["x-request-id"] != second.headers["x-request-id"] != "bad id\twith spaces"


async def test_cors__widget_by_default__answers_any_origin_and_exposes_the_etag(
    make_app: AppFactory, keys: Keys
) -> None:
    response = await request(
        make_app, "GET", "/api/widget/config", params={"key": keys.client}, headers={"Origin": ORIGIN}
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "ETag" in response.headers["access-control-expose-headers"]


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/ofrep/v1/evaluate/flags", "POST"),
        ("/ofrep/v1/evaluate/flags/phase1_auto_restore", "POST"),
        ("/api/widget/config", "GET"),
        ("/api/events", "POST"),
    ],
)
async def test_cors__preflight_on_a_public_route__is_answered_for_any_origin(
    make_app: AppFactory, path: str, method: str
) -> None:
    response = await request(
        make_app,
        "OPTIONS",
        path,
        headers={
            "Origin": "https://any-customer.example",
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in response.headers["access-control-allow-headers"]


async def test_cors__admin_routes__by_default_answer_no_cross_origin_request(
    make_app: AppFactory, keys: Keys
) -> None:
    response = await request(
        make_app,
        "GET",
        "/api/admin/tokens",
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {keys.admin}"},
    )
    preflight = await request(
        make_app,
        "OPTIONS",
        "/api/admin/tokens",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors__admin_routes__answer_the_origins_listed_in_the_setting_only(
    make_app: AppFactory, keys: Keys
) -> None:
    admin = {"Authorization": f"Bearer {keys.admin}"}

    listed = await request(
        make_app, "GET", "/api/admin/tokens", origins=(ORIGIN,), headers={"Origin": ORIGIN, **admin}
    )
    other = await request(
        make_app,
        "GET",
        "/api/admin/tokens",
        origins=(ORIGIN,),
        headers={"Origin": "https://evil.example", **admin},
    )

    assert listed.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-origin" not in other.headers


async def test_openapi__documents_the_serving_routes_and_docs_page(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    docs = await client.get("/docs")

    assert {
        "/api/widget/config",
        "/ofrep/v1/evaluate/flags/{key}",
        "/ofrep/v1/evaluate/flags",
        "/api/sdk/snapshot",
        "/api/sdk/stream",
        "/healthz",
        "/readyz",
        "/metrics",
    } <= set(document["paths"])
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_public_api__names_what_it_exports() -> None:
    import flagpilot.api

    assert set(flagpilot.api.__all__) == {
        "DEFAULT_MAX_BODY_BYTES",
        "PROBLEMS",
        "ApiDependencies",
        "ApiMetrics",
        "JsonFormatter",
        "PayloadTooLarge",
        "ChangeBroadcast",
        "configure_json_logging",
        "create_app",
        "problem_response",
        "require",
        "response_for",
        "scoped_environment",
        "scoped_organization",
    }
    assert all(hasattr(flagpilot.api, name) for name in flagpilot.api.__all__)


async def test_openapi__documents_errors_as_problem_documents(client: httpx.AsyncClient) -> None:
    operations = (await client.get("/openapi.json")).json()["paths"]

    issue = operations["/api/admin/tokens"]["post"]["responses"]
    widget = operations["/api/widget/config"]["get"]["responses"]

    assert set(issue["422"]["content"]) == {"application/problem+json"}
    assert set(issue["400"]["content"]) == {"application/problem+json"}
    assert set(widget["401"]["content"]) == {"application/problem+json"}
