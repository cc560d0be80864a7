"""The snapshot change stream: Server-Sent Events announcing each new snapshot version.

    id: 13
    event: snapshot
    data: {"version":13,"environment":"production"}

SDKs hold a downloaded snapshot and re-download only when told. One `ChangeBroadcast` per app
wakes every open stream at once when the snapshot version moved: told by the snapshot cache
after each of its refreshes (the process's one change detector), or, for a provider that cannot
tell, by looking at its cheap `current_version()` every `poll` seconds. A thousand streams cost
one look per refresh or poll, not a thousand. A
stream otherwise sleeps until woken or until its `heartbeat` is due, when it sends a comment
line so proxies keep an idle connection open. A reconnecting client's `Last-Event-ID` is
compared with the current version: if it missed a change, it hears of it at once.

A server shutting down waits for open responses, and a stream never ends by itself; so the
app's broadcast is closed when the server starts to shut down, and every stream ends at once.
The broadcast belongs to one app: two apps in one process share nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from time import monotonic

from flagpilot.api.jsonio import dumps
from flagpilot.services.errors import ServiceError
from flagpilot.services.snapshots import RefreshSignal, SnapshotProvider

RETRY_MILLISECONDS = 1000
DEFAULT_POLL_SECONDS = 0.15


class ChangeBroadcast:
    """Wakes the change streams of one app when the snapshot version moves, or when it closes.

    With `refreshes`, a listener added with the first stream and removed with the last hands
    each refresh over to the serving loop, which looks at the version once and wakes the streams
    if it moved. Without, the watcher is an asyncio task on the serving loop, started with the
    first stream and stopped with the last. Either way an app with no open stream does no work.

    Args:
        snapshots: whose `current_version()` is watched.
        poll: seconds between looks, without `refreshes`.
        refreshes: tells after each refresh of `snapshots` (the snapshot cache).
    """

    def __init__(
        self,
        snapshots: SnapshotProvider,
        poll: float = DEFAULT_POLL_SECONDS,
        *,
        refreshes: RefreshSignal | None = None,
    ) -> None:
        self._snapshots = snapshots
        self._poll = poll
        self._refreshes = refreshes
        self._seen = 0
        self._closing = threading.Event()
        self._waiters: set[asyncio.Event] = set()
        self._watcher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def closing(self) -> bool:
        """Whether `close` has been called (and `reopen` not since)."""
        return self._closing.is_set()

    def close(self) -> None:
        """End every stream of this app; safe to call from a signal handler or another thread."""
        self._closing.set()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile: nothing waits
                loop.call_soon_threadsafe(self._wake_all)

    def reopen(self) -> None:
        """Allow streams again (an app that serves again after it was closed)."""
        self._closing.clear()

    @contextlib.asynccontextmanager
    async def subscription(self) -> AsyncIterator[asyncio.Event]:
        """An event set whenever the version moves or the broadcast closes (clear it after waking)."""
        woken = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        first = not self._waiters
        self._waiters.add(woken)
        if self._refreshes is not None:
            if first:
                self._seen = self._snapshots.current_version()
                self._refreshes.add_refresh_listener(self._refreshed)
        elif self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch(), name="flagpilot-change-broadcast")
        try:
            yield woken
        finally:
            self._waiters.discard(woken)
            if not self._waiters:
                if self._refreshes is not None:
                    self._refreshes.remove_refresh_listener(self._refreshed)
                if self._watcher is not None:
                    self._watcher.cancel()
                    self._watcher = None

    def _refreshed(self) -> None:
        """On the refreshing thread: look at the version on the serving loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile: nothing waits
                loop.call_soon_threadsafe(self._look)

    def _look(self) -> None:
        current = self._snapshots.current_version()
        if current != self._seen:
            self._seen = current
            self._wake_all()

    async def _watch(self) -> None:
        seen = self._snapshots.current_version()
        while not self._closing.is_set():
            await asyncio.sleep(self._poll)
            current = self._snapshots.current_version()
            if current != seen:
                seen = current
                self._wake_all()

    def _wake_all(self) -> None:
        for woken in self._waiters:
            woken.set()


def snapshot_event(version: int, environment: str) -> bytes:
    """One SSE message announcing `version` of `environment`."""
    data = dumps({"version": version, "environment": environment})
    return b"id: %d\nevent: snapshot\ndata: %s\n\n" % (version, data)


def parse_last_event_id(value: str | None) -> int | None:
    """The version a reconnecting client last heard of, if it sent a usable one."""
    if value is None or not value.strip().isdigit() or len(value) > 20:
        return None
    return int(value)


async def snapshot_events(
    snapshots: SnapshotProvider,
    environment: str,
    last_seen: int | None,
    poll: float = DEFAULT_POLL_SECONDS,
    heartbeat: float = 15.0,
    broadcast: ChangeBroadcast | None = None,
) -> AsyncIterator[bytes]:
    """The stream's bytes: the current version first (unless the client has it), then changes.

    Args:
        snapshots: where versions are read.
        environment: the environment whose snapshot versions are announced.
        last_seen: the client's `Last-Event-ID`, or None for a new client.
        poll: seconds between looks at the version, for a stream without `broadcast`.
        heartbeat: seconds of silence before a keep-alive comment.
        broadcast: the app's broadcast that wakes this stream (a stream of its own if None).
    """
    changes = broadcast or ChangeBroadcast(snapshots, poll)
    yield b"retry: %d\n\n" % RETRY_MILLISECONDS
    announced = last_seen
    quiet_since = monotonic()
    async with changes.subscription() as woken:
        while not changes.closing:
            woken.clear()
            try:
                version = snapshots.get(environment).version
            except ServiceError:  # the environment went away: the client's reconnect gets the 404
                return
            if announced is None or version > announced:
                announced = version
                quiet_since = monotonic()
                yield snapshot_event(version, environment)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), max(0.0, heartbeat - (monotonic() - quiet_since)))
            if monotonic() - quiet_since >= heartbeat:  # silent too long, woken by others or not
                quiet_since = monotonic()
                yield b": keep-alive\n\n"
