"""The demo conversation service over HTTP, under `/chat` (called by the widget's iframe).

    POST /chat/conversations                  {"customerId"}  → 201 the new conversation
    GET  /chat/conversations/{id}?customerId=                  → the conversation, or 404
    POST /chat/conversations/{id}/messages?customerId= {"text"} → 201 {"messages": [visitor, echo]}
    POST /chat/analytics                      {"customerId", "counts": {name: n}} → 202
    GET  /chat/analytics                                        → totals per customer
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flagpilot.demo.store import MAX_TEXT, ConversationStore

MAX_ID = 256
MAX_BODY = 16_384
ANALYTICS = frozenset({"opened", "messagesSent", "restored", "failedSends"})


class BadRequest(Exception):
    """A request the service refuses, with the reason the client sees."""


def _problem(status: int, detail: str) -> Response:
    body = {"type": "about:blank", "title": "Bad request" if status < 404 else "Not found", "status": status,
            "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest(f"the body is larger than {MAX_BODY} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the body is not JSON") from exc
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _customer(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_ID:
        raise BadRequest(f"customerId must be a string of at most {MAX_ID} characters")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise BadRequest(f"text must be a non-empty string of at most {MAX_TEXT} characters")
    return value.strip()


def _counts(value: object) -> dict[str, int]:
    if not isinstance(value, dict) or not value.keys() <= ANALYTICS:
        raise BadRequest("counts must be an object with members " + ", ".join(sorted(ANALYTICS)))
    if not all(type(n) is int and 0 <= n <= 1_000 for n in value.values()):
        raise BadRequest("each count must be a whole number from 0 to 1000")
    return value


def chat_routes(store: ConversationStore) -> list[Route]:
    """The conversation service's routes over `store`."""

    async def create(request: Request) -> Response:
        conversation = store.create(_customer((await _body(request)).get("customerId")))
        return JSONResponse(conversation.as_json(), status_code=201)

    async def read(request: Request) -> Response:
        found = store.get(request.path_params["id"], _customer(request.query_params.get("customerId")))
        if found is None:
            return _problem(404, "no such conversation for this customer")
        return JSONResponse(found.as_json())

    async def say(request: Request) -> Response:
        found = store.get(request.path_params["id"], _customer(request.query_params.get("customerId")))
        if found is None:
            return _problem(404, "no such conversation for this customer")
        added = store.say(found, _text((await _body(request)).get("text")))
        return JSONResponse({"messages": added}, status_code=201)

    async def count(request: Request) -> Response:
        body = await _body(request)
        store.count(_customer(body.get("customerId")), _counts(body.get("counts")))
        return Response(status_code=202)

    async def totals(request: Request) -> Response:
        return JSONResponse(store.analytics())

    def guarded(endpoint: Any) -> Any:
        async def handler(request: Request) -> Response:
            try:
                response: Response = await endpoint(request)
            except BadRequest as exc:
                return _problem(400, str(exc))
            return response

        return handler

    return [
        Route("/chat/conversations", guarded(create), methods=["POST"]),
        Route("/chat/conversations/{id}", guarded(read), methods=["GET"]),
        Route("/chat/conversations/{id}/messages", guarded(say), methods=["POST"]),
        Route("/chat/analytics", guarded(count), methods=["POST"]),
        Route("/chat/analytics", guarded(totals), methods=["GET"]),
    ]
