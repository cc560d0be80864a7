"""Outcome events counted in memory per minute, tier and cohort, flushed as additive deltas.

SDKs and widgets report `{"featureName", "customerId", "outcome": "success" | "error",
"count"?, "timestamp"?}` in batches. Each event is attributed to its rollout's current tier and
to *treatment* when the customer has the feature by the hash (bucketed inside the tier's
percentage by the core's own `bucket`, group = flag key), to *whitelisted* when the
customer has it by the whitelist, or to *control* otherwise.

Counting happens in memory; `flush(now)` hands the counts gathered since the last flush to a
`MetricSink` as deltas, which storage *adds* to its rows, so N replicas' counts sum. The server
flushes every `FLUSH_INTERVAL_SECONDS`, so a crash loses at most the last second's counts. A
failed flush puts its counts back, to be retried with the next.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flagpilot.core import SERVING_STATUSES, Problem, Tier, bucket, threshold
from flagpilot.services.ports import MetricSink
from flagpilot.services.rollouts.rollout_records import Cohort, MetricRow, RolloutRecord

FLUSH_INTERVAL_SECONDS = 1.0
MAX_COUNT = 10_000
MAX_AGE_MINUTES = 24 * 60
MAX_SKEW_MINUTES = 5
MAX_ID_LENGTH = 256
"""The longest flag key or customer id an outcome event may carry."""
EVENT_MEMBERS = frozenset({"featureName", "customerId", "outcome", "count", "timestamp"})

_TREATMENT = Cohort.TREATMENT
_CONTROL = Cohort.CONTROL
_WHITELISTED = Cohort.WHITELISTED
_OUTCOMES = {"success": 0, "error": 1}

CounterKey = tuple[int, int, Tier, Cohort]


@dataclass(frozen=True, slots=True)
class IngestResult:
    """How a batch was taken: counted, ignored (no serving rollout), or rejected (malformed)."""

    accepted: int = 0
    ignored: int = 0
    rejected: int = 0


class _Target:
    """A serving rollout, precomputed for the hot loop (no attribute chains, no enum lookups)."""

    __slots__ = ("bound", "group", "rollout_id", "tier", "whitelist")

    def __init__(self, record: RolloutRecord, rollout_id: int) -> None:
        self.rollout_id = rollout_id
        self.tier = record.current_tier
        self.group = record.to_core().group_id or record.feature_name
        self.bound = threshold(record.percentage)
        self.whitelist = frozenset(record.whitelisted_customers)


class OutcomeAggregator:
    """Thread-safe per-minute outcome counters over the serving rollouts of each environment."""

    def __init__(self, sink: MetricSink) -> None:
        self._sink = sink
        self._targets: dict[str, dict[str, _Target]] = {}
        self._counts: dict[CounterKey, list[int]] = {}
        self._lock = threading.Lock()
        self.last_flush: datetime | None = None

    def set_rollouts(self, environment: str, records: Iterable[RolloutRecord]) -> None:
        """Replace what `environment` serves (call on start and whenever its rollouts change)."""
        targets = {
            record.feature_name: _Target(record, record.id)
            for record in records
            if record.environment == environment
            and record.id is not None
            and record.status in SERVING_STATUSES
        }
        with self._lock:
            self._targets[environment] = targets

    def record(self, events: Sequence[Mapping[str, Any]], *, environment: str, now: datetime) -> IngestResult:
        """Count a batch of outcome events reported to `environment` at `now`.

        Events for flags without a serving rollout are ignored; malformed ones (unknown outcome,
        missing customer, count outside 1..10,000, timestamp more than a day old or minutes in
        the future) are rejected. Neither stops the rest of the batch.
        """
        targets = self._targets.get(environment, {})
        now_minute = int(now.timestamp() // 60)
        oldest, newest = now_minute - MAX_AGE_MINUTES, now_minute + MAX_SKEW_MINUTES
        local: dict[CounterKey, list[int]] = {}
        accepted = ignored = rejected = 0
        outcomes = _OUTCOMES
        for event in events:
            target = targets.get(event.get("featureName", ""))
            if target is None:
                ignored += 1
                continue
            customer = event.get("customerId")
            outcome = outcomes.get(event.get("outcome", ""))
            if outcome is None or type(customer) is not str or not customer or len(customer) > MAX_ID_LENGTH:
                rejected += 1
                continue
            count = event.get("count", 1)
            if type(count) is not int or not 0 < count <= MAX_COUNT:
                rejected += 1
                continue
            stamp = event.get("timestamp")
            minute = now_minute if stamp is None else _minute_of(stamp)
            if minute is None or not oldest <= minute <= newest:
                rejected += 1
                continue
            if customer in target.whitelist:
                cohort = _WHITELISTED
            else:
                if not customer.isascii() and not _encodable(customer):
                    rejected += 1  # mmh3 crashes the process on a lone surrogate
                    continue
                cohort = _TREATMENT if bucket(target.group, customer) < target.bound else _CONTROL
            key = (target.rollout_id, minute, target.tier, cohort)
            cell = local.get(key)
            if cell is None:
                local[key] = cell = [0, 0]
            cell[outcome] += count
            accepted += 1
        if local:
            self._merge(local)
        return IngestResult(accepted, ignored, rejected)

    def pending(self) -> int:
        """Counter cells waiting for the next flush."""
        with self._lock:
            return len(self._counts)

    def flush(self, now: datetime) -> int:
        """Hand every count gathered since the last flush to the sink; returns the rows handed.

        If the sink raises, the counts are put back (added to anything counted meanwhile) and
        the error propagates, so nothing is lost and nothing is counted twice.
        """
        with self._lock:
            taken, self._counts = self._counts, {}
        if not taken:
            self.last_flush = now
            return 0
        rows = [
            MetricRow(rid, datetime.fromtimestamp(minute * 60, UTC), tier, cohort, cell[0], cell[1])
            for (rid, minute, tier, cohort), cell in taken.items()
        ]
        try:
            self._sink.add(rows)
        except BaseException:
            self._merge(taken)
            raise
        self.last_flush = now
        return len(rows)

    def _merge(self, counts: Mapping[CounterKey, list[int]]) -> None:
        with self._lock:
            mine = self._counts
            for key, cell in counts.items():
                held = mine.get(key)
                if held is None:
                    mine[key] = list(cell)
                else:
                    held[0] += cell[0]
                    held[1] += cell[1]


def _encodable(text: str) -> bool:
    """Whether `text` is valid UTF-8 material (no lone surrogates, which JSON can smuggle in)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def event_problems(index: int, event: object) -> list[Problem]:
    """What is wrong with the `index`-th event of a batch, each member named (`3.outcome`).

    The one statement of what an outcome event is; `record` counts only events it admits
    (and, beyond it, judges their time against the clock).
    """
    where = f"{index}"
    if not isinstance(event, dict):
        return [Problem("body", where, "must be an object")]
    found = []
    for member in ("featureName", "customerId"):
        value = event.get(member)
        if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
            found.append(
                Problem("body", f"{where}.{member}", f"must be a non-empty string of at most {MAX_ID_LENGTH}")
            )
    outcome = event.get("outcome")
    if not isinstance(outcome, str) or outcome not in _OUTCOMES:  # a list or object is unhashable
        found.append(Problem("body", f"{where}.outcome", 'must be "success" or "error"'))
    count = event.get("count", 1)
    if type(count) is not int or not 0 < count <= MAX_COUNT:
        found.append(Problem("body", f"{where}.count", f"must be a whole number from 1 to {MAX_COUNT}"))
    stamp = event.get("timestamp")
    if stamp is not None and _minute_of(stamp) is None:
        found.append(Problem("body", f"{where}.timestamp", "must be epoch milliseconds or an ISO 8601 time"))
    found.extend(
        Problem("body", f"{where}.{extra}", "is not an event member")
        for extra in event.keys() - EVENT_MEMBERS
    )
    return found


def _minute_of(stamp: object) -> int | None:
    """The epoch minute of a timestamp given as epoch milliseconds or an ISO-8601 string."""
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        return int(stamp // 60_000) if math.isfinite(stamp) else None
    if isinstance(stamp, str):
        try:
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() // 60)
    return None
