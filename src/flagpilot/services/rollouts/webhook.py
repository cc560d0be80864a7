"""Webhook delivery of alerts: a JSON POST, retried with exponential backoff, every attempt kept.

The notifier never sleeps and never reads the clock: `emit` queues an alert, and
`deliver_due(now)` makes the attempts that are due at `now` (the server calls it every second
in the replica that holds the leader lock). A failed attempt is retried after 1, 2, 4, ... s up
to `max_delay`, at most `max_attempts` times; a 4xx other than 408/429 is final, since sending
the same body again cannot fix it.

With a `secret`, each request carries `X-Flagpilot-Signature: sha256=<hex HMAC of the body>` so
the receiver can check it came from this server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from flagpilot.services.rollouts.alerts import Alert

RETRYABLE_4XX = frozenset({408, 425, 429})
MAX_ATTEMPT_LOG = 1_000


class PostFailed(Exception):
    """The request could not be made or got no response (connection, timeout, TLS, ...)."""


class HttpPoster(Protocol):
    """Sends one HTTP POST; implemented over httpx in the server layer."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST `body` and return the response status; raise `PostFailed` without a response."""
        ...


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One try at delivering one alert."""

    alert_id: str
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    delivered: bool
    final: bool


@dataclass(slots=True)
class _Pending:
    alert: Alert
    body: bytes
    attempts: int
    due: datetime


def alert_document(alert: Alert) -> dict[str, Any]:
    """The alert as a webhook receiver gets it: the webhook's own document, which an HTTP
    rename does not reach (the alerts route has `flagpilot.api.serialisers.alert_json`)."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "severity": alert.severity.value,
        "featureName": alert.feature_name,
        "environment": alert.environment,
        "message": alert.message,
        "createdAt": alert.created_at.isoformat(),
        "version": alert.version,
        "details": dict(alert.details),
    }


class WebhookNotifier:
    """An `AlertSink` that POSTs each alert to one URL, with retries (thread-safe)."""

    def __init__(
        self,
        poster: HttpPoster,
        url: str,
        *,
        secret: str | None = None,
        max_attempts: int = 6,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        timeout: float = 5.0,
    ) -> None:
        self._poster = poster
        self._url = url
        self._secret = secret.encode() if secret else None
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._timeout = timeout
        self._queue: list[_Pending] = []
        self._log: deque[DeliveryAttempt] = deque(maxlen=MAX_ATTEMPT_LOG)
        self._lock = threading.Lock()

    def emit(self, alert: Alert) -> None:
        """Queue `alert`; its first attempt is due at its `created_at`."""
        document = {"type": "flagpilot.alert", "alert": alert_document(alert)}
        body = json.dumps(document, sort_keys=True).encode()
        with self._lock:
            self._queue.append(_Pending(alert, body, 0, alert.created_at))

    def deliver_due(self, now: datetime) -> list[DeliveryAttempt]:
        """Attempt every delivery due at `now`; returns the attempts made."""
        with self._lock:
            due = [p for p in self._queue if p.due <= now]
            self._queue = [p for p in self._queue if p.due > now]
        made = [self._attempt(pending, now) for pending in due]
        with self._lock:
            self._log.extend(made)
        return made

    def pending(self) -> int:
        """Deliveries waiting for their next attempt."""
        with self._lock:
            return len(self._queue)

    def attempts(self) -> list[DeliveryAttempt]:
        """The most recent delivery attempts, oldest first."""
        with self._lock:
            return list(self._log)

    def delay(self, attempts: int) -> timedelta:
        """Wait before the next try after `attempts` failed ones: base x 2^(n-1), capped."""
        return timedelta(seconds=min(self._max_delay, self._base_delay * 2 ** (attempts - 1)))

    def _attempt(self, pending: _Pending, now: datetime) -> DeliveryAttempt:
        pending.attempts += 1
        status: int | None = None
        error: str | None = None
        try:
            status = self._poster.post(self._url, pending.body, self._headers(pending), self._timeout)
        except PostFailed as exc:
            error = str(exc) or type(exc).__name__
        delivered = status is not None and 200 <= status < 300
        retryable = status is None or status >= 500 or status in RETRYABLE_4XX
        final = delivered or not retryable or pending.attempts >= self._max_attempts
        if not delivered and error is None:
            error = f"HTTP {status}"
        if not final:
            pending.due = now + self.delay(pending.attempts)
            with self._lock:
                self._queue.append(pending)
        return DeliveryAttempt(pending.alert.id, pending.attempts, now, status, error, delivered, final)

    def _headers(self, pending: _Pending) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "flagpilot-webhook",
            "X-Flagpilot-Alert-Id": pending.alert.id,
            "X-Flagpilot-Attempt": str(pending.attempts),
        }
        if self._secret is not None:
            digest = hmac.new(self._secret, pending.body, hashlib.sha256).hexdigest()
            headers["X-Flagpilot-Signature"] = f"sha256={digest}"
        return headers
