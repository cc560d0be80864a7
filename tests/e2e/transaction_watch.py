"""See from outside when one process's write transaction begins and ends, on SQLite and PostgreSQL.

    with transaction_watch(url, process.pid, application_name) as watch:
        watch.wait_begun(60)        # the process holds the write lock: its transaction is open
        watch.wait_ended(60)        # it let go of it: committed (or the process is gone)

- SQLite (WAL): a write transaction holds the WAL write lock, a POSIX lock on byte 120 of the
  `-shm` file, from `BEGIN IMMEDIATE` to its commit; `/proc/locks` lists it with its owner's pid.
- PostgreSQL: a backend gets a transaction id from its first row lock or write (the unit of work
  locks `state_version` first) and shows it in `pg_stat_activity.backend_xid` until it commits;
  the process is found by its `application_name` (set it with `PGAPPNAME`).

A thread polls every couple of milliseconds and notes, in monotonic seconds, when the
transaction was first seen open and when it was first seen closed again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from flagpilot.storage import libpq_url

POLL_SECONDS = 0.002
WAL_WRITE_LOCK_BYTE = "120"


def sqlite_path(url: str) -> Path:
    """The database file of a `sqlite:///…` URL."""
    return Path(url.removeprefix("sqlite:///"))


def _holds_sqlite_write_lock(database: Path, pid: int) -> bool:
    try:
        inode = str(os.stat(f"{database}-shm").st_ino)
    except FileNotFoundError:
        return False
    with open("/proc/locks", encoding="ascii") as locks:
        for line in locks:
            fields = line.split()
            # "1: POSIX  ADVISORY  WRITE 4242 fe:00:1234 120 120" (a waiter has "->" after "1:")
            if (
                len(fields) == 8
                and fields[3] == "WRITE"
                and fields[4] == str(pid)
                and fields[5].rsplit(":", 1)[-1] == inode
                and fields[6] == WAL_WRITE_LOCK_BYTE
            ):
                return True
    return False


@dataclass
class TransactionWatch:
    """When the watched transaction was first seen open (`began`) and closed again (`ended`)."""

    is_open: Callable[[], bool]
    began: float | None = None
    ended: float | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    def poll(self) -> None:
        while not self.stopping.is_set():
            now = time.monotonic()
            if self.is_open():
                self.began = self.began or now
            elif self.began is not None and self.ended is None:
                self.ended = now
            time.sleep(POLL_SECONDS)

    def wait_begun(self, seconds: float) -> bool:
        """Whether the transaction was seen open within `seconds`."""
        return self._wait(lambda: self.began is not None, seconds)

    def wait_ended(self, seconds: float) -> bool:
        """Whether the transaction was seen closed again within `seconds`."""
        return self._wait(lambda: self.ended is not None, seconds)

    def _wait(self, condition: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        return condition()


@contextmanager
def transaction_watch(url: str, pid: int, application_name: str) -> Iterator[TransactionWatch]:
    """Watch the write transaction of process `pid` (on PostgreSQL: of `application_name`)."""
    if url.startswith("sqlite"):
        database = sqlite_path(url)
        watch = TransactionWatch(lambda: _holds_sqlite_write_lock(database, pid))
        with _polling(watch):
            yield watch
        return
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:

        def is_open() -> bool:
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                "AND backend_xid IS NOT NULL",
                (application_name,),
            ).fetchone()
            return bool(row and row[0])

        watch = TransactionWatch(is_open)
        with _polling(watch):
            yield watch


@contextmanager
def _polling(watch: TransactionWatch) -> Iterator[None]:
    thread = threading.Thread(target=watch.poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        watch.stopping.set()
        thread.join(5)


def backend_gone(url: str, application_name: str, seconds: float = 30.0) -> bool:
    """On PostgreSQL, whether every backend of `application_name` has ended within `seconds` (a
    killed client's backend rolls back once it notices); on SQLite, at once."""
    if url.startswith("sqlite"):
        return True
    deadline = time.monotonic() + seconds
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        while time.monotonic() < deadline:
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application_name,)
            ).fetchone()
            if row is not None and row[0] == 0:
                return True
            time.sleep(0.02)
    return False
