"""Outcome counters waiting to be sent to `POST /api/events`, bounded in memory.

`track_outcome` only adds to a counter per (flag, customer, outcome, minute); a background
sender takes batches. While the server is unreachable the counters stay, up to a bound: then the
oldest are dropped and counted, so a long outage costs a known amount of memory and a metric
says what was lost.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_BATCH = 5_000  # the route's limit per request
MAX_COUNT = 10_000  # the route's limit per event

Key = tuple[str, str, str, int]


@dataclass(frozen=True, slots=True)
class OutcomeMetrics:
    """What became of reported outcomes.

    Attributes:
        sent: outcomes the server accepted a batch of.
        dropped: outcomes lost: the buffer was full, or the server refused the batch.
        unattributed: outcomes without a customer id, which a rollout cannot count.
        pending: outcomes waiting to be sent.
    """

    sent: int
    dropped: int
    unattributed: int
    pending: int


class OutcomeBuffer:
    """Counters by (flag, customer, outcome, minute), oldest first, at most `max_pending` of them."""

    def __init__(self, max_pending: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self.max_pending = max(1, max_pending)
        self._clock = clock
        self._counts: OrderedDict[Key, int] = OrderedDict()
        self._lock = threading.Lock()
        self._sent = self._dropped = self._unattributed = 0
        self._in_flight = 0  # taken for a batch, not yet settled: still pending

    def add(self, flag: str, customer: str | None, ok: bool, count: int = 1) -> None:
        """Count `count` outcomes of `flag` for `customer`."""
        if not customer:
            self._unattributed += count
            return
        key = (flag, customer, "success" if ok else "error", int(self._clock() // 60) * 60_000)
        with self._lock:
            self._add(key, count)

    def _add(self, key: Key, count: int) -> None:
        counts = self._counts
        if key in counts:
            counts[key] += count
            return
        while len(counts) >= self.max_pending:
            _, lost = counts.popitem(last=False)
            self._dropped += lost
        counts[key] = count

    def take(self, limit: int = MAX_BATCH) -> list[dict[str, Any]]:
        """Remove and return up to `limit` events, oldest first, in the route's JSON form."""
        taken: list[dict[str, Any]] = []
        with self._lock:
            while self._counts and len(taken) < limit:
                (flag, customer, outcome, minute), count = self._counts.popitem(last=False)
                while count > 0:  # the route caps each event's count
                    part = min(count, MAX_COUNT)
                    taken.append(
                        {
                            "featureName": flag,
                            "customerId": customer,
                            "outcome": outcome,
                            "count": part,
                            "timestamp": minute,
                        }
                    )
                    count -= part
            self._in_flight += sum(event["count"] for event in taken)
        return taken

    def put_back(self, events: list[dict[str, Any]]) -> None:
        """Return events a failed send took; they are older than anything added since."""
        with self._lock:
            self._in_flight -= sum(event["count"] for event in events)
            newer = list(self._counts.items())
            self._counts.clear()
            for event in events:
                key = (event["featureName"], event["customerId"], event["outcome"], event["timestamp"])
                self._add(key, event["count"])
            for key, count in newer:
                self._add(key, count)

    def settle(self, events: list[dict[str, Any]], *, accepted: bool) -> None:
        """Record a batch as sent, or as dropped when the server refused it for good."""
        total = sum(event["count"] for event in events)
        with self._lock:
            self._in_flight -= total
            if accepted:
                self._sent += total
            else:
                self._dropped += total

    def metrics(self) -> OutcomeMetrics:
        """The counts so far."""
        with self._lock:
            pending = sum(self._counts.values()) + self._in_flight
            return OutcomeMetrics(self._sent, self._dropped, self._unattributed, pending)

    def after_fork(self) -> None:
        """In a forked child: start empty (the parent sends what it had) with a fresh lock."""
        self._lock = threading.Lock()
        self._counts = OrderedDict()
        self._sent = self._dropped = self._unattributed = self._in_flight = 0


def settle_reply(buffer: OutcomeBuffer, events: list[dict[str, Any]], status: int | None) -> bool:
    """Account for a batch given the server's answer (None: unreachable); whether to send more.

    Unreachable, 5xx and 429 keep the events for the next attempt; any other refusal (a batch
    the server will never take) drops them, counted, rather than resending them forever.
    """
    if status is not None and 200 <= status < 300:
        buffer.settle(events, accepted=True)
        return True
    if status is None or status >= 500 or status == 429:
        buffer.put_back(events)
        return False
    buffer.settle(events, accepted=False)
    return False
