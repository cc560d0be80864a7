"""Privilege escalation: a token can never mint or use more power than it has."""

from __future__ import annotations

import re

import httpx
import pytest

from flagpilot.server.asgi import create_asgi_app
from flagpilot.settings import Settings
from tests.security.conftest import Tenancy

WRITES = [
    (method.upper(), path)
    for path, item in create_asgi_app(Settings()).openapi()["paths"].items()
    for method in item
    if method in {"post", "put", "patch", "delete"} and path.startswith("/api/admin")
]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "phase2_enhanced_storage", path)


@pytest.mark.parametrize("kind", ["editor", "admin", "viewer", "server-sdk"])
def test_privilege_escalation__an_editor_creating_a_token_of_any_kind__is_refused(
    tenancy: Tenancy, kind: str
) -> None:
    answer = httpx.post(
        tenancy.server.url("/api/admin/tokens"),
        json={"kind": kind, "name": "mine now"},
        headers=tenancy.headers(tenancy.editor),
    )
    assert answer.status_code == 403, answer.text


def test_privilege_escalation__a_confined_admin_issuing_an_unconfined_or_foreign_token__is_refused(
    tenancy: Tenancy,
) -> None:
    for body in (
        {"kind": "admin", "name": "wider", "organizationId": None},
        {"kind": "admin", "name": "foreign", "organizationId": "org-b"},
    ):
        answer = httpx.post(
            tenancy.server.url("/api/admin/tokens"), json=body, headers=tenancy.headers(tenancy.admin_a)
        )
        if answer.status_code == 201:  # issued: then confined to org-a, never wider
            assert answer.json()["organizationId"] == "org-a", answer.text
        else:
            assert answer.status_code == 403, answer.text


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_privilege_escalation__a_viewer_writing_through_any_route__is_refused(
    tenancy: Tenancy, method: str, path: str
) -> None:
    for token in (tenancy.viewer, tenancy.viewer_a, tenancy.server_sdk, tenancy.client_sdk):
        answer = httpx.request(
            method,
            tenancy.server.url(_concrete(path)),
            json={"featureName": "phase2_enhanced_storage", "enabled": False, "reason": "x"},
            headers=tenancy.headers(token),
        )
        assert answer.status_code in (401, 403), (method, path, answer.status_code, answer.text)
