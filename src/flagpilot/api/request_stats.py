"""Request counts and latencies kept in plain Python numbers, exposed as Prometheus samples.

prometheus_client's `Histogram.observe` walks the buckets in Python and takes a lock for every
value it touches; with the request counter that was about 15,000 CPU instructions a request.
Here a request is three dict lookups, one comparison or `bisect` and two additions (1,400 to
2,200 instructions), and the samples are built at scrape time with the names, help texts,
labels, `le` bounds, `_created` series and order prometheus_client's own histogram and counter
give them, so the exposition is the same text.

Why no locks: every update runs on the event-loop thread (the request middleware), so no two
updates race and none is lost. A scrape runs in a worker thread (`/metrics` is a sync route) and
may interleave with an update. It copies the tallies, the dict and each list, in single C calls
(atomic under the GIL) and builds both families from those copies, so a histogram's buckets, `_count`
and the counter's totals always agree; `_sum` is read apart and may already hold, or not yet
hold, the request being recorded. That is no weaker than before: prometheus_client's per-value
locks never made a histogram's samples one snapshot either. A free-threaded interpreter would
need a lock here.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate
from operator import add

from prometheus_client import metrics as _prometheus_metrics
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

DURATION_NAME = "flagpilot_http_request_duration_seconds"
DURATION_HELP = "Time to answer an HTTP request, by route template."
REQUESTS_NAME = "flagpilot_http_requests"
REQUESTS_HELP = "HTTP requests answered, by route template and status."

_go_float: Callable[[float], str] = floatToGoString  # prometheus_client's spelling of `le`; untyped

_Tally = list[int]
"""One (method, route, status)'s requests per bucket (not cumulative), the last for +Inf."""


class _Histogram:
    """One (method, route)'s latency sum; its buckets are the tallies of its statuses added up.

    The sum is shared, not kept per status, so it adds the same floats in the same order as
    prometheus_client does and comes out the same to the last bit.
    """

    __slots__ = ("created", "sum")

    def __init__(self) -> None:
        self.sum = 0.0
        self.created = time.time()


class RequestStats:
    """The HTTP request histogram and counter, as a collector for a `CollectorRegistry`.

    A request adds one to a single tally, that of its (method, route, status); the counter is a
    tally's total and the histogram the tallies of a (method, route) added up, both at scrape
    time. The request path looks the tally up one label at a time in nested dicts, which costs
    less than building and hashing a tuple key.

    Args:
        bounds: the histogram's finite upper bounds, ascending; +Inf is added.
    """

    def __init__(self, bounds: Sequence[float]) -> None:
        self._bounds = tuple(float(bound) for bound in bounds)
        if not self._bounds or list(self._bounds) != sorted(self._bounds):
            raise ValueError("bucket bounds must be given, ascending")
        self._first = self._bounds[0]
        self._le = [_go_float(bound) for bound in (*self._bounds, float("inf"))]
        self._index: dict[str, dict[str, dict[int, tuple[_Tally, _Histogram]]]] = {}
        # In the order first seen, which is the order prometheus_client exposes its children in.
        self._histograms: dict[tuple[str, str], _Histogram] = {}
        self._tallies: dict[tuple[str, str, int], tuple[_Tally, float]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one answered request; call only from the event-loop thread (see the module)."""
        try:
            tally, histogram = self._index[method][route][status]
        except KeyError:
            tally, histogram = self._add(method, route, status)
        # Most requests beat the first bound, and one float comparison is a tenth of a bisect call.
        # bisect_left: a value equal to a bound lands in that bound's bucket, as `le` means.
        tally[0 if seconds <= self._first else bisect_left(self._bounds, seconds)] += 1
        histogram.sum += seconds

    def _add(self, method: str, route: str, status: int) -> tuple[_Tally, _Histogram]:
        histogram = self._histograms.get((method, route))
        if histogram is None:
            histogram = self._histograms[method, route] = _Histogram()
        tally = [0] * len(self._le)
        self._tallies[method, route, status] = tally, time.time()
        entry = self._index.setdefault(method, {}).setdefault(route, {})[status] = tally, histogram
        return entry

    def collect(self) -> Iterator[Metric]:
        """The histogram and the counter, shaped and ordered as prometheus_client's own are."""
        # prometheus_client's switch (PROMETHEUS_DISABLE_CREATED_SERIES, disable_created_metrics).
        use_created: bool = getattr(_prometheus_metrics, "_use_created", True)
        tallies = [(key, tally.copy(), created) for key, (tally, created) in self._tallies.copy().items()]
        buckets: dict[tuple[str, str], _Tally] = {}
        for (method, route, _), tally, _ in tallies:
            merged = buckets.get((method, route))
            buckets[method, route] = tally if merged is None else list(map(add, merged, tally))
        duration = HistogramMetricFamily(DURATION_NAME, DURATION_HELP, labels=["method", "route"])
        for (method, route), counts in buckets.items():
            histogram = self._histograms[method, route]
            cumulative = list(zip(self._le, accumulate(counts), strict=True))
            duration.add_metric([method, route], cumulative, histogram.sum)
            if use_created:  # HistogramMetricFamily has no `created`; the sample is what it would add
                labels = {"method": method, "route": route}
                duration.samples.append(Sample(f"{DURATION_NAME}_created", labels, histogram.created))
        yield duration
        requests = CounterMetricFamily(REQUESTS_NAME, REQUESTS_HELP, labels=["method", "route", "status"])
        for (method, route, status), tally, created in tallies:
            requests.add_metric([method, route, str(status)], sum(tally), created if use_created else None)
        yield requests
