"""`flagpilot_db_query_duration_seconds`: how long each SQL statement of this process takes.

Timed with SQLAlchemy's cursor events on the engine, so every query is measured — units of
work, snapshot rebuilds, metric flushes — without any repository knowing. The alert rule
"database query time > 100 ms" (deploy/prometheus) reads its 95th percentile.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Histogram
from sqlalchemy import Engine, event

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_STARTED = "flagpilot_query_started"


def query_timer(engine: Engine) -> Histogram:
    """A histogram of `engine`'s statement times (a collector for `ApiDependencies.collectors`)."""
    histogram = Histogram(
        "flagpilot_db_query_duration_seconds",
        "Time to execute one SQL statement.",
        buckets=BUCKETS,
        registry=None,
    )

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info.setdefault(_STARTED, []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        started = conn.info.get(_STARTED)
        if started:
            histogram.observe(time.perf_counter() - started.pop())

    return histogram
