"""Alerts: what the automatic checker tells people, and where it tells them.

An `Alert` is a plain record; an `AlertSink` takes it. The in-memory list feeds the UI's banner
and the API; the webhook notifier (see `webhook`) delivers to chat or paging tools; `AlertFanout`
sends one alert to several sinks.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

MAX_KEPT = 1_000


class Severity(StrEnum):
    """How urgent an alert is: critical pages someone, warning wants a look."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Alert:
    """One notification about one rollout.

    Attributes:
        kind: what happened, e.g. `rollout.auto_rollback`, `rollout.auto_pause`.
        severity: how urgent.
        feature_name: the flag key.
        environment: the environment.
        message: one sentence for humans.
        created_at: when.
        version: the rollout's version after the change, so the id is stable across retries
            and a receiver can drop duplicates.
        details: the evidence (JSON-serialisable).
    """

    kind: str
    severity: Severity
    feature_name: str
    environment: str
    message: str
    created_at: datetime
    version: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """A deterministic id: the same change always yields the same id."""
        return f"{self.environment}/{self.feature_name}/v{self.version}/{self.kind}"


class AlertSink(Protocol):
    """Takes alerts; must not block for long (deliveries that can fail are queued)."""

    def emit(self, alert: Alert) -> None:
        """Accept one alert."""
        ...


class InMemoryAlerts:
    """The most recent alerts in memory, newest last, for the UI and the API (thread-safe)."""

    def __init__(self, keep: int = MAX_KEPT) -> None:
        self._alerts: deque[Alert] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def emit(self, alert: Alert) -> None:
        """Keep `alert` (the oldest is dropped past `keep`)."""
        with self._lock:
            self._alerts.append(alert)

    def recent(self, limit: int = 50, *, environment: str | None = None) -> list[Alert]:
        """Up to `limit` most recent alerts, newest first, optionally of one environment."""
        with self._lock:
            kept = list(self._alerts)
        matching = [a for a in reversed(kept) if environment is None or a.environment == environment]
        return matching[:limit]


class AlertFanout:
    """Sends each alert to every sink, in order."""

    def __init__(self, sinks: Iterable[AlertSink]) -> None:
        self._sinks = tuple(sinks)

    def emit(self, alert: Alert) -> None:
        """Hand `alert` to each sink."""
        for sink in self._sinks:
            sink.emit(alert)
