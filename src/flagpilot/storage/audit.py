"""The audit trail in `feature_flag_changes`: hash-chained appends, sealing, queries.

Appends and seals happen in the caller's transaction. Write units of work are serialised (see
`flagpilot.storage.uow`), and so are the triggers' rows, so "the previous row" is well defined:
the newest sealed row. Rows written by triggers arrive unsealed; `seal` chains them, in id
order, before the application appends its next row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Table, select, update

from flagpilot.services.audit_chain import DATABASE_ACTOR, row_hash, state_json
from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.clock import utc
from flagpilot.services.stored_records import AuditQuery, AuditRecord
from flagpilot.storage.models import FeatureFlagChange

_TABLE: Table = FeatureFlagChange.__table__  # type: ignore[assignment]
_FIELDS = (
    "id",
    "changed_at",
    "actor",
    "action",
    "scope",
    "feature_name",
    "environment",
    "subject_id",
    "before_value",
    "after_value",
    "reason",
    "prev_hash",
    "hash",
)
_COLUMNS = [_TABLE.c[name] for name in _FIELDS]


def _record(row: Row[Any]) -> AuditRecord:
    values = dict(zip(_FIELDS, row, strict=True))
    changed_at = values["changed_at"]
    if isinstance(changed_at, str):  # written by an SQLite trigger, read through raw SQL
        values["changed_at"] = utc(datetime.fromisoformat(changed_at))
    return AuditRecord(**values)


class SqlAuditTrail:
    """`AuditTrail` on one connection, inside its unit of work's transaction.

    Args:
        connection: the unit of work's connection.
        actor: recorded as the actor of every appended row.
        privileged: a context manager that lifts an organization confinement for the duration
            of an audit write (the trail belongs to no tenant; see `SqlUnitOfWork`).
    """

    def __init__(
        self,
        connection: Connection,
        actor: str,
        privileged: Callable[[], AbstractContextManager[None]],
        now: datetime,
    ) -> None:
        self._connection = connection
        self._actor = actor
        self._now = now
        self._privileged = privileged
        self._head: str | None = None
        self._sealed = False

    def record(self, entry: AuditEntry) -> None:
        """Append `entry`, sealed onto the chain, by this unit of work's actor."""
        self.record_many([entry])

    def record_many(self, entries: Sequence[AuditEntry]) -> None:
        """Append `entries` in order, each chained to the one before, in one statement."""
        if not entries:
            return
        with self._privileged():
            if not self._sealed:
                self._seal()
            rows, head = [], self._head
            for entry in entries:
                record = AuditRecord(
                    id=0,
                    changed_at=self._now,
                    actor=self._actor,
                    action=entry.action,
                    scope=entry.scope,
                    feature_name=entry.feature_name,
                    environment=entry.environment,
                    subject_id=entry.subject_id,
                    before_value=state_json(entry.before),
                    after_value=state_json(entry.after),
                    reason=entry.reason,
                )
                digest = row_hash(record, head)
                values = {name: getattr(record, name) for name in _FIELDS if name != "id"}
                values.update(prev_hash=head, hash=digest)
                rows.append(values)
                head = digest
            self._connection.execute(_TABLE.insert(), rows)
            self._head = head

    def seal(self) -> int:
        """Chain the unsealed rows the triggers wrote; return how many were sealed."""
        with self._privileged():
            return self._seal()

    def _seal(self) -> int:
        last = self._connection.execute(
            select(_TABLE.c.id, _TABLE.c.hash)
            .where(_TABLE.c.hash.is_not(None))
            .order_by(_TABLE.c.id.desc())
            .limit(1)
        ).first()
        last_id, head = (0, None) if last is None else (last.id, last.hash)
        pending = self._connection.execute(
            select(*_COLUMNS)
            .where(_TABLE.c.hash.is_(None), _TABLE.c.id > last_id, _TABLE.c.actor == DATABASE_ACTOR)
            .order_by(_TABLE.c.id)
        ).all()
        for row in pending:
            record = _record(row)
            digest = row_hash(record, head)
            self._connection.execute(
                update(_TABLE).where(_TABLE.c.id == record.id).values(prev_hash=head, hash=digest)
            )
            head = digest
        self._head = head
        self._sealed = True
        return len(pending)

    def query(self, query: AuditQuery) -> list[AuditRecord]:
        """Rows matching `query`, newest first."""
        statement = select(*_COLUMNS).order_by(_TABLE.c.id.desc()).limit(max(1, query.limit))
        if query.feature_name is not None:
            statement = statement.where(_TABLE.c.feature_name == query.feature_name)
        if query.actor is not None:
            statement = statement.where(_TABLE.c.actor == query.actor)
        if query.since is not None:
            statement = statement.where(_TABLE.c.changed_at >= (query.since))
        if query.until is not None:
            statement = statement.where(_TABLE.c.changed_at < (query.until))
        if query.before_id is not None:
            statement = statement.where(_TABLE.c.id < query.before_id)
        with self._privileged():
            return [_record(row) for row in self._connection.execute(statement)]

    def chain(self, after_id: int = 0, limit: int = 1000) -> list[AuditRecord]:
        """Rows in chain order after `after_id`."""
        statement = select(*_COLUMNS).where(_TABLE.c.id > after_id).order_by(_TABLE.c.id).limit(limit)
        with self._privileged():
            return [_record(row) for row in self._connection.execute(statement)]
