"""Error messages read like the request: JSON spellings, the field the caller sent, where the
JSON broke, and what was wrong with the Content-Type. One table of bad requests, each checked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import Issue

pytestmark = pytest.mark.anyio

JSON = {"Content-Type": "application/json"}

CASES: list[tuple[str, str, str, dict[str, Any], str, str]] = [
    # (name, method, path, request, field, message)
    (
        "a boolean for a string flag",
        "POST",
        "/api/admin/feature-flags",
        {"json": {"featureName": "chat_greeting", "environment": "staging", "enabled": True}},
        "body.enabled",
        "true is not a string value",
    ),
    (
        "a boolean default for a string flag",
        "POST",
        "/api/admin/flags",
        {"json": {"key": "chat_farewell", "type": "string", "defaultValue": True}},
        "body.defaultValue",
        "true is not a string value",
    ),
    (
        "a key with spaces",
        "POST",
        "/api/admin/flags",
        {"json": {"key": "My Flag!"}},
        "body.key",
        '"My Flag!" must be lower case letters',
    ),
    (
        "malformed JSON",
        "POST",
        "/api/admin/flags",
        {"content": b'{"key": "abc",\n  "type": }', "headers": JSON},
        "body",
        "malformed JSON at line 2 column 11",
    ),
    (
        "a JSON body without a Content-Type",
        "POST",
        "/api/admin/flags",
        {"content": b'{"key": "abc"}'},
        "body",
        "send the body as JSON with Content-Type: application/json (it was sent without a Content-Type)",
    ),
    (
        "a JSON body sent as text",
        "POST",
        "/api/admin/flags",
        {"content": b'{"key": "abc"}', "headers": {"Content-Type": "text/plain"}},
        "body",
        "(it was sent as text/plain)",
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "request_", "field", "message"), CASES, ids=[c[0] for c in CASES]
)
async def test_bad_request__names_the_sent_field_in_json_spelling(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    name: str,
    method: str,
    path: str,
    request_: dict[str, Any],
    field: str,
    message: str,
) -> None:
    # Given a string flag to be wrong about
    created = await client.post(
        "/api/admin/flags",
        json={"key": "chat_greeting", "type": "string", "defaultValue": "Hi"},
        headers=admin,
    )
    assert created.status_code == 201, created.text

    # When the bad request is sent
    headers = {**admin, **request_.get("headers", {})}
    response = await client.request(
        method, path, headers=headers, **{k: v for k, v in request_.items() if k != "headers"}
    )

    # Then it is a 422 whose error names the field as sent, and reads like JSON, not Python
    errors = response.json().get("errors", [])
    assert response.status_code == 422, response.text
    assert any(e["field"] == field and message in e["message"] for e in errors), errors
    assert not any(word in response.text for word in ("True", "None", "JSON decode error"))


async def test_token_of_the_wrong_kind__is_named_with_the_right_article(
    client: httpx.AsyncClient, issue: Issue
) -> None:
    response = await client.post("/api/admin/flags", json={"key": "abc"}, headers=issue("editor"))

    assert response.status_code == 403
    assert response.json()["detail"].startswith("an editor token cannot call this endpoint")
