"""Who has seen which rollout alert: kept where every replica reads it, so it survives a restart.

Alerts have deterministic ids (`Alert.id`: environment, flag, version, kind), so an
acknowledgement made on one replica marks the same alert on every other one, and the first
acknowledgement is the one kept. Each acknowledgement is audited under the user who made it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flagpilot.core import Problem
from flagpilot.services.clock import utc_now
from flagpilot.services.errors import InvalidInput

MAX_ALERT_ID = 255


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """An alert someone has seen."""

    alert_id: str
    actor: str
    acknowledged_at: datetime


class AcknowledgementStore(Protocol):
    """Where acknowledgements live."""

    def add(
        self, alert_id: str, actor: str, *, feature_name: str | None = None, environment: str | None = None
    ) -> None:
        """Acknowledge `alert_id` as `actor`, with its audit row; a second acknowledgement is ignored."""
        ...

    def of(self, alert_ids: Collection[str]) -> dict[str, Acknowledgement]:
        """The acknowledgements of those of `alert_ids` that have one."""
        ...


def check_alert_id(alert_id: str) -> str:
    """The alert id if it can be one; `InvalidInput` naming the field otherwise."""
    if not alert_id.strip() or len(alert_id) > MAX_ALERT_ID:
        raise InvalidInput(
            "an acknowledgement needs the alert's id",
            [Problem("(alert)", "id", f"must be 1 to {MAX_ALERT_ID} characters")],
        )
    return alert_id


class MemoryAcknowledgements:
    """`AcknowledgementStore` in this process only (no database, tests)."""

    def __init__(self) -> None:
        self._seen: dict[str, Acknowledgement] = {}
        self._lock = threading.Lock()

    def add(
        self, alert_id: str, actor: str, *, feature_name: str | None = None, environment: str | None = None
    ) -> None:
        with self._lock:
            self._seen.setdefault(alert_id, Acknowledgement(alert_id, actor, utc_now()))

    def of(self, alert_ids: Collection[str]) -> dict[str, Acknowledgement]:
        with self._lock:
            return {alert_id: self._seen[alert_id] for alert_id in alert_ids if alert_id in self._seen}
