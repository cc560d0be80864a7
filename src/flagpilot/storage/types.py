"""The one column type for moments: aware UTC in, aware UTC out, on SQLite and PostgreSQL alike.

PostgreSQL keeps `timestamptz` and answers in the session's time zone; SQLite keeps text without
any zone and answers naive datetimes. `UtcDateTime` hides both: it binds every moment as UTC (naive
on SQLite, as SQLite stores it) and reads every moment back as an aware UTC `datetime`, so what the
API, the CLI, the audit trail and exports emit is the same on both databases, and repositories
never convert a time themselves. Its DDL is `DateTime(timezone=True)`: no migration changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from flagpilot.services.clock import utc


class UtcDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that only ever holds and yields aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        moment = utc(value)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value)
