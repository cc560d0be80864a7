"""Fuzz every documented operation of a real server from its OpenAPI document: no input may
produce a server error, and every answer must be as documented. Examples are bounded so the
whole run takes well under a minute."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.schemas import BaseSchema

from flagpilot.server.asgi import create_asgi_app
from flagpilot.settings import Settings
from tests.e2e.server import ServerProcess

EXAMPLES_PER_OPERATION = int(os.environ.get("FLAGPILOT_FUZZ_EXAMPLES", "50"))  # bench/bench_fuzz.py: more
# No 5xx, and every answer as documented: status, content type, body schema, headers. (Unknown
# query parameters are ignored on purpose, so the strict "reject what the schema does not list"
# checks are not among them.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def tokens(server: ServerProcess, server_key: str, client_key: str) -> dict[str, Iterator[str]]:
    """The tokens each family of routes takes, so the fuzzer gets past authentication; the admin
    routes rotate through admin, editor and viewer tokens, the events route through both SDK kinds."""
    admin_kinds = [server.admin_token, server.issue("editor"), server.issue("viewer")]
    return {
        "/ofrep/": itertools.repeat(server_key),
        "/api/sdk/": itertools.repeat(server_key),
        "/api/events": itertools.cycle([server_key, client_key]),
        "/api/widget/": itertools.repeat(client_key),
        "/api/admin/": itertools.cycle(admin_kinds),
    }


# The document the server serves, built the same way in-process (the fuzzer needs it at
# collection time); the change stream is left out: its response never ends.
schema: BaseSchema = schemathesis.openapi.from_dict(create_asgi_app(Settings()).openapi()).exclude(
    path="/api/sdk/stream"
)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_request__is_answered_as_documented_and_never_with_a_server_error(
    case: Case, server: ServerProcess, tokens: dict[str, Iterator[str]]
) -> None:
    family = next((kinds for prefix, kinds in tokens.items() if case.path.startswith(prefix)), None)
    secret = next(family) if family is not None else ""
    case.call_and_validate(
        base_url=server.base_url, headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS
    )
