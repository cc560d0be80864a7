"""How late the event loop wakes: the one number that shows a request waiting behind blocking work.

A task sleeps `interval` seconds again and again and records how much later than asked it woke.
Anything that holds the loop — a database call in an `async def`, a large serialisation, a
rebuild — shows up here as lag, whichever request caused it. Exported on `/metrics`:

    flagpilot_event_loop_lag_seconds          histogram of the lateness of each wake
    flagpilot_event_loop_lag_max_seconds      the largest lateness since the process started

`FLAGPILOT_LOOP_LAG_PROBE_SECONDS` sets the interval (default 0.05; 0.01 resolves shorter stalls).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from time import perf_counter

from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry

LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
DEFAULT_INTERVAL_SECONDS = 0.05


class LoopLagProbe:
    """Measures event-loop lag while `running()` is entered (in the application's lifespan).

    Args:
        registry: where the histogram and the maximum are exported.
        interval: seconds between wakes.
    """

    def __init__(self, registry: CollectorRegistry, interval: float = DEFAULT_INTERVAL_SECONDS) -> None:
        self._interval = interval
        self.max_seconds = 0.0
        self._histogram = Histogram(
            "flagpilot_event_loop_lag_seconds",
            "How much later than asked the event loop woke a sleeping task.",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        registry.register(self)

    def collect(self) -> Iterator[Metric]:
        """The largest lag seen, for Prometheus."""
        yield GaugeMetricFamily(
            "flagpilot_event_loop_lag_max_seconds",
            "The largest event-loop lag since the process started.",
            self.max_seconds,
        )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Probe in a background task for as long as the block runs."""
        task = asyncio.create_task(self._probe(), name="flagpilot-loop-lag")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _probe(self) -> None:
        interval, observe = self._interval, self._histogram.observe
        while True:
            asked = perf_counter()
            await asyncio.sleep(interval)
            lag = max(0.0, perf_counter() - asked - interval)
            observe(lag)
            self.max_seconds = max(self.max_seconds, lag)
