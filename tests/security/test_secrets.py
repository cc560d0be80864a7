"""Secrets never leave the server: not in logs, reprs, audit payloads or exports; stored only as
SHA-256; a presented secret is only ever compared as its hash."""

from __future__ import annotations

import hashlib
import sqlite3

import httpx
import pytest

from flagpilot.services import tokens as token_module
from flagpilot.services.tokens import TokenService
from tests.fakes.tokens import InMemoryTokenStore
from tests.security.conftest import Tenancy


@pytest.fixture(scope="module")
def issued(tenancy: Tenancy) -> str:
    answer = httpx.post(
        tenancy.server.url("/api/admin/tokens"),
        json={"kind": "server-sdk", "name": "leak check"},
        headers=tenancy.headers(tenancy.admin),
    )
    assert answer.status_code == 201
    secret: str = answer.json()["secret"]
    # use it, fail with a near miss, and make the server log a request with it
    assert (
        httpx.get(tenancy.server.url("/api/sdk/snapshot"), headers=tenancy.headers(secret)).status_code == 200
    )
    httpx.get(tenancy.server.url("/api/sdk/snapshot"), headers=tenancy.headers(secret[:-1] + "x"))
    httpx.get(tenancy.server.url(f"/api/widget/config?key={secret}"))
    return secret


def test_secrets__never_in_the_server_log(tenancy: Tenancy, issued: str) -> None:
    log = tenancy.server.log()
    assert "leak check" in log or "token" in log  # the log is there and has content
    assert issued not in log
    assert tenancy.admin not in log
    assert issued[:-1] not in log


def test_secrets__never_in_audit_payloads_listings_or_exports(tenancy: Tenancy, issued: str) -> None:
    admin = tenancy.headers(tenancy.admin)
    for path in ("/api/admin/audit?limit=1000", "/api/admin/tokens", "/api/admin/export"):
        answer = httpx.get(tenancy.server.url(path), headers=admin)
        assert answer.status_code == 200, path
        assert issued not in answer.text, path
        assert issued.removeprefix("fp_server-sdk_") not in answer.text, path


def test_secrets__stored_only_as_sha256(tenancy: Tenancy, issued: str) -> None:
    with sqlite3.connect(tenancy.database) as connection:
        rows = connection.execute("SELECT * FROM api_tokens").fetchall()
        audit = connection.execute("SELECT before_value, after_value FROM feature_flag_changes").fetchall()
    stored = repr(rows) + repr(audit)
    assert issued not in stored
    assert hashlib.sha256(issued.encode()).hexdigest() in stored


def test_secrets__token_reprs_carry_no_secret() -> None:
    service = TokenService(InMemoryTokenStore())
    info, secret = service.create("editor", None, None, "repr check", "test")
    assert secret not in repr(info)
    assert secret not in str(info)
    assert secret not in repr(service.list())


def test_secrets__are_compared_only_as_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = token_module.hash_secret

    def spy(secret: str) -> str:
        seen.append(secret)
        return real(secret)

    monkeypatch.setattr(token_module, "hash_secret", spy)
    service = TokenService(InMemoryTokenStore())
    _, secret = service.create("editor", None, None, "hash check", "test")
    seen.clear()
    assert service.authenticate(secret) is not None
    assert service.authenticate(secret[:-1] + "x") is None
    assert seen == [secret, secret[:-1] + "x"]  # each lookup hashed the presented secret
