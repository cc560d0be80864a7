"""JSON-line logs: one object per line, fields merged, UTC timestamps with milliseconds."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time
from typing import TYPE_CHECKING

import pytest

from flagpilot.api import JsonFormatter

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from flagpilot.api.logs import FieldsLog


def record(created: float, **fields: object) -> logging.LogRecord:
    entry = logging.LogRecord("flagpilot.access", logging.INFO, __file__, 1, "request", (), None)
    entry.created = created
    entry.fields = fields
    return entry


def test_format__is_one_json_object_with_the_fields() -> None:
    line = JsonFormatter().format(record(1_767_225_600.25, request_id="r1", status=200))

    assert "\n" not in line
    assert json.loads(line) == {
        "ts": "2026-01-01T00:00:00.250Z",
        "level": "info",
        "logger": "flagpilot.access",
        "message": "request",
        "request_id": "r1",
        "status": 200,
    }


def test_format__reuses_the_second_but_not_the_milliseconds() -> None:
    formatter = JsonFormatter()
    first = json.loads(formatter.format(record(1_767_225_600.001)))["ts"]
    second = json.loads(formatter.format(record(1_767_225_600.999)))["ts"]
    later = json.loads(formatter.format(record(1_767_225_601.5)))["ts"]

    assert (first, second, later) == (
        "2026-01-01T00:00:00.001Z",
        "2026-01-01T00:00:00.999Z",
        "2026-01-01T00:00:01.500Z",
    )


class _Fields(dict[str, object]):
    pass


@pytest.mark.parametrize(
    ("level_name", "logger", "message", "fields"),
    [
        ("INFO", "flagpilot.access", "request", {"request_id": "r1", "status": 200, "token_id": None}),
        ("INFO", "flagpilot.access", "request", {}),
        ("WARNING", "flagpilot.access", "request", {"level": "mine", "ts": 1, "extra": [1, {"a": 2.5}]}),
        ("INFO", 'we"ird\\ ☃', "réquest\n", {"message": "replaced", "path": "/café", "when": object()}),
        ("Level 25", "flagpilot.access", "request", _Fields(status=200, logger="other")),
    ],
)
def test_format_fields_bytes__is_the_text_line_in_utf8_with_a_newline(
    level_name: str, logger: str, message: str, fields: dict[str, object]
) -> None:
    formatter = JsonFormatter()
    for created in (1_767_225_600.25, 1_767_225_600.9996, 1_767_225_601.0):
        text = formatter.format_fields(created, level_name, logger, message, fields)
        data = formatter.format_fields_bytes(created, level_name, logger, message, fields)

        assert data == text.encode() + b"\n"


def test_fields_record__works_with_a_standard_formatter() -> None:
    from flagpilot.api.logs import FieldsRecord

    entry = FieldsRecord("flagpilot.access", logging.INFO, "request", {"status": 200})
    line = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(module)s:%(lineno)d %(message)s").format(
        entry
    )

    assert line.endswith("INFO flagpilot.access :0 request")


def _logger_with(name: str, handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_fields_log__to_one_json_stream__writes_the_line_the_handler_would() -> None:
    import io

    from flagpilot.api.logs import FieldsLog, FieldsRecord

    direct, standard = io.StringIO(), io.StringIO()
    handlers = [logging.StreamHandler(direct), logging.StreamHandler(standard)]
    for handler in handlers:
        handler.setFormatter(JsonFormatter())
    fields = {"request_id": "r1", "status": 200, "duration_ms": 0.25, "token_id": None}

    FieldsLog(_logger_with("tests.logs.direct", handlers[0])).log(logging.INFO, "request", dict(fields))
    handlers[1].handle(FieldsRecord("tests.logs.direct", logging.INFO, "request", dict(fields)))

    written, expected = json.loads(direct.getvalue()), json.loads(standard.getvalue())
    assert direct.getvalue().count("\n") == 1
    assert direct.getvalue().endswith("\n")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", written.pop("ts"))
    expected.pop("ts")
    assert written == expected
    assert expected == {"level": "info", "logger": "tests.logs.direct", "message": "request", **fields}


def test_fields_log__with_a_filter_or_another_formatter__takes_the_standard_path() -> None:
    import io

    from flagpilot.api.logs import FieldsLog

    plain = io.StringIO()
    handler = logging.StreamHandler(plain)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = _logger_with("tests.logs.plain", handler)
    FieldsLog(logger).log(logging.INFO, "request", {"status": 200})

    filtered = io.StringIO()
    json_handler = logging.StreamHandler(filtered)
    json_handler.setFormatter(JsonFormatter())
    json_handler.addFilter(lambda entry: getattr(entry, "fields", {}).get("status") != 204)
    quiet = _logger_with("tests.logs.filtered", json_handler)
    FieldsLog(quiet).log(logging.INFO, "request", {"status": 204})
    FieldsLog(quiet).log(logging.INFO, "request", {"status": 200})
    FieldsLog(quiet).log(logging.DEBUG, "request", {"status": 200})

    assert plain.getvalue() == "INFO request\n"
    assert [json.loads(line)["status"] for line in filtered.getvalue().splitlines()] == [200]


class _CountingStream:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.flushes = 0

    def write(self, text: str) -> int:
        self.lines.append(text)
        return len(text)

    def flush(self) -> None:
        self.flushes += 1


def _json_log(name: str) -> tuple[_CountingStream, FieldsLog]:
    from flagpilot.api.logs import FieldsLog

    stream = _CountingStream()
    handler: logging.StreamHandler[_CountingStream] = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    return stream, FieldsLog(_logger_with(name, handler))


def test_fields_log__off_an_event_loop__flushes_every_line() -> None:
    stream, log = _json_log("tests.logs.thread")

    for status in (200, 304):
        log.log(logging.INFO, "request", {"status": status})

    assert stream.flushes == 2
    assert [json.loads(line)["status"] for line in stream.lines] == [200, 304]


@pytest.mark.anyio
async def test_fields_log__on_the_event_loop__flushes_once_for_many_lines_soon_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flagpilot.api.logs import FieldsLog

    monkeypatch.setattr(FieldsLog, "FLUSH_SECONDS", 0.0)
    stream, log = _json_log("tests.logs.loop")

    for status in range(100):
        log.log(logging.INFO, "request", {"status": status})
    flushed_at_once = stream.flushes
    await asyncio.sleep(0)  # the loop runs the flush it was asked for
    await asyncio.sleep(0)

    assert flushed_at_once == 0
    assert stream.flushes == 1
    assert len(stream.lines) == 100


def test_fields_log__a_flush_due_on_a_loop_that_ended__holds_no_line_back_on_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flagpilot.api.logs import FieldsLog

    stream, log = _json_log("tests.logs.loops")

    async def log_one(status: int) -> None:
        log.log(logging.INFO, "request", {"status": status})

    async def log_one_and_let_it_flush(status: int) -> int:
        await log_one(status)
        flushed_at_once = stream.flushes
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return flushed_at_once

    monkeypatch.setattr(FieldsLog, "FLUSH_SECONDS", 3600.0)
    asyncio.run(log_one(200))  # this loop ends with its flush still due
    monkeypatch.setattr(FieldsLog, "FLUSH_SECONDS", 0.0)
    flushed_at_once = asyncio.run(log_one_and_let_it_flush(304))

    assert flushed_at_once == 1  # the first loop's line, written out as the next loop logs
    assert stream.flushes == 2
    assert [json.loads(line)["status"] for line in stream.lines] == [200, 304]


class _Descriptor(io.RawIOBase):
    """A file descriptor's side of a stream: each `write` here is one write(2)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer) -> int:
        chunk = bytes(data)
        self.writes.append(chunk)
        return len(chunk)

    def lines(self) -> list[str]:
        return b"".join(self.writes).decode().splitlines()


