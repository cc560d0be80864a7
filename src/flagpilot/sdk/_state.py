"""The snapshot a client serves and the health of its link to the server, in one place.

Readers take `snapshot` (one attribute read, no lock): a new snapshot is built completely
off to the side and swapped in by a single assignment. Writers — the background loop, the
fork handler — take the lock, and listeners hear of every change of status or data.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flagpilot.core import Snapshot, state_to_dict
from flagpilot.sdk._status import Change, Source, State, Status

Listener = Callable[[Change], None]
logger = logging.getLogger("flagpilot.sdk")


def changed_keys(old: Snapshot | None, new: Snapshot) -> tuple[str, ...]:
    """The keys of the flags that differ between two snapshots (added, removed or changed)."""
    if old is None:
        return tuple(new.states)
    before, after = old.states, new.states
    keys = [k for k in after if k not in before or state_to_dict(before[k]) != state_to_dict(after[k])]
    keys += [k for k in before if k not in after]
    if old.flags_enabled != new.flags_enabled:
        keys = list(dict.fromkeys([*keys, *after]))
    return tuple(keys)


class ClientState:
    """The served snapshot and the connection's health.

    Args:
        grace: seconds a lost connection is `STALE` before it is reported as `ERROR`.
        clock: monotonic seconds, for tests.

    The state is derived, never stored: fatal → `FATAL`; connected → `READY`; otherwise,
    within `grace` of losing (or, at start, of not yet having) the connection, `STALE` with data
    and `NOT_READY` without, and `ERROR` after it.
    """

    def __init__(self, grace: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.snapshot: Snapshot | None = None
        self.source: Source | None = None
        self.etag: str | None = None
        self.grace = grace
        self._clock = clock
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._disconnected_since: float | None = clock()
        self._fatal = False
        self._message: str | None = None
        self._data_error: str | None = None
        self._reported: Status | None = None

    @property
    def status(self) -> Status:
        """The status now."""
        return Status(self._state(), self.source, self._version(), self._message)

    @property
    def is_fatal(self) -> bool:
        """Whether the server refused the key: nothing will be retried."""
        return self._fatal

    @property
    def data_error(self) -> str | None:
        """Why the last snapshot received could not be used, if it could not."""
        return self._data_error

    def _version(self) -> int | None:
        snapshot = self.snapshot
        return None if snapshot is None else snapshot.version

    def _state(self) -> State:
        if self._fatal:
            return State.FATAL
        since = self._disconnected_since
        if since is None:
            return State.READY if self.snapshot is not None else State.NOT_READY
        if self._clock() - since < self.grace:
            return State.STALE if self.snapshot is not None else State.NOT_READY
        return State.ERROR

    def seconds_until_error(self) -> float | None:
        """How long until a lost connection turns `STALE` into `ERROR`, if that is still ahead."""
        since = self._disconnected_since
        if since is None or self._fatal:
            return None
        left = since + self.grace - self._clock()
        return left if left > 0 else None

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` on every change of status or data (from a background thread)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling `listener`."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def install(self, snapshot: Snapshot, source: Source, etag: str | None = None) -> tuple[str, ...]:
        """Serve `snapshot` from now on; the keys of the flags it changed.

        A snapshot from the network is proof of a working connection, in the same step, so no
        listener ever sees network data reported as stale.
        """
        with self._lock:
            changed = changed_keys(self.snapshot, snapshot)
            self.snapshot, self.source, self.etag = snapshot, source, etag
            self._data_error = None
            if source is Source.NETWORK:
                self._disconnected_since, self._message = None, None
        self._notify(changed)
        return changed

    def refuse_data(self, message: str) -> None:
        """A snapshot arrived that cannot be used: keep the last good one, and say why."""
        logger.warning("flagpilot: ignoring an unusable snapshot: %s", message)
        with self._lock:
            self._data_error = self._message = message
        self._notify()

    def connected(self) -> None:
        """The server answered and the data is current."""
        with self._lock:
            self._disconnected_since = None
            self._message = None
        self._notify()

    def disconnected(self, message: str) -> None:
        """The link to the server is lost (or not yet made); the data may go out of date."""
        with self._lock:
            if self._disconnected_since is None:
                self._disconnected_since = self._clock()
            self._message = message
        self._notify()

    def fail_fatally(self, message: str) -> None:
        """The server refused the key: stop, and say so."""
        logger.error("flagpilot: %s; the client will not retry", message)
        with self._lock:
            self._fatal, self._message = True, message
        self._notify()

    def refresh(self) -> None:
        """Tell listeners if time alone has changed the state (a grace period ran out)."""
        self._notify()

    def after_fork(self) -> None:
        """In a forked child: a lock held by a parent's thread at the fork would never be released."""
        self._lock = threading.Lock()

    def _notify(self, changed: tuple[str, ...] | None = None) -> None:
        status = self.status
        with self._lock:
            if changed is None and status == self._reported:
                return
            self._reported = status
        change = Change(status, changed)
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a listener's bug must not stop the client's updates
                logger.exception("flagpilot: a status listener raised")
