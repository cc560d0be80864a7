"""`Client`: flags evaluated in-process, kept current by a background thread, fork-safe.

    with Client("https://flags.example.com", server_key, "production") as flags:
        if flags.get_boolean("phase2_enhanced_storage", {"customerId": "c-1"}):
            ...

The constructor returns at once: it loads the bootstrap document or the disk cache (if any)
and starts two daemon threads, one following the server, one sending outcome batches and
announcing a grace period's end. Nothing ever waits for the network unless `wait_ready` is
called; `close()` is bounded, idempotent, and stops every part even if one fails.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flagpilot.core import Snapshot
from flagpilot.sdk import _cache, _fork
from flagpilot.sdk._context import ContextLike, to_context
from flagpilot.sdk._options import Options
from flagpilot.sdk._outcomes import MAX_BATCH, OutcomeBuffer, OutcomeMetrics, settle_reply
from flagpilot.sdk._protocol import Synchroniser
from flagpilot.sdk._reading import FlagReader
from flagpilot.sdk._state import ClientState, Listener
from flagpilot.sdk._status import Change, Source, State, Status
from flagpilot.sdk._threaded import HttpDriver, Sockets

logger = logging.getLogger("flagpilot.sdk")
Bootstrap = str | os.PathLike[str] | Mapping[str, Any]
TICK_SECONDS = 0.25


def check_arguments(url: str | None, server_key: str | None, offline: bool) -> None:
    """Refuse a configuration that can never work, before anything is started."""
    if offline:
        return
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"url must be an http:// or https:// URL, not {url!r}")
    if not isinstance(server_key, str) or not server_key.strip():
        raise ValueError("server_key must be a server-SDK token (or pass offline=True)")


class Configured(FlagReader):
    """What both clients share: arguments, the first data, outcome counting and status.

    Args:
        url: the flagpilot server, e.g. `https://flags.example.com`.
        server_key: a server-SDK token.
        environment: the environment to follow; None means the key's, else the server's default.
        bootstrap: a snapshot (wire format, as `GET /api/sdk/snapshot` serves it) as a file or a
            mapping, served until the server answers.
        cache_dir: a folder for the last-known-good snapshot, loaded at start when there is no
            bootstrap and rewritten on every change.
        offline: never contact a server; serve the bootstrap or the cache.
        options: timings and limits (`Options`).

    Raises:
        ValueError: a URL, key or bootstrap that cannot work; nothing has been started then.
    """

    def __init__(
        self,
        url: str | None,
        server_key: str | None = None,
        environment: str | None = None,
        *,
        bootstrap: Bootstrap | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        offline: bool = False,
        options: Options | None = None,
    ) -> None:
        check_arguments(url, server_key, offline)
        self._url = (url or "").rstrip("/")
        self._key = server_key or ""
        self._environment = environment
        self._offline = offline
        self._options = options or Options()
        self._state = ClientState(self._options.grace)
        self._outcomes = OutcomeBuffer(self._options.max_pending_outcomes)
        self._cache_path = None if cache_dir is None else _cache.cache_file(cache_dir, environment)
        self._load_first(bootstrap)
        self._begin()

    def _begin(self) -> None:
        """Start following the server (a client that needs no start-up does nothing)."""

    def _load_first(self, bootstrap: Bootstrap | None) -> None:
        """Fail-static start: the bootstrap document, else the disk cache, else nothing (defaults)."""
        if bootstrap is not None:
            snapshot = _cache.read_bootstrap(bootstrap)
            self._state.install(snapshot, Source.BOOTSTRAP)
        elif self._cache_path is not None and (cached := _cache.load(self._cache_path, self._environment)):
            self._state.install(cached.snapshot, Source.DISK, cached.etag)
        if self._offline:
            if self._state.snapshot is not None:
                self._state.connected()
            else:
                self._state.disconnected("offline, with no bootstrap snapshot and no cache")

    def _save(self, snapshot: Snapshot, etag: str | None) -> None:
        if self._cache_path is not None:
            _cache.save(self._cache_path, snapshot, etag)

    def _synchroniser(self) -> Synchroniser:
        return Synchroniser(self._state, self._options, self._environment, self._save)

    @property
    def status(self) -> Status:
        """The state (`not_ready`, `ready`, `stale`, `error`, `fatal`), the data's source and version."""
        return self._state.status

    @property
    def outcome_metrics(self) -> OutcomeMetrics:
        """Outcomes sent, dropped, unattributed and pending."""
        return self._outcomes.metrics()

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(change)` on each change of status or data, from the background."""
        self._state.add_listener(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling `listener`."""
        self._state.remove_listener(listener)

    def track_outcome(self, flag: str, context: ContextLike, ok: bool) -> None:
        """Count one outcome (success or error) of `flag` for `context`'s customer.

        Rollouts roll back by themselves on these: sent in batches to `POST /api/events`.
        Counting is in memory and never blocks or raises.
        """
        try:
            self._outcomes.add(flag, to_context(context).customer_id, bool(ok))
        except Exception:
            logger.exception("flagpilot: could not count an outcome")


class Client(Configured):
    """A flagpilot client for threaded programs (WSGI servers, workers, scripts); its arguments
    are `Configured`'s."""

    def _begin(self) -> None:
        self._closed = False
        self._close_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._close_deadline = float("inf")
        self._start()
        _fork.register(self)

    def _start(self) -> None:
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._sockets = Sockets()
        self._state.add_listener(self._on_change)
        self._on_change(Change(self._state.status))
        if self._offline or self._state.is_fatal:
            return
        # One thread started here, which starts the other: the constructor waits for one start only.
        self._spawn(self._follow, "flagpilot-sync")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        with self._close_lock:
            if self._closed:
                return
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _on_change(self, change: Change) -> None:
        if change.status.state in (State.READY, State.FATAL):
            self._ready.set()

    def _follow(self) -> None:
        try:
            self._spawn(self._housekeep, "flagpilot-outcomes")
            driver = HttpDriver(
                self._url, self._key, self._environment, self._options, self._stop, self._sockets
            )
            driver.run(self._synchroniser().run())
        except Exception:
            logger.exception("flagpilot: the synchronisation thread failed")

    def _housekeep(self) -> None:
        try:
            driver = HttpDriver(
                self._url, self._key, self._environment, self._options, self._stop, self._sockets
            )
        except Exception:
            logger.exception("flagpilot: the outcome thread failed")
            return
        try:
            next_flush = time.monotonic() + self._options.flush_interval
            while not self._stop.wait(TICK_SECONDS):
                self._state.refresh()  # announces STALE turning ERROR when the grace runs out
                if time.monotonic() >= next_flush:
                    self._flush(driver, self._options.read_timeout)
                    next_flush = time.monotonic() + self._options.flush_interval
            self._flush(driver, self._close_deadline - time.monotonic() - 0.1)
        except Exception:  # a bug here must not end the thread with a traceback on stderr
            logger.exception("flagpilot: the outcome thread failed")
        finally:
            driver.close()

    def _flush(self, driver: HttpDriver, budget: float) -> None:
        deadline = time.monotonic() + budget
        while not self._state.is_fatal and (left := deadline - time.monotonic()) > 0:
            events = self._outcomes.take(MAX_BATCH)
            if not events:
                return
            if not settle_reply(self._outcomes, events, driver.post_events(events, left)):
                return

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until data from the server is served; whether it is (False at once on `fatal`)."""
        self._ready.wait(timeout)
        return self._state.status.state is State.READY

    def close(self) -> None:
        """Stop following the server and send pending outcomes, within `Options.close_timeout`.

        Idempotent; evaluations keep answering from the last snapshot afterwards.
        """
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        deadline = time.monotonic() + self._options.close_timeout
        self._close_deadline = deadline
        steps: list[Callable[[], None]] = [
            self._stop.set,
            self._ready.set,  # wakes `wait_ready` callers: nothing more will arrive
            self._sockets.interrupt,
            lambda: self._join(threads, deadline),
        ]
        for step in steps:
            try:
                step()
            except Exception:
                logger.exception("flagpilot: a part of the client did not close cleanly")
        self._state.remove_listener(self._on_change)

    def _join(self, threads: list[threading.Thread], deadline: float) -> None:
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def after_fork_in_child(self) -> None:
        """Fresh locks, no inherited sockets or pending outcomes, and new threads (unless closed)."""
        self._close_lock = threading.Lock()
        self._state.after_fork()
        self._outcomes.after_fork()
        self._threads = []
        if not self._closed:
            self._state.remove_listener(self._on_change)
            if not self._state.is_fatal:
                self._state.disconnected("restarting after fork")
            self._start()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
