"""The snapshot change stream: Server-Sent Events announcing each new snapshot version.

    id: 13
    event: snapshot
    data: {"version":13,"environment":"production"}

SDKs hold a downloaded snapshot and re-download only when told. The generator polls the
provider's cheap `current_version()` every `poll` seconds — a change reaches every listener
within that, without a per-connection subscription to maintain — and sends a comment line every
`heartbeat` seconds so proxies keep an idle connection open. A reconnecting client's
`Last-Event-ID` is compared with the current version: if it missed a change, it hears of it at once.

A server shutting down waits for open responses, and a stream never ends by itself; so the
process calls `close_streams()` when it starts to shut down, and every stream ends within one
poll interval.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from time import monotonic

from flagpilot.api.jsonio import dumps
from flagpilot.services.errors import ServiceError
from flagpilot.services.snapshots import SnapshotProvider

RETRY_MILLISECONDS = 1000

_closing = threading.Event()  # set from a signal handler, read by every stream


def close_streams() -> None:
    """End every change stream in this process (called when the server starts to shut down)."""
    _closing.set()


def reopen_streams() -> None:
    """Allow streams again (for a process that serves again after `close_streams`)."""
    _closing.clear()


def streams_closing() -> bool:
    """Whether `close_streams` has been called."""
    return _closing.is_set()


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
    poll: float = 0.15,
    heartbeat: float = 15.0,
) -> AsyncIterator[bytes]:
    """The stream's bytes: the current version first (unless the client has it), then changes.

    Args:
        snapshots: where versions are read.
        environment: the environment whose snapshot versions are announced.
        last_seen: the client's `Last-Event-ID`, or None for a new client.
        poll: seconds between looks at `current_version()`.
        heartbeat: seconds of silence before a keep-alive comment.
    """
    yield b"retry: %d\n\n" % RETRY_MILLISECONDS
    announced = last_seen
    watermark = -1
    quiet_since = monotonic()
    while not _closing.is_set():
        current = snapshots.current_version()
        if current != watermark:
            watermark = current
            try:
                version = snapshots.get(environment).version
            except ServiceError:  # the environment went away: the client's reconnect gets the 404
                return
            if announced is None or version > announced:
                announced = version
                quiet_since = monotonic()
                yield snapshot_event(version, environment)
        if monotonic() - quiet_since >= heartbeat:
            quiet_since = monotonic()
            yield b": keep-alive\n\n"
        await asyncio.sleep(poll)
