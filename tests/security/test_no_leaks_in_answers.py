"""No stack trace in any response, and `/metrics` exposes no tenant data."""

from __future__ import annotations

import httpx

from flagpilot.api import problems
from tests.security.conftest import Tenancy

TRACE_MARKS = ("Traceback", 'File "', "site-packages", "sqlalchemy", "psycopg", "/src/flagpilot")


def test_no_stack_traces__an_unexpected_error_is_a_bare_500_problem() -> None:
    answer = problems.response_for(RuntimeError("secret internals at /src/flagpilot/x.py"))
    text = bytes(answer.body).decode()
    assert answer.status_code == 500
    assert answer.media_type == "application/problem+json"
    assert "secret internals" not in text
    assert not any(mark in text for mark in TRACE_MARKS)


def test_no_stack_traces__in_the_answers_to_malformed_requests(tenancy: Tenancy) -> None:
    admin = {**tenancy.headers(tenancy.admin), "content-type": "application/json"}
    requests = [
        ("POST", "/api/admin/flags", b"{not json"),
        ("POST", "/api/admin/import", b'{"formatVersion": "x"}'),
        ("PATCH", "/api/admin/flags/nope", b'{"description": 1}'),
        ("POST", "/api/admin/rollout/advance", b"[]"),
        ("GET", "/api/admin/audit?since=yesterday", b""),
        ("GET", "/api/admin/flags/%ff%fe", b""),
    ]
    for method, path, body in requests:
        answer = httpx.request(method, tenancy.server.url(path), content=body or None, headers=admin)
        assert answer.status_code < 500, (path, answer.text)
        assert not any(mark in answer.text for mark in TRACE_MARKS), (path, answer.text)


def test_metrics__expose_no_tenant_data(tenancy: Tenancy) -> None:
    httpx.post(
        tenancy.server.url("/ofrep/v1/evaluate/flags"),
        json={"context": {"targetingKey": "customer-of-org-a", "organizationId": "org-a"}},
        headers=tenancy.headers(tenancy.server_sdk),
    )
    metrics = httpx.get(tenancy.server.url("/metrics"))
    assert metrics.status_code == 200
    assert "flagpilot" in metrics.text
    for tenant_value in ("org-a", "org-b", "customer-of-org", "secret plan", "fp_", tenancy.admin):
        assert tenant_value not in metrics.text, tenant_value
