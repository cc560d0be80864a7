"""`rollout_metrics`: per-minute outcome counts, in a unit of work and on their own transactions.

`SqlMetricStore` reads and adds counts inside a unit of work. `SqlMetricSink` is the outcome
aggregator's sink, on its own short transactions.

Flushes come every second from every replica. They go through neither the unit of work's
state-version lock nor its commit listeners: outcome counts are not flag state, so they must
neither queue behind flag writes nor make every process rebuild its snapshots each second.
`rollout_metrics` has no change trigger for the same reason.

Counts of a rollout deleted meanwhile (its flag was deleted) are dropped, not retried: they
could never be stored, and retrying them would block every later flush.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Row, Table, select
from sqlalchemy.exc import DBAPIError

from flagpilot.core import Tier
from flagpilot.services.rollouts.rollout_records import Cohort, MetricRow
from flagpilot.storage.dialect import insert, translate
from flagpilot.storage.engine import WRITE_OPTION
from flagpilot.storage.models import RolloutMetric
from flagpilot.storage.repositories.rollouts import ROLLOUTS

METRICS = cast(Table, RolloutMetric.__table__)


class SqlMetricStore:
    """`MetricStore` over `rollout_metrics`: additive upserts, reads by time window."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, rows: Sequence[MetricRow]) -> None:
        """Add each row's counts to the stored row with the same key."""
        if not rows:
            return
        statement = insert(self._connection, METRICS)
        statement = statement.on_conflict_do_update(
            index_elements=["rollout_id", "minute", "tier", "cohort"],
            set_={
                "successes": METRICS.c.successes + statement.excluded.successes,
                "errors": METRICS.c.errors + statement.excluded.errors,
            },
        )
        self._connection.execute(
            statement,
            [
                {
                    "rollout_id": row.rollout_id,
                    "minute": row.minute,
                    "tier": row.tier.value,
                    "cohort": row.cohort.value,
                    "successes": row.successes,
                    "errors": row.errors,
                }
                for row in rows
            ],
        )

    def read(self, rollout_id: int, since: datetime, until: datetime | None = None) -> list[MetricRow]:
        """Rows of `rollout_id` with `since <= minute < until`, by minute."""
        statement = (
            select(METRICS)
            .where(
                METRICS.c.rollout_id == rollout_id, METRICS.c.minute >= since
            )
            .order_by(METRICS.c.minute, METRICS.c.tier, METRICS.c.cohort)
        )
        if until is not None:
            statement = statement.where(METRICS.c.minute < until)
        return [_metric_row(row) for row in self._connection.execute(statement)]

    def read_many(self, since: Mapping[int, datetime]) -> dict[int, list[MetricRow]]:
        """For each rollout id in `since`, its rows from that minute on, by minute, in one query."""
        found: dict[int, list[MetricRow]] = {rollout_id: [] for rollout_id in since}
        if not since:
            return found
        statement = (
            select(METRICS)
            .where(
                METRICS.c.rollout_id.in_(list(since)),
                METRICS.c.minute >= min(since.values()),
            )
            .order_by(METRICS.c.rollout_id, METRICS.c.minute, METRICS.c.tier, METRICS.c.cohort)
        )
        for row in self._connection.execute(statement):
            metric = _metric_row(row)
            if metric.minute >= since[metric.rollout_id]:
                found[metric.rollout_id].append(metric)
        return found


def _metric_row(row: Row[Any]) -> MetricRow:
    return MetricRow(
        rollout_id=row.rollout_id,
        minute=row.minute,
        tier=Tier(row.tier),
        cohort=Cohort(row.cohort),
        successes=int(row.successes),
        errors=int(row.errors),
    )


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
