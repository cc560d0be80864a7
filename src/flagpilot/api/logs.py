"""Structured logs: one JSON object per line, for log shippers rather than eyes.

Records may carry `extra={"fields": {...}}`; those fields become members of the line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import orjson


class JsonFormatter(logging.Formatter):
    """Formats a record as `{"ts", "level", "logger", "message", ...fields}`."""

    _second: int = -1
    _prefix: str = ""

    def _timestamp(self, created: float) -> str:
        """ISO 8601 UTC with milliseconds; the date-time part is formatted once per second."""
        second = int(created)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._prefix}.{min(999, round((created - second) * 1000)):03d}Z"

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
        line: dict[str, Any] = {
            "ts": self._timestamp(created),
            "level": level_name.lower(),
            "logger": logger,
            "message": message,
        }
        line.update(fields)
        return orjson.dumps(line, default=str).decode()


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
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters or current.disabled:
            return None
        found.extend(current.handlers)
        if len(found) > 1 or not current.propagate:
            break
        current = current.parent
    if len(found) != 1:
        return None
    handler = found[0]
    formatter = handler.formatter
    if type(handler) is not logging.StreamHandler or type(formatter) is not JsonFormatter or handler.filters:
        return None
    return handler, formatter


class FieldsLog:
    """Structured records of one logger, written straight to its JSON stream when that is where they go.

    The server's own logging configuration sends every record to one `StreamHandler` with a
    `JsonFormatter`. For a per-request access log, building a record and passing it through the
    logger, its parents and the handler costs about as much as answering a widget request, so
    when that configuration is in place the handler's line is built in one call and written
    under the handler's lock: the same line, without the dispatch. Any other configuration (a
    file handler, a filter, a second handler, a test capturing logs) takes the standard path.

    On the event loop the stream is flushed at most every `FLUSH_SECONDS` rather than once per
    line (a system call each, at thousands of requests a second): a line is on its way within
    that delay, and a process killed with SIGKILL loses at most that much of its access log.
    """

    FLUSH_SECONDS = 0.05

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self._pending: tuple[logging.StreamHandler[Any], asyncio.AbstractEventLoop] | None = None
        """The handler whose flush is due, and the loop it is due on."""

    def log(self, level: int, message: str, fields: dict[str, Any]) -> None:
        """Log `fields` as one record of `level`, if the logger is enabled for it."""
        if not self.logger.isEnabledFor(level):
            return
        route = _only_json_stream(self.logger)
        if route is None:
            self.logger.handle(FieldsRecord(self.logger.name, level, message, fields))
            return
        handler, formatter = route
        if level < handler.level:
            return
        name = self.logger.name
        line = formatter.format_fields(time.time(), logging.getLevelName(level), name, message, fields)
        try:
            with handler.lock:  # type: ignore[union-attr]  # a Handler's lock exists once it is built
                handler.stream.write(line + handler.terminator)
            self._flush_soon(handler)
        except Exception:  # as Handler.emit does: a broken stream is reported, never raised
            handler.handleError(FieldsRecord(self.logger.name, level, message, fields))

    def _flush_soon(self, handler: logging.StreamHandler[Any]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on an event loop: nothing would flush later
            handler.flush()
            return
        if self._pending == (handler, loop):
            return  # a flush is already due
        # A flush due for another handler (the configuration changed) or on a loop that has
        # ended (an app that serves again) would hold lines back: it is done now.
        self.flush()
        self._pending = (handler, loop)
        loop.call_later(self.FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write out what was logged since the last flush."""
        pending, self._pending = self._pending, None
        if pending is not None:
            handler = pending[0]
            try:
                handler.flush()
            except Exception:
                handler.handleError(FieldsRecord(self.logger.name, logging.ERROR, "flush", {}))
