"""The audit trail's hash chain: how a row is serialised and hashed, and how a chain is checked.

Each row's hash is sha256 over a canonical JSON serialisation of its fields together with the
previous row's hash, so changing, removing or reordering any sealed row breaks every link after
it. The serialisation is fixed here, in one place, because storage seals rows with it and
`AuditLog.verify` recomputes it: both must agree byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flagpilot.services.clock import utc
from flagpilot.services.stored_records import AuditRecord

DATABASE_ACTOR = "database"
"""The actor of rows written by database triggers for changes made outside the application."""


def state_json(value: Any) -> str | None:
    """The canonical JSON text of a before/after state (None stays None)."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical(record: AuditRecord, prev_hash: str | None) -> bytes:
    """The bytes a row's hash covers: every recorded field and the previous row's hash."""
    fields = {
        "action": record.action,
        "actor": record.actor,
        "after": record.after_value,
        "before": record.before_value,
        "changed_at": utc(record.changed_at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "environment": record.environment,
        "feature_name": record.feature_name,
        "prev_hash": prev_hash,
        "reason": record.reason,
        "scope": record.scope,
        "subject_id": record.subject_id,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def row_hash(record: AuditRecord, prev_hash: str | None) -> str:
    """The hash of `record` chained after a row whose hash is `prev_hash`."""
    return hashlib.sha256(canonical(record, prev_hash)).hexdigest()


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first row where the chain does not hold, and why."""

    record: AuditRecord
    problem: str


class ChainChecker:
    """Walks rows in chain order and remembers the first broken link.

    Feed it the rows page by page (`check`), so a long trail is verified in constant memory.
    """

    def __init__(self) -> None:
        self.checked = 0
        self.broken: BrokenLink | None = None
        self.last_hash: str | None = None

    def check(self, records: Iterable[AuditRecord]) -> None:
        """Check the next rows of the chain (ignored once a broken link was found)."""
        for record in records:
            if self.broken is not None:
                return
            self.checked += 1
            self.broken = self._problem(record)
            self.last_hash = record.hash

    def _problem(self, record: AuditRecord) -> BrokenLink | None:
        if record.hash is None:
            return BrokenLink(record, "the row is not sealed (its hash is missing)")
        if record.prev_hash != self.last_hash:
            return BrokenLink(record, "its prev_hash does not match the previous row's hash")
        if row_hash(record, record.prev_hash) != record.hash:
            return BrokenLink(record, "its contents do not match its hash (the row was altered)")
        return None
