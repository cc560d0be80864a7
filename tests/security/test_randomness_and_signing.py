"""Randomness comes from `secrets` only, and alert webhooks are HMAC-signed on the wire."""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import flagpilot
from flagpilot.services import tokens as token_module
from flagpilot.services.rollouts import Alert, Severity, WebhookNotifier
from flagpilot.storage.webhook_http import Allowance, HttpxPoster
from tests.fakes.tokens import InMemoryTokenStore

SOURCE = Path(flagpilot.__file__).parent


def test_randomness__no_module_imports_random_or_uses_uuid1() -> None:
    offenders = []
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(alias.name == "random" for alias in node.names):
                offenders.append(f"{path}: import random")
            if isinstance(node, ast.ImportFrom) and node.module == "random":
                offenders.append(f"{path}: from random import")
            if isinstance(node, ast.Attribute) and node.attr in {"uuid1", "getrandbits"}:
                offenders.append(f"{path}: {node.attr}")
    assert offenders == []


def test_randomness__token_secrets_and_ids_come_from_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(token_module.secrets, "token_urlsafe", lambda n: calls.append("urlsafe") or "R" * 43)
    monkeypatch.setattr(token_module.secrets, "token_hex", lambda n: calls.append("hex") or "ab" * n)
    service = token_module.TokenService(InMemoryTokenStore())
    info, secret = service.create("viewer", None, None, "random check", "test")
    assert secret.endswith("R" * 43)
    assert info.token_id == "tok_" + "ab" * 8
    assert sorted(calls) == ["hex", "urlsafe"]


class _Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[bytes, dict[str, str]]] = []


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        assert isinstance(self.server, _Receiver)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append((body, dict(self.headers.items())))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_webhook_signing__the_received_bytes_carry_a_valid_hmac_sha256(receiver: _Receiver) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    poster = HttpxPoster(Allowance.parse("127.0.0.1"))
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    notifier = WebhookNotifier(poster, url, secret="shared-secret")
    notifier.emit(
        Alert(
            kind="rollout.auto_rollback",
            severity=Severity.CRITICAL,
            feature_name="phase2_enhanced_storage",
            environment="production",
            message="rolled back",
            created_at=now,
            version=1,
            details={},
        )
    )
    [attempt] = notifier.deliver_due(now)
    poster.close()
    assert attempt.delivered
    [(body, headers)] = receiver.received
    expected = "sha256=" + hmac.new(b"shared-secret", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Flagpilot-Signature"], expected)
    assert "shared-secret" not in body.decode() + json.dumps(headers)
