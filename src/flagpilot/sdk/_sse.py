"""A Server-Sent Events parser (the WHATWG event-stream format), fed line by line.

Only what the snapshot stream uses is kept: `id`, `event`, `data`, `retry`; comments are
heartbeats. A line longer than `max_line` is refused: a stream is never allowed to make the
client buffer without bound.
"""

from __future__ import annotations

from dataclasses import dataclass


class StreamProtocolError(Exception):
    """The stream sent something that is not a usable event stream."""


@dataclass(frozen=True, slots=True)
class Event:
    """One dispatched event."""

    event: str
    data: str
    id: str | None


class EventParser:
    """Collects fields into events; `feed` returns an event when a blank line ends one."""

    def __init__(self, max_line: int = 65_536) -> None:
        self.max_line = max_line
        self.last_id: str | None = None
        self.retry_ms: int | None = None
        self._event, self._data = "", list[str]()

    def feed(self, line: str) -> Event | None:
        """Take one line (without its line break); the event it completes, if any."""
        if len(line) > self.max_line:
            raise StreamProtocolError(f"a stream line of {len(line)} characters is too long")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self.last_id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> Event | None:
        data, event = self._data, self._event or "message"
        self._event, self._data = "", []
        if not data:
            return None
        return Event(event, "\n".join(data), self.last_id)


class LineSplitter:
    """Splits a byte stream into text lines, refusing to buffer a line longer than `max_line`."""

    def __init__(self, max_line: int = 65_536) -> None:
        self.max_line = max_line
        self._pending = b""

    def feed(self, chunk: bytes) -> list[str]:
        """The complete lines `chunk` ends (a trailing `\\r` is dropped; bad UTF-8 is replaced)."""
        data = self._pending + chunk
        *lines, self._pending = data.split(b"\n")
        if len(self._pending) > self.max_line:
            raise StreamProtocolError(f"a stream line of over {self.max_line} bytes is too long")
        return [line.removesuffix(b"\r").decode("utf-8", "replace") for line in lines]
