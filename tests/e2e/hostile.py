"""A curated table of hostile values, sent in every string field, query parameter and header of
every operation the OpenAPI document lists, and the check applied after each request.

    run = HostileRun(base_url, {"admin": secret, ...})
    run.everything()
    assert run.failures == [] and run.requests > 0

The check: no 5xx; every 4xx a problem document (OFREP routes answer in OFREP's own error
shape); and after every accepted write, the read routes every client depends on still answer
200. Used by the CI test (tests/e2e/test_fuzz_hostile.py) and the longer run under bench/.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from flagpilot.server.asgi import create_asgi_app
from flagpilot.settings import Settings


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_STRINGS: list[str] = [
    "",
    " ",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202eRTL-override\u202c",
    "\u200f\u200e",
    "\ufeffbom",
    "²",
    "١٢٣",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "//api/admin/tokens",
    "%00",
    "' OR '1'='1",
    '"; DROP TABLE flags; --',
    "${jndi:ldap://x}",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "x" * 129,
    "x" * 5000,
    "NaN",
    "Infinity",
    "-0",
    "9" * 30,
]
"""Strings: NUL, lone surrogates, bidi marks, superscript and non-ASCII digits, traversal, injection."""

HOSTILE_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**53 + 1,
    2**64,
    -(2**63) - 1,
    1e308,
    [],
    {},
    ["\x00"],
    {"\ud800": 1},
    _nested(500),  # 1,000 deep is among the raw bodies (the client library cannot encode it)
    list(range(20_000)),
]
"""Values of the wrong type in place of a string: numbers beyond 2^53, containers, deep nesting."""

RAW_BODIES: list[bytes] = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b'{"a": 1e999}',
    b"[" * 1000 + b"]" * 1000,
    b'{"a": "\\ud800"}',
    b'{"a": "\\u0000"}',
    b"\xff\xfe\xfd",
    b'{"a": "x"' + b', "a": "y"' * 50 + b"}",
]

HOSTILE_HEADERS: list[tuple[str, bytes]] = [
    ("Authorization", b"Bearer"),
    ("Authorization", b"Basic Zm9vOmJhcg=="),
    ("Authorization", b"Bearer " + b"A" * 8000),
    ("If-Match", '"²"'.encode()),
    ("If-Match", b'"99999999999999999999999"'),
    ("If-None-Match", b"\xff\xfe"),
    ("Last-Event-ID", b"\xff\xfe\xc0"),
    ("Content-Type", b"application/json; charset=utf-16"),
    ("X-Request-ID", b"\xc0\xaf" * 100),
]

READS: list[tuple[str, str, str]] = [
    ("POST", "/ofrep/v1/evaluate/flags", "server-sdk"),
    ("GET", "/api/sdk/snapshot", "server-sdk"),
    ("GET", "/api/widget/config", "client-sdk"),
    ("GET", "/api/admin/feature-flags", "admin"),
    ("GET", "/api/admin/export", "admin"),
    ("GET", "/api/admin/audit", "admin"),
]
"""The routes that must answer 200 after any accepted write."""

SKIPPED = {"/api/sdk/stream"}  # never ends; its header handling is covered by the header table


@dataclass(frozen=True)
class Operation:
    """One documented operation and what it takes."""

    method: str
    path: str
    query: tuple[str, ...]
    body: tuple[str, ...] | None

    def url(self) -> str:
        return (
            self.path.replace("{key}", "phase2_enhanced_storage")
            .replace("{feature_name}", "phase2_enhanced_storage")
            .replace("{environment}", "production")
            .replace("{scope}", "customer")
            .replace("{subject_id}", "c-1")
            .replace("{token_id}", "tok_0000000000000000")
        )


def operations() -> list[Operation]:
    """Every operation of the served OpenAPI document, with its query and top-level body members."""
    document = create_asgi_app(Settings()).openapi()
    schemas = document["components"]["schemas"]
    found = []
    for path, item in document["paths"].items():
        if path in SKIPPED:
            continue
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            query = tuple(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
            body = None
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is not None:
                schema = content["schema"]
                if "$ref" in schema:
                    schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
                if schema.get("type") == "array":
                    schema = schema.get("items", {})
                body = tuple(schema.get("properties", {}))
            found.append(Operation(method.upper(), path, query, body))
    return found


def token_kind_for(path: str, rotation: Iterator[str]) -> str:
    """The token family a route takes; admin routes rotate through admin, editor and viewer."""
    if path.startswith(("/ofrep/", "/api/sdk/", "/api/events")):
        return "server-sdk"
    if path.startswith("/api/widget/"):
        return "client-sdk"
    return next(rotation)


def _base_body(operation: Operation) -> dict[str, Any]:
    members = operation.body or ()
    body: dict[str, Any] = {}
    if "featureName" in members:
        body["featureName"] = "phase2_enhanced_storage"
    if "key" in members:
        body["key"] = "fuzzed_flag"
    if "reason" in members:
        body["reason"] = "fuzz"
    return body


@dataclass
class HostileRun:
    """Sends the table to a server and records every failed check."""

    base_url: str
    tokens: Mapping[str, str]
    requests: int = 0
    accepted_writes: int = 0
    failures: list[str] = field(default_factory=list)
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base_url, timeout=60)
        self._rotation = itertools.cycle(["admin", "editor", "viewer"])

    def close(self) -> None:
        self.client.close()

    def _send(self, operation: Operation, kind: str, **kwargs: Any) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[kind]}", **kwargs.pop("headers", {})}
        query = kwargs.pop("query", "")
        what = f"{operation.method} {operation.path} as {kind} {query[:80]} {repr(kwargs)[:160]}"
        url = operation.url() + (f"?{query}" if query else "")
        try:
            answer = self.client.request(operation.method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            self.failures.append(f"{what}: no answer ({exc!r})")
            return
        self.requests += 1
        self._check(answer, operation, what)

    def _check(self, answer: httpx.Response, operation: Operation, what: str) -> None:
        status = answer.status_code
        if status >= 500:
            self.failures.append(f"{what}: {status} {answer.text[:200]}")
        elif status >= 400 and not operation.path.startswith("/ofrep/"):
            if not answer.headers.get("content-type", "").startswith("application/problem+json"):
                self.failures.append(f"{what}: {status} is not problem+json")
        elif status < 300 and operation.method != "GET":
            self.accepted_writes += 1
            self.reads_still_answer(what)

    def reads_still_answer(self, after: str) -> None:
        """The read routes answer 200 (a write just before must not have poisoned them)."""
        for method, path, kind in READS:
            headers = {"Authorization": f"Bearer {self.tokens[kind]}"}
            body = {"context": {"targetingKey": "c-1"}} if method == "POST" else None
            answer = self.client.request(method, path, json=body, headers=headers)
            self.requests += 1
            if answer.status_code != 200:
                self.failures.append(f"after {after}: {method} {path} answered {answer.status_code}")

    def operation(self, operation: Operation, *, strings: list[str], values: list[Any]) -> None:
        """Every hostile string and value in each query parameter and body member of `operation`."""
        kind = token_kind_for(operation.path, self._rotation)
        for name in operation.query:
            for text in strings:
                # percent-encoded by hand: lone surrogates as the bytes a careless client sends
                encoded = quote(text.encode("utf-8", "surrogatepass"), safe="")
                self._send(operation, kind, query=f"{name}={encoded}")
        if operation.body is None:
            return
        base = _base_body(operation)
        for name in operation.body:
            for value in [*strings, *values]:
                # encoded here: lone surrogates as \u escapes, which the client library refuses to write
                body = json.dumps({**base, name: value}).encode()
                self._send(operation, kind, content=body, headers={"content-type": "application/json"})
        for raw in RAW_BODIES:
            self._send(operation, kind, content=raw, headers={"content-type": "application/json"})

    def headers(self, operation: Operation) -> None:
        """Each hostile header on `operation`."""
        kind = token_kind_for(operation.path, self._rotation)
        for name, value in HOSTILE_HEADERS:
            self._send(operation, kind, headers={name: value})

    def paths(self) -> None:
        """Odd spellings of paths, without a token and with a client key."""
        for path in ("//api/admin/tokens", "/api/admin/../admin/tokens", "/api/admin/tokens%00", "/%2e%2e/"):
            for headers in ({}, {"Authorization": f"Bearer {self.tokens['client-sdk']}"}):
                request = self.client.build_request("GET", path, headers=headers)
                request.url = request.url.copy_with(raw_path=path.encode())
                answer = self.client.send(request)
                self.requests += 1
                if answer.status_code >= 500 or answer.status_code == 200:
                    self.failures.append(f"GET {path}: {answer.status_code}")

    def everything(self, *, strings: list[str] | None = None, values: list[Any] | None = None) -> None:
        """The whole table against every operation, then the headers and the path spellings."""
        for operation in operations():
            self.operation(operation, strings=strings or HOSTILE_STRINGS, values=values or HOSTILE_VALUES)
            self.headers(operation)
        self.paths()
        self.reads_still_answer("the whole run")
