"""NUL characters and lone surrogates are refused at the edge, naming the field; valid text passes."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_nul_in_a_query_parameter__is_422_naming_it(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/widget/config?customerId=a%00b")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == ["query.customerId"]


async def test_lone_surrogate_in_a_query_parameter__is_422(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/widget/config?organizationId=%ED%A0%80")
    assert answer.status_code == 422


async def test_nul_in_the_path__is_422(client: httpx.AsyncClient) -> None:
    answer = await client.post("/ofrep/v1/evaluate/flags/a%00b", json={})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["path"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"context": {"targetingKey": "a\\u0000"}}', "body.context.targetingKey"),
        (b'{"context": {"\\ud800": "x"}}', "body.context.\\ud800"),
        (b'{"context": {"list": ["ok", "\\udc00"]}}', "body.context.list.1"),
    ],
)
async def test_unstorable_text_in_a_json_body__is_422_naming_the_member(
    client: httpx.AsyncClient, body: bytes, field: str
) -> None:
    answer = await client.post(
        "/ofrep/v1/evaluate/flags", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == [field]


async def test_paired_surrogates_and_escaped_backslashes__pass(client: httpx.AsyncClient) -> None:
    body = b'{"context": {"targetingKey": "\\ud83d\\ude00", "note": "\\\\u0000"}}'
    answer = await client.post(
        "/ofrep/v1/evaluate/flags", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code != 422, answer.text
