"""The request histogram and counter expose what prometheus_client's own would, to the byte."""

from __future__ import annotations

import inspect
import itertools
import time
from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics import disable_created_metrics, enable_created_metrics

from flagpilot.api.metrics import LATENCY_BUCKETS, ApiMetrics
from flagpilot.api.request_stats import RequestStats
from flagpilot.services.snapshots import StaticSnapshotProvider

Observation = tuple[str, str, int, float]

# Interleaved keys (a route's second status after another route), every bound exactly, values
# between bounds, zero, and values past the last bound.
OBSERVATIONS: list[Observation] = [
    ("GET", "/api/widget/config", 200, 0.0003),
    ("POST", "/ofrep/v1/evaluate/flags", 200, 0.004),
    ("GET", "/api/widget/config", 304, 0.0),
    ("GET", "(unmatched)", 404, 7.0),
    *(("GET", "/api/widget/config", 200, bound) for bound in LATENCY_BUCKETS),
    *(("POST", "/ofrep/v1/evaluate/flags", 400, bound * 1.5) for bound in LATENCY_BUCKETS),
    ("GET", "/api/widget/config", 304, 2.5000001),
    ("POST", "/ofrep/v1/evaluate/flags", 200, 0.1 + 0.2),
]


def restart_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """`time.time` ticks 1,700,000,000, …001, …002 from here on, so `_created` values compare."""
    ticks = itertools.count(1_700_000_000)
    monkeypatch.setattr(time, "time", lambda: float(next(ticks)))


def reference(observations: Sequence[Observation]) -> bytes:
    """What prometheus_client's Histogram and Counter expose for the same requests."""
    registry = CollectorRegistry()
    latency = Histogram(
        "flagpilot_http_request_duration_seconds",
        "Time to answer an HTTP request, by route template.",
        ["method", "route"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    requests = Counter(
        "flagpilot_http_requests",
        "HTTP requests answered, by route template and status.",
        ["method", "route", "status"],
        registry=registry,
    )
    for method, route, status, seconds in observations:
        latency.labels(method, route).observe(seconds)
        requests.labels(method, route, str(status)).inc()
    return generate_latest(registry)


def ours(observations: Sequence[Observation]) -> tuple[bytes, CollectorRegistry]:
    registry = CollectorRegistry()
    stats = RequestStats(LATENCY_BUCKETS)
    registry.register(stats)
    for observation in observations:
        stats.observe(*observation)
    return generate_latest(registry), registry


def test_exposition__is_byte_for_byte_prometheus_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the same requests recorded both ways, each with a clock that starts at the same tick
    restart_clock(monkeypatch)
    expected = reference(OBSERVATIONS)
    restart_clock(monkeypatch)

    # When ours is exposed
    text, _ = ours(OBSERVATIONS)

    # Then it is the same text, `_created` series included
    assert b"_created{" in expected
    assert text.decode() == expected.decode()


def test_exposition__without_created_series__is_still_prometheus_clients() -> None:
    disable_created_metrics()
    try:
        text, _ = ours(OBSERVATIONS)
        expected = reference(OBSERVATIONS)
    finally:
        enable_created_metrics()

    assert b"_created" not in text
    assert text == expected


def test_exposition__before_any_request__is_prometheus_clients() -> None:
    assert ours([])[0] == reference([])


@pytest.mark.parametrize(
    ("seconds", "bucket"),
    [(0.0005, "0.0005"), (0.00050001, "0.001"), (0.001, "0.001"), (0.1, "0.1"), (2.5, "2.5"), (2.51, "+Inf")],
)
def test_observe__a_value_on_a_bound__counts_in_that_bound_bucket(seconds: float, bucket: str) -> None:
    _, registry = ours([("GET", "/a", 200, seconds)])

    le = [*(str(bound) for bound in LATENCY_BUCKETS), "+Inf"]
    counts = {
        bound: registry.get_sample_value(
            "flagpilot_http_request_duration_seconds_bucket", {"method": "GET", "route": "/a", "le": bound}
        )
        for bound in le
    }
    first = le.index(bucket)
    assert counts == {bound: 0.0 if index < first else 1.0 for index, bound in enumerate(le)}


def test_counter__counts_each_status_and_the_histogram_adds_them_up() -> None:
    _, registry = ours([("GET", "/a", 200, 0.01), ("GET", "/a", 200, 0.02), ("GET", "/a", 304, 0.001)])

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, {"method": "GET", "route": "/a", **labels})

    assert sample("flagpilot_http_requests_total", status="200") == 2.0
    assert sample("flagpilot_http_requests_total", status="304") == 1.0
    assert sample("flagpilot_http_request_duration_seconds_count") == 3.0
    assert sample("flagpilot_http_request_duration_seconds_bucket", le="0.01") == 2.0
    assert sample("flagpilot_http_request_duration_seconds_sum") == 0.01 + 0.02 + 0.001


@pytest.mark.parametrize("bounds", [(), (0.1, 0.01)])
def test_bounds__empty_or_out_of_order__are_refused(bounds: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="ascending"):
        RequestStats(bounds)


def test_api_metrics__observe_request__keeps_its_signature_and_reaches_the_exposition() -> None:
    metrics = ApiMetrics(StaticSnapshotProvider({}), flags_enabled=True)

    metrics.observe_request("GET", "/healthz", 200, seconds=0.002)

    parameters = list(inspect.signature(metrics.observe_request).parameters)
    assert parameters == ["method", "route", "status", "seconds"]
    text = metrics.exposition().decode()
    assert 'flagpilot_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'seconds_bucket{le="0.0025",method="GET",route="/healthz"} 1.0' in text
