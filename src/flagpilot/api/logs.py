"""Structured logs: one JSON object per line, for log shippers rather than eyes.

Records may carry `extra={"fields": {...}}`; those fields become members of the line.
"""

from __future__ import annotations

import asyncio
import codecs
import io
import logging
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

import orjson

_MILLIS = (*(f".{millis:03d}Z" for millis in range(1000)), ".999Z")
"""The end of a timestamp for each count of milliseconds, looked up rather than formatted (a
time that rounds up to the next second stays in its own: 1000 is `.999`)."""
_MILLIS_BYTES = tuple(end.encode() for end in _MILLIS)


class JsonFormatter(logging.Formatter):
    """Formats a record as `{"ts", "level", "logger", "message", ...fields}`."""

    _second: int = -1
    _prefix: str = ""
    _line_start: bytes = b""
    """`{"ts":"` and the date and time of `_second`, for lines of bytes."""
    _head: tuple[str, str, str, bytes] = ("", "", "", b"")
    """The level name, logger and message of the last line of bytes, and their part of it."""

    def _timestamp(self, created: float) -> str:
        """ISO 8601 UTC with milliseconds; the date-time part is formatted once per second."""
        millis = self._millis(created)
        return self._prefix + (_MILLIS[millis] if 0 <= millis <= 1000 else f".{min(999, millis):03d}Z")

    def _millis(self, created: float) -> int:
        """The milliseconds of `created` within its second, the prefixes made that second's first."""
        second = int(created)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._line_start = b'{"ts":"' + self._prefix.encode()
        return round((created - second) * 1000)

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        extra: dict[str, Any] = dict(fields) if isinstance(fields, dict) else {}
        if record.exc_info:
            extra["exception"] = self.formatException(record.exc_info)
        return self.format_fields(record.created, record.levelname, record.name, record.getMessage(), extra)

    def format_fields(
        self, created: float, level_name: str, logger: str, message: str, fields: dict[str, Any]
    ) -> str:
        """The line of a record made at `created` with these `fields` (what `format` writes)."""
        return orjson.dumps(self._members(created, level_name, logger, message, fields), default=str).decode()

    def format_fields_bytes(
        self, created: float, level_name: str, logger: str, message: str, fields: dict[str, Any]
    ) -> bytes:
        """`format_fields`'s line in UTF-8 with its newline, for a binary stream, without making its `str`.

        Only the fields are given to `orjson`; the members before them are the same from line to
        line but for the time, so they are kept as bytes (a merged dict costs more than the JSON).
        """
        if (  # the fields are not a plain dict, or one takes the place of a member before them
            type(fields) is not dict
            or not fields
            or ("ts" in fields or "level" in fields or "logger" in fields or "message" in fields)
        ):
            members = self._members(created, level_name, logger, message, fields)
            return orjson.dumps(members, default=str, option=orjson.OPT_APPEND_NEWLINE)
        head = self._head
        if head[0] != level_name or head[1] != logger or head[2] != message:
            middle = orjson.dumps({"level": level_name.lower(), "logger": logger, "message": message})
            self._head = head = (level_name, logger, message, b'",' + middle[1:-1] + b",")
        tail = orjson.dumps(fields, default=str, option=orjson.OPT_APPEND_NEWLINE)
        millis = self._millis(created)  # `_timestamp`, as bytes
        if not 0 <= millis <= 1000:
            return b'{"ts":"' + self._timestamp(created).encode() + head[3] + tail[1:]
        return self._line_start + _MILLIS_BYTES[millis] + head[3] + tail[1:]

    def _members(
        self, created: float, level_name: str, logger: str, message: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        line: dict[str, Any] = {
            "ts": self._timestamp(created),
            "level": level_name.lower(),
            "logger": logger,
            "message": message,
        }
        line.update(fields)
        return line


def configure_json_logging(level: int = logging.INFO) -> None:
    """Send every log record to stderr as a JSON line (replacing existing root handlers)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


_PLACEHOLDERS: dict[str, Any] = (
    dict.fromkeys(("pathname", "filename", "module", "funcName", "threadName", "processName", "taskName"), "")
    | dict.fromkeys(("thread", "process", "exc_info", "exc_text", "stack_info"))
    | {"lineno": 0, "args": ()}
)


class FieldsRecord(logging.LogRecord):
    """A log record of structured fields, made in about a microsecond.

    `LogRecord.__init__` looks up the thread, process and source file of every record, which
    costs about as much as serving a widget request; a per-request access log needs none of
    them. They are empty placeholders here (copied in one step), so any formatter still finds
    every standard attribute.
    """

    def __init__(self, name: str, level: int, message: str, fields: dict[str, Any]) -> None:
        # LogRecord.__init__ is deliberately not called: it is the cost this class avoids.
        self.__dict__.update(_PLACEHOLDERS)
        self.name = name
        self.levelno = level
        self.levelname = logging.getLevelName(level)
        self.msg = message
        self.fields = fields
        self.created = created = time.time()
        self.msecs = (created - int(created)) * 1000
        self.relativeCreated = 0.0


def _only_json_stream(logger: logging.Logger) -> tuple[logging.StreamHandler[Any], JsonFormatter] | None:
    """The one JSON stream handler `logger`'s records reach, if that is all they reach."""
    handler: logging.Handler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters or current.disabled:
            return None
        if handlers := current.handlers:
            if handler is not None or len(handlers) > 1:
                return None
            handler = handlers[0]
        if not current.propagate:
            break
        current = current.parent
    if handler is None:
        return None
    formatter = handler.formatter
    if type(handler) is not logging.StreamHandler or type(formatter) is not JsonFormatter or handler.filters:
        return None
    return handler, formatter


def _byte_buffer(stream: object) -> io.BufferedIOBase | None:
    """The byte buffer under text `stream` that a UTF-8 line can go into directly, if there is one.

    Only a standard `io.TextIOWrapper` (not one whose `write` is overridden, which would be
    skipped) in UTF-8 over a buffered byte stream qualifies: its own `write` would put the same
    bytes there, as newlines are not translated on POSIX (a wrapper opened with an explicit
    `newline="\\r\\n"` cannot be told apart, and is not supported). Under `python -u` stderr
    has no buffer: each line is then a system call, as asked for, through the text path.

    The wrapper is made write-through (this flushes it, once): it then holds no text of its own,
    so text written after one of these lines lands after it, and text written before lands
    before. Its buffer is still flushed at the moments it was (a newline when line-buffered, an
    explicit `flush`), so what other writers send, and when, does not change.
    """
    if not isinstance(stream, io.TextIOWrapper) or type(stream).write is not io.TextIOWrapper.write:
        return None
    try:
        utf8 = codecs.lookup(stream.encoding).name == "utf-8"
        buffer = stream.buffer
        if not utf8 or not isinstance(buffer, io.BufferedIOBase) or os.linesep != "\n":
            return None
        if not stream.write_through:
            stream.reconfigure(write_through=True)
    except (LookupError, ValueError, OSError):  # an unknown codec, a detached or closed stream
        return None
    return buffer


class FieldsLog:
    """Structured records of one logger, written straight to its JSON stream when that is where they go.

    The server's own logging configuration sends every record to one `StreamHandler` with a
    `JsonFormatter`. For a per-request access log, building a record and passing it through the
    logger, its parents and the handler costs about as much as answering a widget request, so
    when that configuration is in place the handler's line is built in one call and written
    under the handler's lock: the same line, without the dispatch. Any other configuration (a
    file handler, a filter, a second handler, a test capturing logs) takes the standard path.
    On the event loop that handler is looked up once per flush, not once per line: a logging
    configuration changed in between is followed from the next flush on.

    Python makes stderr line-buffered, so a line written through it is a system call of its
    own. When the stream is a UTF-8 `io.TextIOWrapper` over a byte buffer (stderr is, unless
    Python runs unbuffered), the line goes into that buffer as `orjson`'s bytes, without a
    newline flush; on the event loop the stream is then flushed at most `FLUSH_SECONDS` later,
    once for all the lines since (or sooner, when the buffer fills or another record is written
    through the text stream, which carries the earlier lines out in order). A process killed
    with SIGKILL loses at most that much of its access log. Off the event loop, nothing would
    flush later, so every line is flushed at once.
    """

    FLUSH_SECONDS = 0.05

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self._pending: tuple[logging.StreamHandler[Any], asyncio.AbstractEventLoop, int] | None = None
        """The handler whose flush is due, the loop it is due on, and the thread running that loop."""
        self._sink: tuple[Any, str | None, io.BufferedIOBase | None] = (None, None, None)
        """The stream last written to, its encoding then, and the byte buffer its lines go into."""
        self._route: tuple[logging.StreamHandler[Any], JsonFormatter] | None = None
        """The JSON stream the logger's records reach, as last found: found again after each
        flush, so a changed logging configuration is followed within `FLUSH_SECONDS`."""

    def log(self, level: int, message: str, fields: dict[str, Any]) -> None:
        """Log `fields` as one record of `level`, if the logger is enabled for it."""
        if not self.logger.isEnabledFor(level):
            return
        route = self._route
        if route is None:
            route = self._route = _only_json_stream(self.logger)
        if route is None:
            self.logger.handle(FieldsRecord(self.logger.name, level, message, fields))
            return
        handler, formatter = route
        if level < handler.level:
            return
        created, level_name = time.time(), logging.getLevelName(level)
        try:
            stream = handler.stream
            known, encoding, buffer = self._sink
            if known is not stream or (
                buffer is not None and not (stream.write_through and stream.encoding == encoding)
            ):
                buffer = self._buffer(stream)
            if handler.terminator != "\n":
                buffer = None
            if buffer is not None:
                data = formatter.format_fields_bytes(created, level_name, self.logger.name, message, fields)
                with handler.lock:  # type: ignore[union-attr]  # a Handler's lock exists once it is built
                    buffer.write(data)
            else:
                line = formatter.format_fields(created, level_name, self.logger.name, message, fields)
                with handler.lock:  # type: ignore[union-attr]
                    stream.write(line + handler.terminator)
            pending = self._pending
            # A flush due on the loop this thread runs is recognised without asking which loop
            # that is (`get_running_loop` is a getpid system call on Python 3.11).
            if (
                pending is None
                or pending[0] is not handler
                or pending[2] != threading.get_ident()
                or not pending[1].is_running()
            ):
                self._flush_soon(handler)
        except Exception:  # as Handler.emit does: a broken stream is reported, never raised
            handler.handleError(FieldsRecord(self.logger.name, level, message, fields))

    def _buffer(self, stream: Any) -> io.BufferedIOBase | None:
        """`_byte_buffer(stream)`, remembered with what it depends on that can change."""
        buffer = _byte_buffer(stream)
        self._sink = (stream, getattr(stream, "encoding", None), buffer)
        return buffer

    def _flush_soon(self, handler: logging.StreamHandler[Any]) -> None:
        """Flush `handler` now off the event loop, and within `FLUSH_SECONDS` on it."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on an event loop: nothing would flush later
            self._route = None
            handler.flush()
            return
        # A flush due for another handler (the configuration changed) or on a loop that has
        # ended (an app that serves again) would hold lines back: it is done now.
        self.flush()
        self._pending = (handler, loop, threading.get_ident())
        loop.call_later(self.FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write out what was logged since the last flush."""
        pending, self._pending = self._pending, None
        self._route = None
        if pending is not None:
            handler = pending[0]
            try:
                handler.flush()
            except Exception:
                handler.handleError(FieldsRecord(self.logger.name, logging.ERROR, "flush", {}))
