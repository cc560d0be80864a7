"""How fast outcome events are counted, against a bare reference loop measured in the same run.

The aggregator takes batches of `{"featureName", "customerId", "outcome"}` events for 6 serving
rollouts (10% tiers with a 100-customer whitelist) and attributes each to its tier and cohort.
The reference loop does the least any counter must: one dict lookup, one murmur3 hash, one
counter increment per event, with no validation and no lock. Rounds are interleaved so both see
the same machine load.

Target: at least 50,000 events/s on batches of 500 (2 shared cores). Run with
`.venv/bin/python bench/bench_events.py [--rounds N] [--events N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import mmh3

from flagpilot.core import Tier
from flagpilot.presets import ROLLOUT_FLAGS
from flagpilot.services.rollouts import MetricRow, OutcomeAggregator, RolloutConfig
from flagpilot.services.rollouts import transitions as rules

TARGET_EVENTS_PER_SECOND = 50_000
BATCH = 500
NOW = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
ENV = "production"


class NullSink:
    """Discards flushed rows: the bench measures counting, not storage."""

    def add(self, rows: Sequence[MetricRow]) -> None:
        """Drop `rows`."""


def aggregator() -> OutcomeAggregator:
    """An aggregator serving every preset rollout at tier 2 (10%) with a whitelist."""
    whitelist = tuple(f"internal-{n}" for n in range(100))
    records = []
    for number, flag in enumerate(ROLLOUT_FLAGS, start=1):
        planned = rules.new_rollout(flag, ENV, RolloutConfig(whitelist), actor="bench", now=NOW)
        record = rules.advance(rules.start(planned.with_id(number), now=NOW), now=NOW)
        assert record.current_tier is Tier.TIER_2_EARLY_ADOPTERS
        records.append(record)
    counted = OutcomeAggregator(NullSink())
    counted.set_rollouts(ENV, records)
    return counted


def batches(total: int) -> list[list[dict[str, Any]]]:
    """`total` events in batches of BATCH: rotating flags, 20,000 customers, 3% errors."""
    events = [
        {
            "featureName": ROLLOUT_FLAGS[n % len(ROLLOUT_FLAGS)],
            "customerId": f"customer-{(n * 7919) % 20_000}",
            "outcome": "error" if n % 33 == 0 else "success",
        }
        for n in range(total)
    ]
    return [events[i : i + BATCH] for i in range(0, total, BATCH)]


def reference(data: list[list[dict[str, Any]]]) -> None:
    """The floor: lookup, hash, increment."""
    bounds = dict.fromkeys(ROLLOUT_FLAGS, 1000)
    counts: dict[tuple[str, bool], int] = {}
    for batch in data:
        for event in batch:
            flag = event["featureName"]
            h = mmh3.hash(flag + ":" + event["customerId"], 0, False)
            key = (flag, h % 10_000 < bounds[flag])
            counts[key] = counts.get(key, 0) + 1


def measure(run: Callable[[], None]) -> float:
    """Seconds one call of `run` takes."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Measure, print a markdown table, and fail when under target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args(argv)
    data = batches(args.events)
    counted = aggregator()

    def ours() -> None:
        for batch in data:
            counted.record(batch, environment=ENV, now=NOW)
        counted.flush(NOW)

    ours_times, floor_times = [], []
    for _ in range(args.rounds):
        ours_times.append(measure(ours))
        floor_times.append(measure(lambda: reference(data)))
    ours_rate = args.events / statistics.median(ours_times)
    floor_rate = args.events / statistics.median(floor_times)
    print("| loop | events/s (median) | ratio to reference |")
    print("|---|---:|---:|")
    print(f"| reference (lookup + hash + count) | {floor_rate:,.0f} | 1.00 |")
    print(f"| OutcomeAggregator.record + flush | {ours_rate:,.0f} | {floor_rate / ours_rate:.2f}x slower |")
    ok = ours_rate >= TARGET_EVENTS_PER_SECOND
    print(f"\ntarget >= {TARGET_EVENTS_PER_SECOND:,} events/s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
