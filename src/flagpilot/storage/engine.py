"""Engines for SQLite and PostgreSQL, built on demand (never at import time).

SQLite needs three things SQLAlchemy does not do by itself: foreign keys switched on for every
connection, WAL (readers never block the writer), and a busy timeout so a second writer waits
instead of failing. Write transactions also begin with `BEGIN IMMEDIATE`: a deferred transaction
that reads first and writes later can be refused outright (`SQLITE_BUSY`) when another writer
committed in between, and no timeout helps with that.

PostgreSQL connections never wait on the server without a bound. A server that is down refuses
connections at once, but one that hangs (stopped, overloaded, behind a dead network path) keeps
its connections open and answers nothing; TCP keepalives do not notice, because the kernel
still acknowledges. So every connection is a `BoundedConnection`: the server cancels a statement
after `statement_timeout` seconds, and the client gives up on any answer that has not come a
second after that (closing the connection, which the pool then discards). A pooled connection is
pinged on checkout within `connect_timeout` seconds, so a hung server costs a new request at most
a ping and a connection attempt before it fails with "storage unavailable".
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.abc import PQGen
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError

SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_SECONDS = 3.0
PG_STATEMENT_TIMEOUT_SECONDS = 30.0
ANSWER_GRACE_SECONDS = 1.0
"""How much longer than the server's own statement timeout the client waits for an answer."""
WRITE_OPTION = "flagpilot_write"
"""Execution option on a connection whose transaction will write (SQLite: `BEGIN IMMEDIATE`)."""


_SCALARS: dict[str | bytes, Any] = {"true": True, "false": False, b"true": True, b"false": False}


def json_value(text: str | bytes) -> Any:
    """The value of the JSON text stored in a JSON column.

    Most stored values are booleans: the parser is skipped for them (snapshot rebuilds decode
    one value per override, 100,000 at a time).
    """
    found = _SCALARS.get(text)
    return found if found is not None else json.loads(text)


def json_text(value: Any) -> str:
    """`value` as the JSON text stored in JSON columns."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def is_sqlite(url: str | URL) -> bool:
    """Whether `url` names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str | URL) -> str | None:
    """The file of an on-disk SQLite database, or None for an in-memory one or another database."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database:
        return None
    if database == ":memory:" or database.startswith("file::memory:") or "mode=memory" in str(parsed):
        return None
    return database


def is_postgresql(target: str | URL | Engine | Connection) -> bool:
    """Whether `target` (a URL, or an engine or connection of one) is a PostgreSQL database: the
    one test of the dialect every PostgreSQL-only path takes."""
    if isinstance(target, Engine | Connection):
        return target.dialect.name == "postgresql"
    return make_url(target).get_backend_name() == "postgresql"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


RV = TypeVar("RV")


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that stops waiting for a server that does not answer.

    `answer_within` bounds every round trip (a statement, a commit, a ping); when it passes, the
    connection is closed (its protocol state is unknown) and `psycopg.OperationalError` raised.
    """

    answer_within: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        """Consume `gen` within `answer_within` seconds (a caller's own `timeout` is its business)."""
        limit = self.answer_within
        if timeout is not None or limit is None:
            return super().wait(gen, interval, timeout)
        began = time.monotonic()
        try:
            return super().wait(gen, interval, limit)
        except psycopg.OperationalError:
            if time.monotonic() - began < limit or self.closed:
                raise
            self.close()
            raise psycopg.OperationalError(f"the database did not answer within {limit:g} s") from None

    @contextmanager
    def answering_within(self, seconds: float) -> Iterator[None]:
        """Bound the round trips in the block by `seconds` instead."""
        held, self.answer_within = self.answer_within, seconds
        try:
            yield
        finally:
            self.answer_within = held


def connect_bounded(
    url: str,
    *,
    connect_timeout: float = PG_CONNECT_TIMEOUT_SECONDS,
    statement_timeout: float = PG_STATEMENT_TIMEOUT_SECONDS,
    **options: Any,
) -> BoundedConnection:
    """A raw `BoundedConnection` to the libpq `url` (for listeners and locks outside the pool)."""
    connection = BoundedConnection.connect(
        url, **_bounded_parameters(connect_timeout, statement_timeout), **options
    )
    connection.answer_within = _answer_within(statement_timeout)
    return connection


def _answer_within(statement_timeout: float | None) -> float | None:
    return None if statement_timeout is None else statement_timeout + ANSWER_GRACE_SECONDS


def _bounded_parameters(connect_timeout: float, statement_timeout: float | None) -> dict[str, Any]:
    parameters: dict[str, Any] = {"connect_timeout": max(1, round(connect_timeout))}
    if statement_timeout is not None:
        parameters["options"] = f"-c statement_timeout={round(statement_timeout * 1000)}"
    return parameters


def _configure_postgresql(engine: Engine, connect_timeout: float, statement_timeout: float | None) -> None:
    answer_within = _answer_within(statement_timeout)

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> BoundedConnection:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_within = answer_within
        return connection

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # SQLAlchemy's own pre-ping would wait as long as a statement may; a ping needs less.
        connection: BoundedConnection = dbapi_connection
        try:
            with connection.answering_within(connect_timeout):
                autocommit = connection.autocommit
                connection.autocommit = True
                connection.execute("SELECT 1")
                connection.autocommit = autocommit
        except psycopg.Error as exc:
            raise DisconnectionError(f"the pooled connection does not answer: {exc}") from exc


def build_engine(
    url: str | URL,
    *,
    connect_timeout: float = PG_CONNECT_TIMEOUT_SECONDS,
    statement_timeout: float | None = None,
    **options: Any,
) -> Engine:
    """An engine for `url`, configured for flagpilot's use of SQLite or PostgreSQL.

    Args:
        url: a SQLAlchemy URL, `sqlite:///path` or `postgresql+psycopg://…`.
        connect_timeout: PostgreSQL: seconds to establish a connection (and to answer a ping).
        statement_timeout: PostgreSQL: seconds a statement may run; the client waits a second
            more for any answer before it gives the connection up (see the module docstring).
            None (commands such as migrations): no limit but the connection's ping.
        **options: passed on to `sqlalchemy.create_engine` (e.g. `poolclass`).
    """
    parsed = make_url(url)
    if is_postgresql(parsed) and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": json_value}
    if is_postgresql(parsed):
        kwargs["connect_args"] = _bounded_parameters(connect_timeout, statement_timeout)
    kwargs.update(options)
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    elif is_postgresql(parsed):
        _configure_postgresql(engine, connect_timeout, statement_timeout)
    return engine


def libpq_url(url: str | URL) -> str:
    """The plain `postgresql://` form of a SQLAlchemy URL, for a raw psycopg connection."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
