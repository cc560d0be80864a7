"""What differs between SQLite and PostgreSQL, in one place: upserts, times, error translation."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.sql.dml import Insert

from flagpilot.services.errors import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    ServiceError,
    StorageUnavailable,
    WriteContention,
)
from flagpilot.storage.engine import is_postgresql

log = logging.getLogger(__name__)

_PERMISSION_STATES = {"42501"}  # insufficient_privilege, incl. row-level security violations
_CONTENTION_STATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected: aborted, retryable
_DATA_EXCEPTION_CLASS = "22"  # a value the database cannot store: too long, out of range, NUL, ...


def insert(connection: Connection, table: Table) -> Any:
    """`INSERT` in the connection's dialect, the one with `on_conflict_do_update` and `excluded`."""
    module: Any = postgresql if is_postgresql(connection) else sqlite
    return module.insert(table)


def upsert(
    connection: Connection,
    table: Table,
    keys: Sequence[str],
    update: Sequence[str],
    also: Mapping[str, Any] | None = None,
) -> Insert:
    """`INSERT … ON CONFLICT (keys) DO UPDATE SET col = excluded.col, …`, for either database.

    Args:
        connection: decides the dialect.
        table: the table.
        keys: the columns of the unique constraint that decides "already there".
        update: the columns replaced by the new row's values on conflict.
        also: further `SET` expressions on conflict, e.g. `{"version": table.c.version + 1}`.
    """
    statement = insert(connection, table)
    assignments = {name: statement.excluded[name] for name in update}
    assignments.update(also or {})
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(keys), set_=assignments
    )


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def driver_message(exc: BaseException | None) -> str | None:
    """The first line of the database driver's message behind `exc` (its cause), if any: for
    the operator (logs, the CLI), never for an HTTP client."""
    while exc is not None and not isinstance(exc, DBAPIError):
        exc = exc.__cause__
    if exc is None:
        return None
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__


def translate(exc: DBAPIError) -> ServiceError:
    """The service error for a database error that escaped a repository.

    Only a failure to reach the database is `StorageUnavailable` (503); a value the database
    refuses is the request's fault (422), so that it can never make a healthy replica look down.
    The error's detail is ours and reaches clients; the driver's message (table, column and
    constraint names, the values refused) is logged for the operator, never part of an answer.
    """
    state = _sqlstate(exc)
    log.info("database error (sqlstate %s): %s", state, driver_message(exc))
    if state in _PERMISSION_STATES:
        return PermissionDenied("not permitted for this organization")
    if state in _CONTENTION_STATES:
        return WriteContention("a concurrent change aborted this one, nothing was written")
    if isinstance(exc, IntegrityError):
        return Conflict("the change conflicts with stored data (a duplicate or a missing reference)")
    if isinstance(exc, DataError) or (state or "").startswith(_DATA_EXCEPTION_CLASS):
        # The request's fault, not the database's: never a reason to report the database down.
        return InvalidInput("the database cannot store a value of the request (too long, out of range, NUL)")
    if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
        return StorageUnavailable("the database cannot be reached")
    return StorageUnavailable("the database failed to answer")
