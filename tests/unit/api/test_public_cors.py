"""The public routes' CORS answers exactly as Starlette's middleware, with its headers as ready bytes."""

from __future__ import annotations

import httpx
import pytest
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from flagpilot.api.cors import PublicCors

pytestmark = pytest.mark.anyio

SETTINGS: dict[str, object] = {
    "allow_methods": ["GET", "POST"],
    "allow_headers": ["Authorization", "Content-Type"],
    "expose_headers": ["ETag", "X-Request-ID"],
    "max_age": 600,
}


def _endpoint(extra: list[tuple[bytes, bytes]]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), *extra]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


async def _answer(app: ASGIApp, method: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://flagpilot.test") as client:
        return await client.request(method, "/api/widget/config", headers=headers)


@pytest.mark.parametrize(
    ("method", "headers", "extra"),
    [
        ("GET", {}, []),
        ("GET", {"Origin": "https://shop.example"}, []),
        ("GET", {"Origin": "https://shop.example", "Cookie": "a=b"}, []),
        ("POST", {"Origin": "null"}, [(b"etag", b'"v1"')]),
        ("GET", {"Origin": "https://shop.example"}, [(b"vary", b"Accept-Encoding")]),
        ("GET", {}, [(b"Vary", b"Accept")]),
        ("OPTIONS", {"Origin": "https://a.example", "Access-Control-Request-Method": "POST"}, []),
        (
            "OPTIONS",
            {
                "Origin": "https://a.example",
                "Access-Control-Request-Method": "DELETE",
                "Access-Control-Request-Headers": "X-Unknown",
            },
            [],
        ),
        ("OPTIONS", {"Origin": "https://a.example"}, []),
    ],
)
async def test_public_cors__answers__as_starlettes_cors_middleware_does(
    method: str, headers: dict[str, str], extra: list[tuple[bytes, bytes]]
) -> None:
    endpoint = _endpoint(extra)
    reference = CORSMiddleware(endpoint, allow_origins=["*"], **SETTINGS)  # type: ignore[arg-type]
    lean = PublicCors(endpoint, **SETTINGS)  # type: ignore[arg-type]

    expected = await _answer(reference, method, headers)
    answered = await _answer(lean, method, headers)

    assert answered.status_code == expected.status_code
    assert sorted(answered.headers.multi_items()) == sorted(expected.headers.multi_items())
    assert answered.content == expected.content
