"""JSON-line logs: one object per line, fields merged, UTC timestamps with milliseconds."""

from __future__ import annotations

import json
import logging

from flagpilot.api import JsonFormatter


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
