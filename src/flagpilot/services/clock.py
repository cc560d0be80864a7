"""The one clock of the process, and the one way a moment becomes aware UTC.

Every timestamp flagpilot writes, compares or emits (API, CLI, audit trail, exports) is an aware
UTC `datetime`. Services take the current time as a parameter (`now`) or as a `Clock` they were
given, so tests can fix it; whatever needs the real time calls `utc_now`, and nothing else calls
`datetime.now`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Where a component reads the current time: `utc_now`, or a fixed clock in tests."""


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def utc(moment: datetime) -> datetime:
    """`moment` as an aware UTC datetime (a naive one is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
