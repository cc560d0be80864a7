"""Reading query strings and headers straight from the ASGI scope, as the hot routes do."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from flagpilot.api.problems import PayloadTooLarge
from flagpilot.api.rawhttp import READ_BODY, headers, query_params, request_body


def scope(query: bytes = b"", header_list: list[tuple[bytes, bytes]] | None = None) -> dict[str, object]:
    return {"query_string": query, "headers": header_list or []}


@pytest.mark.parametrize("name", ["zoë", "joão", "łukasz", "名前"])
def test_query_params__raw_and_escaped_utf8__read_the_same(name: str) -> None:
    raw = query_params(scope(f"customerId={name}".encode()))
    escaped = query_params(scope(f"customerId={quote(name)}".encode()))

    assert raw == escaped == {"customerId": name}


def test_query_params__plain_and_escaped__are_read_like_the_standard_parser() -> None:
    assert query_params(scope(b"key=k1&customerId=a+b&x=&y&customerId=c%26d")) == {
        "key": "k1",
        "customerId": "c&d",
        "x": "",
        "y": "",
    }
    assert query_params(scope(b"a=1&&b=2")) == {"a": "1", "b": "2"}
    assert query_params(scope()) == {}


def test_headers__are_found_by_lower_case_name() -> None:
    found = headers(
        scope(header_list=[(b"if-none-match", b'"x"'), (b"authorization", b"Bearer t")]),
        b"authorization",
        b"if-none-match",
        b"x-missing",
    )

    assert found == ["Bearer t", '"x"', None]


@pytest.mark.anyio
async def test_request_body__left_in_the_scope__is_taken_from_there_within_the_limit() -> None:
    async def nothing_more() -> dict[str, object]:
        raise AssertionError("the body was read again")

    read = {**scope(), READ_BODY: b'{"context":{}}'}

    assert await request_body(read, nothing_more, 100) == b'{"context":{}}'
    with pytest.raises(PayloadTooLarge):
        await request_body(read, nothing_more, 5)


@pytest.mark.anyio
async def test_request_body__not_read_before__is_read_from_the_messages() -> None:
    messages = iter(
        [{"type": "http.request", "body": b"ab", "more_body": True}, {"type": "http.request", "body": b"c"}]
    )

    async def receive() -> dict[str, object]:
        return next(messages)

    assert await request_body(scope(), receive, 100) == b"abc"
