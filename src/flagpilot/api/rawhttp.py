"""Reading an ASGI request without a framework, for the hot routes.

FastAPI's per-request dependency and parameter machinery costs several times more than a whole
bulk evaluation, so the widget and OFREP routes read what they need straight from the ASGI scope:
a few query parameters, two headers, the body.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import Receive, Scope

from flagpilot.api.problems import PayloadTooLarge


def query_params(scope: Scope) -> dict[str, str]:
    """The query parameters (the last value of a repeated name wins), decoded as `parse_qsl` does.

    Most widget requests carry plain `key=…&customerId=…`: those are split without decoding;
    only a query with escapes (`%`, `+`) goes through the standard parser.
    """
    raw: bytes = scope["query_string"]
    if not raw:
        return {}
    # UTF-8, as browsers send it: `customerId=é` and `customerId=%C3%A9` are the same customer.
    text = raw.decode("utf-8", "replace")
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    params: dict[str, str] = {}
    for pair in text.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            params[name] = value
    return params


def headers(scope: Scope, *names: bytes) -> list[str | None]:
    """The values of the named (lower-case) headers, None where absent."""
    found: list[str | None] = [None] * len(names)
    for name, value in scope["headers"]:
        if name in names:
            found[names.index(name)] = value.decode("latin-1")
    return found


READ_BODY = "flagpilot.read_body"
"""The scope key where a layer that has read the whole request body (the hot routes' dispatcher)
leaves it, so the handler takes it from there instead of reading it again through a replay."""


async def request_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body: as a layer before left it in the scope, else read from `receive`.

    Raises:
        PayloadTooLarge: it is longer than `limit` bytes.
    """
    body: bytes | None = scope.get(READ_BODY)
    if body is None:
        return await read_body(receive, limit)
    if len(body) > limit:
        raise PayloadTooLarge(limit)
    return body


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body.

    Raises:
        PayloadTooLarge: it is longer than `limit` bytes.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: evaluate what arrived, the answer goes nowhere
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
