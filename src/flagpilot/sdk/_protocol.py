"""How a client keeps its snapshot current, written once for both clients, free of I/O.

`synchronise` is a generator that yields the I/O it needs — fetch the snapshot, open the change
stream, read from it, sleep — and is sent the answers; a driver performs them with a blocking
HTTP client in a thread (`Client`) or with an asynchronous one on the event loop
(`AsyncClient`). The rules live here:

- fetch the snapshot with `If-None-Match`, then follow `/api/sdk/stream` with `Last-Event-ID`,
  and fetch again whenever it announces a version other than the one served;
- a lost connection is retried after `Backoff`'s delay (1 s → 30 s, jittered, reset after a
  healthy minute); the state turns `STALE` at once and `ERROR` after the grace period;
- a stream that does not exist or is not an event stream (a proxy that buffers, an old server)
  falls back to polling with `ETag` every `poll_interval`, trying the stream again now and then;
- 401 or 403 is final: `FATAL`, no retries, so a revoked key never becomes a retry storm;
- a snapshot that cannot be read is refused whole and the last good one kept.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any

from flagpilot.core import InvalidConfiguration, Snapshot, snapshot_from_dict
from flagpilot.sdk._backoff import Backoff
from flagpilot.sdk._options import Options
from flagpilot.sdk._sse import EventParser, LineSplitter, StreamProtocolError
from flagpilot.sdk._state import ClientState
from flagpilot.sdk._status import Source

logger = logging.getLogger("flagpilot.sdk")
SNAPSHOT_PATH = "/api/sdk/snapshot"
STREAM_PATH = "/api/sdk/stream"
EVENTS_PATH = "/api/events"
_NO_STREAM_STATUSES = frozenset({404, 405, 406, 501})


class Unavailable(Exception):
    """The server could not be reached or gave no usable answer; try again later."""


class StreamUnsupported(Unavailable):
    """The change stream is not available here: poll instead."""


class Refused(Exception):
    """The server refused the key (401 or 403): retrying cannot help."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer as the protocol needs it."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Fetch:
    """GET the snapshot (the driver answers with a `Reply`, its body capped in size)."""

    etag: str | None


@dataclass(frozen=True, slots=True)
class OpenStream:
    """GET the change stream and keep it open (answered with a `Reply` of the headers)."""

    last_event_id: str | None


@dataclass(frozen=True, slots=True)
class ReadChunk:
    """Read the next bytes of the open stream (b"" when it ended)."""