def _stderr_like(name: str, encoding: str = "utf-8") -> tuple[_Descriptor, FieldsLog, logging.Logger]:
    """A JSON log on a stream made as Python makes stderr: text, line-buffered, over a byte buffer."""
    from flagpilot.api.logs import FieldsLog

    descriptor = _Descriptor()
    stream = io.TextIOWrapper(io.BufferedWriter(descriptor), encoding=encoding, line_buffering=True)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = _logger_with(name, handler)
    return descriptor, FieldsLog(logger), logger


@pytest.mark.anyio
async def test_fields_log__to_a_line_buffered_stream_on_the_loop__writes_many_lines_at_once_soon_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flagpilot.api.logs import FieldsLog

    # Given a stream that flushes at every newline written through it
    monkeypatch.setattr(FieldsLog, "FLUSH_SECONDS", 0.01)
    descriptor, log, _ = _stderr_like("tests.logs.buffered")

    # When many lines are logged on the event loop
    for status in range(20):
        log.log(logging.INFO, "request", {"status": status})
    written_at_once = len(descriptor.writes)
    await asyncio.sleep(0.05)

    # Then none is written at once, and all of them are, in one write, within the delay
    assert written_at_once == 0
    assert len(descriptor.writes) == 1
    assert [json.loads(line)["status"] for line in descriptor.lines()] == list(range(20))


