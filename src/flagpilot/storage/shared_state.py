"""What replicas share outside flag state: alert acknowledgements, failed sign-ins, evaluations.

Acknowledgements are audited, so they go through a unit of work. Failed sign-ins and evaluation
counts are not flag state: like the rollout outcome counts they run on their own short
transactions, past the unit of work's state-version lock and commit listeners, so a sign-in
attempt or a flush never queues behind flag writes nor makes a process rebuild its snapshots.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import TypeVar, cast

from sqlalchemy import Connection, Engine, Table, case, delete, select
from sqlalchemy.exc import DBAPIError

from flagpilot.services.alert_acknowledgements import Acknowledgement, check_alert_id
from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.clock import utc, utc_now
from flagpilot.services.evaluations import FlagInEnvironment
from flagpilot.services.ports import UnitOfWorkFactory
from flagpilot.storage.dialect import insert, translate
from flagpilot.storage.engine import WRITE_OPTION
from flagpilot.storage.models import AlertAcknowledgement, FlagEvaluation, LoginFailure
from flagpilot.storage.uow import sql_unit

ACKNOWLEDGEMENTS = cast(Table, AlertAcknowledgement.__table__)
FAILURES = cast(Table, LoginFailure.__table__)
EVALUATIONS = cast(Table, FlagEvaluation.__table__)
READER = "shared-state"
T = TypeVar("T")


class _OwnTransactions:
    """Runs statements on short transactions of their own (reads and writes)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _write(self, work: Callable[[Connection], T]) -> T:
        try:
            with self._engine.connect() as connection:
                connection.execution_options(**{WRITE_OPTION: True})
                result = work(connection)
                connection.commit()
                return result
        except DBAPIError as exc:
            raise translate(exc) from exc

    def _read(self, work: Callable[[Connection], T]) -> T:
        try:
            with self._engine.connect() as connection:
                return work(connection)
        except DBAPIError as exc:
            raise translate(exc) from exc


class SqlAcknowledgements:
    """`AcknowledgementStore` over `alert_acknowledgements`, audited in the same transaction."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    def add(
        self, alert_id: str, actor: str, *, feature_name: str | None = None, environment: str | None = None
    ) -> None:
        """Acknowledge `alert_id` as `actor` (its audit row names them); a repeat is ignored."""
        check_alert_id(alert_id)
        with sql_unit(self._uow_factory, actor, owner="SqlAcknowledgements") as uow:
            statement = insert(uow.connection, ACKNOWLEDGEMENTS).values(
                alert_id=alert_id, acknowledged_by=actor[:128], acknowledged_at=utc_now()
            )
            inserted = uow.connection.execute(
                statement.on_conflict_do_nothing(index_elements=["alert_id"]).returning(
                    ACKNOWLEDGEMENTS.c.alert_id
                )
            ).first()
            if inserted is None:
                return
            uow.audit.record(
                AuditEntry(
                    action="alert.acknowledge",
                    scope="alert",
                    feature_name=feature_name,
                    environment=environment,
                    subject_id=alert_id[:128],
                    after={"alertId": alert_id},
                )
            )
            uow.commit()

    def of(self, alert_ids: Collection[str]) -> dict[str, Acknowledgement]:
        """The acknowledgements of `alert_ids`, in one query."""
        if not alert_ids:
            return {}
        statement = select(ACKNOWLEDGEMENTS).where(ACKNOWLEDGEMENTS.c.alert_id.in_(list(alert_ids)))
        with sql_unit(self._uow_factory, READER, read_only=True, owner="SqlAcknowledgements") as uow:
            rows = uow.connection.execute(statement).all()
        return {
            row.alert_id: Acknowledgement(row.alert_id, row.acknowledged_by, utc(row.acknowledged_at))
            for row in rows
        }


class SqlLoginFailures(_OwnTransactions):
    """`LoginFailureStore` over `login_failures`: one row per failure within the window."""

    def recent(self, login: str, since: datetime) -> list[datetime]:
        """When `login` failed at or after `since`, oldest first."""
        statement = (
            select(FAILURES.c.failed_at)
            .where(FAILURES.c.login == login, FAILURES.c.failed_at >= since)
            .order_by(FAILURES.c.failed_at)
        )
        return self._read(
            lambda connection: [utc(moment) for moment in connection.execute(statement).scalars()]
        )

    def add(self, login: str, at: datetime, forget_before: datetime) -> None:
        """Count a failure; delete every failure older than the window (of any name)."""

        def work(connection: Connection) -> None:
            connection.execute(delete(FAILURES).where(FAILURES.c.failed_at < forget_before))
            connection.execute(FAILURES.insert().values(login=login, failed_at=at))

        self._write(work)

    def clear(self, login: str) -> None:
        """Forget the failures of `login` (it signed in)."""

        def work(connection: Connection) -> None:
            connection.execute(delete(FAILURES).where(FAILURES.c.login == login))

        self._write(work)


class SqlEvaluationStore(_OwnTransactions):
    """`EvaluationStore` over `flag_evaluations`: additive upserts, one transaction per flush."""

    def add(self, counts: Mapping[FlagInEnvironment, int], at: datetime) -> None:
        """Add `counts`; `at` becomes each pair's last-evaluated time (never moved back)."""
        if not counts:
            return

        def work(connection: Connection) -> None:
            statement = insert(connection, EVALUATIONS)
            later = EVALUATIONS.c.last_evaluated_at < statement.excluded.last_evaluated_at
            statement = statement.on_conflict_do_update(
                index_elements=["flag_key", "environment"],
                set_={
                    "evaluations": EVALUATIONS.c.evaluations + statement.excluded.evaluations,
                    "last_evaluated_at": case(
                        (later, statement.excluded.last_evaluated_at), else_=EVALUATIONS.c.last_evaluated_at
                    ),
                },
            )
            connection.execute(
                statement,
                [
                    {
                        "flag_key": key[:128],
                        "environment": environment[:64],
                        "evaluations": n,
                        "last_evaluated_at": at,
                    }
                    for (key, environment), n in counts.items()
                ],
            )

        self._write(work)

    def last_evaluated(self) -> dict[FlagInEnvironment, datetime]:
        """Every (flag, environment) ever evaluated, with when it last was."""
        statement = select(EVALUATIONS.c.flag_key, EVALUATIONS.c.environment, EVALUATIONS.c.last_evaluated_at)
        return self._read(
            lambda connection: {
                (row.flag_key, row.environment): utc(row.last_evaluated_at)
                for row in connection.execute(statement)
            }
        )
