"""Which replica does the work that must happen once: the rollback checker and webhook delivery.

On PostgreSQL the leader is the replica holding a session-level advisory lock
(`pg_try_advisory_lock`) on a dedicated connection. Whoever holds it keeps it while its
connection lives; if the replica dies or its connection drops, PostgreSQL releases the lock and
the next replica to ask takes over within a tick. Leadership only decides who *looks*: every
transition is still guarded by the rollout's version, so even two checkers could never apply one
verdict twice.

On SQLite the database is one machine's file: the leader is the process holding an exclusive
`flock` on `<database>.leader` (so `serve --workers 4` still runs one checker), and an in-memory
database's single process always leads.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

import psycopg
from sqlalchemy import Engine

from flagpilot.storage.engine import connect_bounded, is_postgresql, libpq_url, sqlite_file

LOCK_KEY = 0x666C_6167_7069_6C74 & 0x7FFF_FFFF_FFFF_FFFF
"""The advisory lock's key ("flagpilt" in ASCII, as a positive bigint)."""

log = logging.getLogger(__name__)


class Leadership(Protocol):
    """Asked every tick whether this process leads; `release` gives leadership up."""

    def held(self) -> bool:
        """Whether this process leads now (tries to become leader if it does not)."""
        ...

    def release(self) -> None:
        """Give leadership up (on shutdown)."""
        ...


class AlwaysLeader:
    """The only process there can be (an in-memory SQLite database)."""

    def held(self) -> bool:
        """Always."""
        return True

    def release(self) -> None:
        """Nothing to give up."""


class AdvisoryLockLeader:
    """Leadership by a PostgreSQL advisory lock held on a dedicated connection."""

    def __init__(self, url: str, key: int = LOCK_KEY) -> None:
        self._url = libpq_url(url)
        self._key = key
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def held(self) -> bool:
        """Check the held lock's connection is alive, or try to take the lock."""
        try:
            if self._connection is not None:
                self._connection.execute("SELECT 1")
                return True
            connection = connect_bounded(self._url, autocommit=True)
            row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
            if row is not None and row[0] is True:
                self._connection = connection
                log.info("this replica now runs the rollback checker and webhook delivery")
                return True
            connection.close()
        except psycopg.Error as exc:
            if self._connection is not None:
                log.warning("lost the leader lock's connection (%s)", exc)
            self._drop()
        return False

    def release(self) -> None:
        """Unlock and close the lock's connection."""
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
        self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()
            self._connection = None


class FileLockLeader:
    """Leadership by an exclusive `flock` on a file beside the SQLite database."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[bytes] | None = None

    def held(self) -> bool:
        """Whether this process holds the lock (taking it if it is free)."""
        if self._file is not None:
            return True
        handle = self._path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        """Unlock and close the lock file (left in place: removing it would race)."""
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def leadership(engine: Engine) -> Leadership:
    """The leader election that fits `engine`'s database."""
    url = engine.url
    if is_postgresql(url):
        return AdvisoryLockLeader(url.render_as_string(hide_password=False))
    database = sqlite_file(url)
    if database is None:
        return AlwaysLeader()
    return FileLockLeader(Path(os.path.abspath(database) + ".leader"))