@pytest.mark.anyio
async def test_fields_log__on_the_loop__keeps_its_place_among_lines_written_through_the_text_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flagpilot.api.logs import FieldsLog

    monkeypatch.setattr(FieldsLog, "FLUSH_SECONDS", 3600.0)
    descriptor, log, logger = _stderr_like("tests.logs.order")
    stream = logger.handlers[0].stream  # type: ignore[attr-defined]
    other = _logger_with("tests.logs.order.other", logger.handlers[0])

    # Given text waiting in the text layer (no newline yet)
    stream.write("unfinished ")
    # When direct lines, standard records and plain text alternate
    log.log(logging.INFO, "request", {"n": 1})
    other.info("standard", extra={"fields": {"n": 2}})
    log.log(logging.INFO, "request", {"n": 3})
    stream.write("plain 4 ")
    log.log(logging.INFO, "request", {"n": 5})
    other.warning("standard", extra={"fields": {"n": 6}})
    log.log(logging.INFO, "request", {"n": 7})
    log.flush()

    # Then they land in the order they were written
    lines = descriptor.lines()
    assert lines[0].startswith("unfinished {")
    assert lines[3].startswith("plain 4 {")
    assert [json.loads(line[line.index("{") :])["n"] for line in lines] == [1, 2, 3, 5, 6, 7]


@pytest.mark.anyio
async def test_fields_log__from_a_worker_thread_while_a_flush_is_due__writes_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flagpilot.api.logs import FieldsLog

    # Given a flush due on the loop in an hour
    monkeypatch.setattr(FieldsLog, "FLUSH_SECONDS", 3600.0)
    descriptor, log, _ = _stderr_like("tests.logs.worker")
    log.log(logging.INFO, "request", {"n": 1})

    # When a thread that runs no loop logs
    await asyncio.to_thread(log.log, logging.INFO, "request", {"n": 2})

    # Then its line (and so the one before) is written out without waiting for the loop's flush
    assert [json.loads(line)["n"] for line in descriptor.lines()] == [1, 2]


def test_fields_log__to_a_line_buffered_stream_off_the_loop__writes_every_line_at_once() -> None:
    descriptor, log, _ = _stderr_like("tests.logs.buffered.thread")

    for status in (200, 304, 404):
        log.log(logging.INFO, "request", {"status": status})
        assert json.loads(descriptor.lines()[-1])["status"] == status

    assert len(descriptor.writes) == 3


def test_fields_log__to_a_binary_buffer__writes_the_bytes_the_text_stream_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flagpilot.api.logs import FieldsRecord

    monkeypatch.setattr(time, "time", lambda: 1_767_225_600.0625)
    fields = {"request_id": "r1", "path": '/fr/café ☃ "q"', "status": 200, "when": time, "token_id": None}
    direct, log, _ = _stderr_like("tests.logs.bytes")
    standard = io.BytesIO()
    handler = logging.StreamHandler(io.TextIOWrapper(standard, encoding="utf-8", line_buffering=True))
    handler.setFormatter(JsonFormatter())

    log.log(logging.WARNING, "request", dict(fields))
    handler.handle(FieldsRecord("tests.logs.bytes", logging.WARNING, "request", dict(fields)))

    assert b"".join(direct.writes) == standard.getvalue()
    assert standard.getvalue().startswith(b'{"ts":"2026-01-01T00:00:00.062Z","level":"warning",')


def test_fields_log__to_a_stream_in_another_encoding__writes_in_that_encoding() -> None:
    descriptor, log, _ = _stderr_like("tests.logs.latin", encoding="latin-1")

    log.log(logging.INFO, "request", {"path": "/café"})

    assert b"".join(descriptor.writes).endswith('"path":"/café"}\n'.encode("latin-1"))


@pytest.fixture
def flush_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flush due on the event loop runs at the loop's next turn."""
    from flagpilot.api.logs import FieldsLog

    monkeypatch.setattr(FieldsLog, "FLUSH_SECONDS", 0.0)


@pytest.mark.anyio
@pytest.mark.usefixtures("flush_at_once")
async def test_fields_log__on_the_loop__follows_a_new_handler_from_the_next_flush() -> None:
    old, log = _json_log("tests.logs.reconfigured")
    log.log(logging.INFO, "request", {"status": 200})

    new, _ = _json_log("tests.logs.reconfigured")  # the logger's handler replaced
    await asyncio.sleep(0)  # the flush due runs
    await asyncio.sleep(0)
    log.log(logging.INFO, "request", {"status": 304})

    assert [json.loads(line)["status"] for line in old.lines] == [200]
    assert [json.loads(line)["status"] for line in new.lines] == [304]
