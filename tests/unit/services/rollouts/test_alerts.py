"""Alerts: kept in memory for the UI, and delivered by webhook with retries and a record of each try."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import timedelta

from flagpilot.services.rollouts import (
    Alert,
    AlertFanout,
    InMemoryAlerts,
    PostFailed,
    Severity,
    WebhookNotifier,
)
from tests.unit.services.rollouts.helpers import ENV, FLAG, NOW


def alert(version: int = 3, environment: str = ENV) -> Alert:
    return Alert(
        kind="rollout.auto_rollback",
        severity=Severity.CRITICAL,
        feature_name=FLAG,
        environment=environment,
        message="rolled back",
        created_at=NOW,
        version=version,
        details={"bound": 2.3},
    )


class ScriptedPoster:
    """Answers each POST with the next scripted status, or fails to connect on None."""

    def __init__(self, *statuses: int | None) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        self.requests.append((url, body, dict(headers)))
        status = self.statuses.pop(0)
        if status is None:
            raise PostFailed("connection refused")
        return status


def test_in_memory_alerts__lists_the_newest_first_and_filters_by_environment() -> None:
    alerts = InMemoryAlerts(keep=2)
    for version, env in [(1, ENV), (2, "staging"), (3, ENV)]:
        alerts.emit(alert(version, env))

    assert [a.version for a in alerts.recent()] == [3, 2]
    assert [a.version for a in alerts.recent(environment=ENV)] == [3]


def test_fanout__hands_each_alert_to_every_sink() -> None:
    sinks = [InMemoryAlerts(), InMemoryAlerts()]

    AlertFanout(sinks).emit(alert())

    assert [len(s.recent()) for s in sinks] == [1, 1]


def test_webhook__posts_the_alert_as_json_with_a_signature() -> None:
    # Given
    poster = ScriptedPoster(204)
    notifier = WebhookNotifier(poster, "https://hooks.example.com/x", secret="s3cret")

    # When
    notifier.emit(alert())
    [attempt] = notifier.deliver_due(NOW)

    # Then
    assert (attempt.delivered, attempt.final, attempt.status_code) == (True, True, 204)
    [(url, body, headers)] = poster.requests
    assert url == "https://hooks.example.com/x"
    assert json.loads(body)["alert"]["id"] == f"{ENV}/{FLAG}/v3/rollout.auto_rollback"
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Flagpilot-Signature"] == f"sha256={expected}"
    assert headers["Content-Type"] == "application/json"


def test_webhook__retries_failures_with_exponential_backoff_and_records_each_attempt() -> None:
    # Given a receiver that is down, then erroring, then up
    poster = ScriptedPoster(None, 503, 200)
    notifier = WebhookNotifier(poster, "https://hooks.example.com/x")
    notifier.emit(alert())

    # When the server ticks every second for ten seconds
    for second in range(10):
        notifier.deliver_due(NOW + timedelta(seconds=second))

    # Then attempts came at 0 s, +1 s and +2 s more, and the last one delivered
    attempts = notifier.attempts()
    assert [(a.at - NOW).seconds for a in attempts] == [0, 1, 3]
    assert [(a.status_code, a.error, a.delivered) for a in attempts] == [
        (None, "connection refused", False),
        (503, "HTTP 503", False),
        (200, None, True),
    ]
    assert notifier.pending() == 0


def test_webhook__gives_up_after_max_attempts_and_on_a_client_error() -> None:
    # Given
    down = WebhookNotifier(ScriptedPoster(500, 500, 500), "https://x", max_attempts=3, base_delay=0.0)
    rejected = WebhookNotifier(ScriptedPoster(400), "https://y")
    down.emit(alert())
    rejected.emit(alert())

    # When
    for _ in range(5):
        down.deliver_due(NOW)
    rejected.deliver_due(NOW)

    # Then
    assert [a.final for a in down.attempts()] == [False, False, True]
    assert [(a.final, a.delivered) for a in rejected.attempts()] == [(True, False)]
    assert (down.pending(), rejected.pending()) == (0, 0)


def test_webhook__delay_doubles_up_to_the_cap() -> None:
    notifier = WebhookNotifier(ScriptedPoster(), "https://x", base_delay=1.0, max_delay=5.0)

    assert [notifier.delay(n).seconds for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
