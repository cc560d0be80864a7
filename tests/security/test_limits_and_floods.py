"""Invalid-token floods and body, depth and array limits: refused cheaply, never a 5xx, and the
server keeps serving valid callers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.security.conftest import Tenancy

FLOOD = 200


def test_invalid_token_flood__every_answer_is_401_and_valid_callers_are_still_served(
    tenancy: Tenancy,
) -> None:
    def attempt(index: int) -> int:
        headers = {"Authorization": f"Bearer fp_server-sdk_{index:043d}"}
        return httpx.get(tenancy.server.url("/api/sdk/snapshot"), headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(attempt, range(FLOOD)))
    assert set(statuses) == {401}
    valid = httpx.get(tenancy.server.url("/api/sdk/snapshot"), headers=tenancy.headers(tenancy.server_sdk))
    assert valid.status_code == 200


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Basic YWRtaW46YWRtaW4=", "bearer " + "x" * 10_000, "Bearer a b", "Token abc", "Bearer\tabc"],
)
def test_malformed_authorization__is_401(tenancy: Tenancy, authorization: str) -> None:
    answer = httpx.get(tenancy.server.url("/api/admin/tokens"), headers={"Authorization": authorization})
    assert answer.status_code in (400, 401, 431), answer.text


def test_duplicate_authorization_headers__never_authenticate_as_the_second(tenancy: Tenancy) -> None:
    headers = [("Authorization", "Bearer not-a-token"), ("Authorization", f"Bearer {tenancy.admin}")]
    answer = httpx.get(tenancy.server.url("/api/admin/tokens"), headers=headers)
    assert answer.status_code in (400, 401), answer.text


ROUTES = [
    ("POST", "/api/admin/feature-flags"),
    ("POST", "/api/admin/flags"),
    ("PUT", "/api/admin/flags/phase2_enhanced_storage/overrides"),
    ("POST", "/api/admin/import"),
    ("POST", "/api/admin/rollout"),
    ("POST", "/ofrep/v1/evaluate/flags"),
    ("POST", "/api/events"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_body_limits__huge_deep_and_wide_bodies__are_4xx_on_every_body_route(
    tenancy: Tenancy, method: str, path: str
) -> None:
    token = tenancy.server_sdk if path.startswith(("/ofrep", "/api/events")) else tenancy.admin
    headers = {**tenancy.headers(token), "content-type": "application/json"}
    bodies = [
        b'{"a": "' + b"x" * (1024 * 1024) + b'"}',  # over the body limit; 10 MB in test_ten_megabytes
        b"[" * 1000 + b"]" * 1000,
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
        b"[" + b"1," * 30_000 + b"1]",
    ]
    for index, body in enumerate(bodies):
        answer = httpx.request(method, tenancy.server.url(path), content=body, headers=headers, timeout=60)
        if path == "/ofrep/v1/evaluate/flags" and index == 2:
            # a deep member OFREP ignores (anything but `context`): evaluated without it, harmlessly
            assert answer.status_code in (200, 400), answer.text[:200]
            continue
        assert 400 <= answer.status_code < 500, (path, len(body), answer.status_code, answer.text[:200])
        assert answer.headers["content-type"].startswith(("application/problem+json", "application/json"))


def test_ten_megabyte_body__is_413_before_it_is_read(tenancy: Tenancy) -> None:
    body = b'{"a": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    answer = httpx.post(
        tenancy.server.url("/api/admin/flags"),
        content=body,
        headers=tenancy.headers(tenancy.admin),
        timeout=60,
    )
    assert answer.status_code == 413
