"""The outcome aggregator's `MetricSink` on its own short transactions.

Flushes come every second from every replica. They go through neither the unit of work's
state-version lock nor its commit listeners: outcome counts are not flag state, so they must
neither queue behind flag writes nor make every process rebuild its snapshots each second.
`rollout_metrics` has no change trigger for the same reason.

Counts of a rollout deleted meanwhile (its flag was deleted) are dropped, not retried: they
could never be stored, and retrying them would block every later flush.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from flagpilot.services.rollouts.records import MetricRow
from flagpilot.storage.dialect import translate
from flagpilot.storage.engine import WRITE_OPTION
from flagpilot.storage.repositories.rollout_lifecycle import SqlMetricStore
from flagpilot.storage.repositories.rollouts import ROLLOUTS


class SqlMetricSink:
    """Adds flushed counts to `rollout_metrics` in one transaction per flush."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, rows: Sequence[MetricRow]) -> None:
        """Add `rows` (additive upserts); a database error is raised as a service error."""
        if not rows:
            return
        try:
            with self._engine.connect() as connection:
                connection.execution_options(**{WRITE_OPTION: True})
                kept = _of_existing_rollouts(connection, rows)
                SqlMetricStore(connection).add(kept)
                connection.commit()
        except DBAPIError as exc:
            raise translate(exc) from exc


def _of_existing_rollouts(connection: Connection, rows: Sequence[MetricRow]) -> list[MetricRow]:
    wanted = {row.rollout_id for row in rows}
    existing = set(connection.execute(select(ROLLOUTS.c.id).where(ROLLOUTS.c.id.in_(wanted))).scalars())
    return [row for row in rows if row.rollout_id in existing]
