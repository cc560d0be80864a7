"""How a process learns of changes other processes made, without asking the database per request.

PostgreSQL: a dedicated session connection runs `LISTEN flagpilot_changes` in a daemon thread;
the change triggers `NOTIFY` with the new state version. The connection is a plain psycopg
session outside the pool (a transaction-pooling PgBouncer cannot carry LISTEN). After every
(re)connection the cache is told a change may have been missed, so nothing is lost while
disconnected; reconnection backs off exponentially up to 5 seconds. Because a listener can
be silently deaf (a transaction-pooling PgBouncer drops LISTEN without an error), it sends itself
a notification through a separate connection at start and every 30 seconds; when that echo does
not come back within 2 seconds it logs an error and reports itself unhealthy (exported as
`flagpilot_listen_healthy 0`) until one does. The snapshot cache's one-second version poll keeps
the process current meanwhile.

SQLite: a daemon thread polls `PRAGMA data_version` on its own connection every 200 ms. The
value changes whenever another connection commits, e.g. the sqlite3 shell or another process.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import threading
import time
from pathlib import Path

import psycopg
from sqlalchemy import Engine

from flagpilot.services.ports import ChangeCallback, ChangeWatcher
from flagpilot.storage.engine import connect_bounded, is_postgresql, libpq_url, sqlite_file

CHANNEL = "flagpilot_changes"
POLL_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
KEEPALIVE_SECONDS = 30.0
ECHO_SECONDS = 30.0
ECHO_TIMEOUT_SECONDS = 2.0
ECHO_PREFIX = "echo:"
LISTENER_NAME = "flagpilot-listen"
"""The listener connection's `application_name`, to find it in `pg_stat_activity`."""

log = logging.getLogger(__name__)


class _Watcher:
    """A daemon thread that runs `_watch` until stopped."""

    name = "flagpilot-watcher"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_change: ChangeCallback = lambda _version: None

    def start(self, on_change: ChangeCallback) -> None:
        """Start the thread; `on_change` is called from it."""
        if self._thread is not None:
            return
        self._on_change = on_change
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it (at most a few seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def healthy(self) -> bool | None:
        """Whether changes are known to arrive; None: a poller cannot miss any."""
        return None

    def _notify(self, version: int | None) -> None:
        try:
            self._on_change(version)
        except Exception:  # the watcher must outlive a failing callback
            log.exception("change callback failed")

    def _watch(self) -> None:
        raise NotImplementedError


class PostgresChangeListener(_Watcher):
    """`ChangeWatcher` by LISTEN/NOTIFY on a dedicated connection, with a self-addressed echo.

    Args:
        url: the database URL (SQLAlchemy or libpq form).
        echo_seconds: how often the listener sends itself a notification.
        echo_timeout: how long that notification may take to come back.
    """

    name = "flagpilot-listen"

    def __init__(
        self, url: str, echo_seconds: float = ECHO_SECONDS, echo_timeout: float = ECHO_TIMEOUT_SECONDS
    ) -> None:
        super().__init__()
        self._url = libpq_url(url)
        self._echo_seconds = echo_seconds
        self._echo_timeout = echo_timeout
        self._echo: tuple[str, float] | None = None  # (payload, sent at) awaiting its return
        self._echoed_at: float | None = None
        self._healthy = False
        self.connected = threading.Event()

    def healthy(self) -> bool:
        """Whether the last echo came back in time (False until the first one does)."""
        return self._healthy

    def _watch(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self._listen()
                backoff = 0.5
            except (psycopg.Error, OSError) as exc:
                self.connected.clear()
                self._healthy, self._echo = False, None
                log.warning("change listener lost the database (%s); retrying in %.1fs", exc, backoff)
                self._notify(None)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _listen(self) -> None:
        with connect_bounded(self._url, autocommit=True, application_name=LISTENER_NAME) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self.connected.set()
            self._notify(None)  # whatever happened while not listening
            self._echoed_at = None
            last_keepalive = time.monotonic()
            while not self._stop.is_set():
                self._check_echo()
                for notification in connection.notifies(timeout=0.25):
                    self._received(notification.payload)
                if time.monotonic() - last_keepalive > KEEPALIVE_SECONDS:
                    connection.execute("SELECT 1")
                    last_keepalive = time.monotonic()
        self.connected.clear()

    def _received(self, payload: str) -> None:
        if payload.startswith(ECHO_PREFIX):  # ours proves the path works; other replicas' say nothing
            if self._echo is not None and payload == self._echo[0]:
                if not self._healthy:
                    log.info("change notifications arrive again")
                self._healthy, self._echo = True, None
            return
        self._notify(int(payload) if payload.isdigit() else None)

    def _check_echo(self) -> None:
        now = time.monotonic()
        if self._echo is not None:
            if now - self._echo[1] > self._echo_timeout:
                log.error(
                    "change notifications do not arrive: the listener's echo did not come back within "
                    "%.0f s (a transaction-pooling proxy in front of PostgreSQL drops LISTEN); "
                    "the version poll keeps this process current within a second",
                    self._echo_timeout,
                )
                self._healthy, self._echo = False, None
            return
        if self._echoed_at is None or now - self._echoed_at >= self._echo_seconds:
            self._echoed_at = now
            self._send_echo()

    def _send_echo(self) -> None:
        payload = f"{ECHO_PREFIX}{secrets.token_hex(8)}"
        self._echo = (payload, time.monotonic())
        try:  # through another connection, the way writers' notifications travel
            with connect_bounded(self._url, autocommit=True) as sender:
                sender.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
        except psycopg.Error as exc:
            log.warning("could not send the listener's echo: %s", exc)


class SqliteDataVersionPoller(_Watcher):
    """`ChangeWatcher` by polling `PRAGMA data_version`.

    Args:
        path: the database file.
        interval: seconds between polls.
    """

    name = "flagpilot-poll"

    def __init__(self, path: str | Path, interval: float = POLL_SECONDS) -> None:
        super().__init__()
        self._path = str(path)
        self._interval = interval

    def _watch(self) -> None:
        connection: sqlite3.Connection | None = None
        last: int | None = None
        while not self._stop.wait(self._interval):
            try:
                if connection is None:
                    connection = sqlite3.connect(
                        f"file:{self._path}?mode=rw", uri=True, check_same_thread=False
                    )
                current = int(connection.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error as exc:
                log.warning("change poller cannot read %s: %s", self._path, exc)
                if connection is not None:
                    connection.close()
                connection, last = None, None
                self._notify(None)
                continue
            if last is not None and current != last:
                self._notify(None)
            last = current
        if connection is not None:
            connection.close()


def change_watcher(engine: Engine, *, listen: bool = True) -> ChangeWatcher | None:
    """The watcher for `engine`'s database, or None for an in-memory SQLite database.

    Args:
        engine: the database.
        listen: False leaves PostgreSQL without a listener (`FLAGPILOT_LISTEN=false`, e.g.
            behind a transaction-pooling proxy): the version poll alone propagates changes.
    """
    if is_postgresql(engine.url):
        url = engine.url.render_as_string(hide_password=False)
        return PostgresChangeListener(url) if listen else None
    database = sqlite_file(engine.url)
    return None if database is None else SqliteDataVersionPoller(database)