@dataclass(frozen=True, slots=True)
class CloseStream:
    """Close the stream, if one is open."""


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait, unless the client is closing."""

    seconds: float


Operation = Fetch | OpenStream | ReadChunk | CloseStream | Sleep
Saver = Callable[[Snapshot, str | None], None]


def refusal(status: int, what: str) -> Exception | None:
    """The error for a refused key, if `status` is one."""
    if status in (401, 403):
        return Refused(f"the server refused the key for the {what} (HTTP {status})")
    return None


def announced_version(data: str) -> int | None:
    """The version a `snapshot` event announces, or None if its data is not what it should be."""
    try:
        parsed = json.loads(data)
    except ValueError:
        return None
    version = parsed.get("version") if isinstance(parsed, dict) else None
    return version if type(version) is int else None


class Synchroniser:
    """The rules above, as a generator of `Operation`s over one `ClientState`.

    Args:
        state: what is served and how healthy the link is.
        options: timings and limits.
        environment: the environment asked for; a snapshot of another one is refused.
        save: called with each new snapshot from the network (the disk cache), or None.
        clock: monotonic seconds, for tests.
    """

    def __init__(
        self,
        state: ClientState,
        options: Options,
        environment: str | None = None,
        save: Saver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state, self.options, self.save, self.clock = state, options, save, clock
        self.environment = environment
        self.backoff = Backoff(options.backoff_initial, options.backoff_max, options.backoff_reset)
        self.stream_again_at = 0.0 if options.stream else float("inf")

    def run(self) -> Generator[Operation, Any, None]:
        """The loop, until the key is refused (the driver stops it when the client closes)."""
        while True:
            healthy_since: float | None = None
            try:
                yield from self.fetch()
                self.state.connected()
                if self.clock() < self.stream_again_at:
                    self.backoff.reset()
                    yield Sleep(self.options.poll_interval)
                    continue
                healthy_since = self.clock()
                yield from self.follow()
                raise Unavailable("the change stream ended")
            except Refused as error:
                self.state.fail_fatally(str(error))
                return
            except StreamUnsupported as error:
                yield CloseStream()
                logger.info("flagpilot: %s; polling every %gs", error, self.options.poll_interval)
                self.stream_again_at = self.clock() + self.options.stream_retry
                yield Sleep(self.options.poll_interval)
            except Unavailable as error:
                yield CloseStream()
                self.state.disconnected(str(error))
                healthy_for = 0.0 if healthy_since is None else self.clock() - healthy_since
                yield Sleep(self.backoff.next_delay(healthy_for))

    def fetch(self) -> Generator[Operation, Any, None]:
        """Download the snapshot unless the one served is still current."""
        state = self.state
        reply: Reply = yield Fetch(state.etag if state.snapshot is not None else None)
        if reply.status == 304 and state.snapshot is not None:
            if state.source is not Source.NETWORK:
                state.install(state.snapshot, Source.NETWORK, state.etag)
            return
        if (refused := refusal(reply.status, "snapshot")) is not None:
            raise refused
        if reply.status != 200:
            raise Unavailable(f"the snapshot route answered HTTP {reply.status}")
        try:
            snapshot = snapshot_from_dict(json.loads(reply.body))
        except (ValueError, InvalidConfiguration) as error:
            message = f"the server sent an unreadable snapshot: {str(error)[:500]}"
            state.refuse_data(message)
            raise Unavailable(message) from error
        wanted = self.environment
        if wanted is not None and snapshot.environment != wanted:
            message = f"the server sent environment {snapshot.environment!r}, not {wanted!r}"
            state.refuse_data(message)
            raise Unavailable(message)
        etag = reply.headers.get("etag")
        state.install(snapshot, Source.NETWORK, etag)
        if self.save is not None:
            self.save(snapshot, etag)

    def follow(self) -> Generator[Operation, Any, None]:
        """Hold the change stream open, fetching on each announcement; returns when it ends."""
        snapshot = self.state.snapshot
        reply: Reply = yield OpenStream(None if snapshot is None else str(snapshot.version))
        if (refused := refusal(reply.status, "change stream")) is not None:
            raise refused
        content_type = reply.headers.get("content-type", "")
        if reply.status in _NO_STREAM_STATUSES or (
            reply.status == 200 and not content_type.startswith("text/event-stream")
        ):
            raise StreamUnsupported(f"no change stream (HTTP {reply.status}, {content_type or 'no type'})")
        if reply.status != 200:
            raise Unavailable(f"the change stream answered HTTP {reply.status}")
        lines, parser = LineSplitter(self.options.max_line), EventParser(self.options.max_line)
        self.state.connected()
        while True:
            chunk: bytes = yield ReadChunk()
            if not chunk:
                return
            try:
                events = [parser.feed(line) for line in lines.feed(chunk)]
            except StreamProtocolError as error:
                raise Unavailable(str(error)) from error
            for event in events:
                if event is not None and event.event == "snapshot" and self._is_news(event.data):
                    yield from self.fetch()

    def _is_news(self, data: str) -> bool:
        version = announced_version(data)
        snapshot = self.state.snapshot
        if version is None:
            logger.warning("flagpilot: ignoring a malformed stream event: %.200s", data)
            return False
        return snapshot is None or version != snapshot.version or self.state.source is not Source.NETWORK
