"""JSON-line logs: one object per line, fields merged, UTC timestamps with milliseconds."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import TYPE_CHECKING

import pytest

from flagpilot.api import JsonFormatter

if TYPE_CHECKING:
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
