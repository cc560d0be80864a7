"""Refuse text no database can store before any route sees it: NUL characters and lone surrogates.

PostgreSQL refuses a NUL in `text` and `jsonb` ("text fields cannot contain NUL bytes"), and a
lone UTF-16 surrogate (`"\\ud800"` in JSON, valid to Python's `str`) cannot be encoded as UTF-8
at all. Let through, one is a storage error — worse, one the server would read as the database
being down — and the other a crash in whichever layer encodes first. SQLite would take both, so
the two databases would disagree. Checking once at the edge keeps every layer below honest.

The query string, the path and the JSON body are checked; the offending field is named in a 422
like the framework's own validation errors (`query.cursor`, `body.values.<key>`). A body is only
parsed here when a cheap scan of its bytes finds a `\\u0000` or surrogate escape, so ordinary
requests pay one regular-expression search.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flagpilot.api.limits import NO_BODY_METHODS
from flagpilot.api.problems import PayloadTooLarge, response_for
from flagpilot.core import text_problem

_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
MAX_SCAN_DEPTH = 1000


def _walk(value: Any, location: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each (location, problem) of the strings in a parsed JSON document, keys included."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, location)]
    while stack:
        item, where = stack.pop()
        if len(where) > MAX_SCAN_DEPTH:
            continue  # deeper than any route accepts; the route's own bound refuses it
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                yield where, problem
        elif isinstance(item, dict):
            for key, member in item.items():
                problem = text_problem(key)
                if problem:
                    yield (*where, _printable(key)), "key " + problem
                stack.append((member, (*where, _printable(key))))
        elif isinstance(item, list):
            stack.extend((member, (*where, index)) for index, member in enumerate(item))


def _printable(text: str) -> str:
    """`text` as it can be shown in an error: NULs and lone surrogates escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _errors(found: Iterator[tuple[tuple[str | int, ...], str]]) -> list[dict[str, Any]]:
    return [
        {"loc": where, "msg": f"The string {problem}", "type": "string_unstorable"}
        for where, problem in found
    ][:20]


def _query_errors(scope: Scope) -> list[dict[str, Any]]:
    raw: bytes = scope.get("query_string", b"")
    if b"%" not in raw:
        return []
    found = []
    for name, value in parse_qsl(
        raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="surrogateescape"
    ):
        for text in (name, value):
            problem = text_problem(text)
            if problem:
                found.append((("query", _printable(name)), problem))
                break
    return _errors(iter(found))


def _path_errors(scope: Scope) -> list[dict[str, Any]]:
    raw = scope.get("raw_path") or b""
    if b"%" not in raw:
        return []
    problem = text_problem(unquote(raw.decode("latin-1"), errors="surrogateescape"))
    return _errors(iter([(("path",), problem)])) if problem else []


def request_errors(scope: Scope) -> list[dict[str, Any]]:
    """The validation errors of a request's path and query string (none for almost every request).

    Only an escape (`%`) can put a NUL or a lone surrogate in either: without one, nothing is parsed.
    """
    if b"%" not in scope.get("query_string", b"") and b"%" not in (scope.get("raw_path") or b""):
        return []
    return _path_errors(scope) + _query_errors(scope)


def body_errors(body: bytes) -> list[dict[str, Any]]:
    """The validation errors of a JSON body's strings; one regular-expression search when clean."""
    if not _SUSPECT_ESCAPE.search(body):
        return []
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return []  # not JSON (or absurdly deep): the route's parser answers it
    return _errors(_walk(document, ("body",)))


class TextHygiene:
    """ASGI middleware answering 422 for NUL characters and lone surrogates in a request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = request_errors(scope)
        if errors:
            await response_for(RequestValidationError(errors))(scope, receive, send)
            return
        if scope["method"] in NO_BODY_METHODS:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        more = True
        try:
            while more:
                message = await receive()
                messages.append(message)
                more = message["type"] == "http.request" and message.get("more_body", False)
        except PayloadTooLarge as exc:
            await response_for(exc)(scope, receive, send)
            return
        errors = body_errors(b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request"))
        if errors:
            await response_for(RequestValidationError(errors))(scope, receive, send)
            return

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)
