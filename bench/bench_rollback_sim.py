"""Simulated rollouts: flagpilot's automatic-rollback rule against the naive rules, same streams.

1,000 rollouts per true error rate (2%, 4%, 8%, 15%), threshold 5%, 20 treatment events a
minute, checked every minute for up to 48 hours (one tier's minimum dwell). Every rule sees the
same seeded streams:

    flagpilot          `decide()` as shipped (one-sided SPRT, alpha 0.10, H1 = 1.4 x threshold,
                       over the tier's events; window rate above threshold; >= 100 events)
    SPRT a=.05 H1=1.6  `decide()` with DESIGN.md's first parameters, for comparison
    naive              error rate over the last hour above the threshold at any check
                       (given at least 100 events in that hour)
    repeated 95% bound one-sided 95% lower bound over the last hour above the threshold, re-checked
                       every minute (at least 100 events)

The flagpilot rows call the product's `decide()` whenever a rollback or pause is possible at all
(the window's rate above the threshold and a log-likelihood ratio at its bound: necessary
conditions), so the figures are the shipped rule's, not a re-implementation's.

Targets: false rollbacks <= 1% at a true 4%, and a true 8% detected within 1,000 events in >= 95%
of runs. Run with `.venv/bin/python bench/bench_rollback_sim.py [--runs N]` (about a minute).
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flagpilot.services.rollouts import CohortPair, CohortStats, SequentialTest, Verdict, decide

THRESHOLD = 0.05
PER_MINUTE = 20
MINUTES = 48 * 60
WINDOW_MINUTES = 60
MIN_EVENTS = 100
RATES = (0.02, 0.04, 0.08, 0.15)
Z95 = 1.6448536269514722
NOW = datetime(2025, 11, 3, tzinfo=UTC)
TARGET_FALSE_AT_4 = 0.01
TARGET_DETECT_8_WITHIN = 1_000
TARGET_DETECT_8_SHARE = 0.95


@dataclass
class Tally:
    """One rule's results at one true rate."""

    rollbacks: int = 0
    pauses: int = 0
    events_to_rollback: list[int] = field(default_factory=list)


class ProductRule:
    """The shipped `decide()` with given test settings, checked incrementally."""

    def __init__(self, test: SequentialTest) -> None:
        self.test = test
        self.per_error, self.per_success = test.steps(THRESHOLD)

    def verdict(self, n: int, k: int, wn: int, wk: int, minute: int) -> Verdict:
        """The verdict at one check; `decide()` runs only when it can be other than healthy."""
        if wn == 0 or wk <= THRESHOLD * wn:
            return Verdict.HEALTHY
        bound = self.test.bound
        tier_llr = k * self.per_error + (n - k) * self.per_success
        window_llr = wk * self.per_error + (wn - wk) * self.per_success
        if tier_llr < bound and window_llr < bound:
            return Verdict.HEALTHY
        end = NOW + timedelta(minutes=minute)
        return decide(
            CohortPair(CohortStats(wn - wk, wk)),
            CohortPair(CohortStats(n - k, k)),
            threshold=THRESHOLD,
            min_events=MIN_EVENTS,
            window_start=end - timedelta(minutes=WINDOW_MINUTES),
            window_end=end,
            test=self.test,
        ).verdict


def naive(wn: int, wk: int) -> bool:
    """Last hour's rate above the threshold."""
    return wn >= MIN_EVENTS and wk > THRESHOLD * wn


def repeated_bound(wn: int, wk: int) -> bool:
    """Last hour's one-sided 95% lower bound above the threshold."""
    if wn < MIN_EVENTS:
        return False
    p = wk / wn
    return p - Z95 * math.sqrt(p * (1.0 - p) / wn) > THRESHOLD


def cumulative(rate: float) -> list[float]:
    """Binomial(PER_MINUTE, rate) CDF, to draw a minute's errors with one random number."""
    total, table = 0.0, []
    for k in range(PER_MINUTE + 1):
        total += math.comb(PER_MINUTE, k) * rate**k * (1.0 - rate) ** (PER_MINUTE - k)
        table.append(total)
    table[-1] = 1.0
    return table


def simulate(rate: float, runs: int, products: dict[str, ProductRule]) -> dict[str, Tally]:
    """Run `runs` rollouts at `rate` under every rule; stop a run once every rule has rolled back."""
    names = [*products, "naive", "repeated 95% bound"]
    tallies = {name: Tally() for name in names}
    table = cumulative(rate)
    for run in range(runs):
        rng = random.Random(f"{rate}:{run}")
        window: deque[int] = deque()
        n = k = wk = 0
        fired: set[str] = set()
        paused: set[str] = set()
        for minute in range(1, MINUTES + 1):
            errors = bisect.bisect_left(table, rng.random())
            n += PER_MINUTE
            k += errors
            window.append(errors)
            wk += errors
            if len(window) > WINDOW_MINUTES:
                wk -= window.popleft()
            wn = len(window) * PER_MINUTE
            for name, rule in products.items():
                if name in fired:
                    continue
                verdict = rule.verdict(n, k, wn, wk, minute)
                if verdict is Verdict.ROLLBACK:
                    fired.add(name)
                    tallies[name].rollbacks += 1
                    tallies[name].events_to_rollback.append(n)
                elif verdict is Verdict.PAUSE and name not in paused:
                    paused.add(name)
                    tallies[name].pauses += 1
            for name, check in (("naive", naive), ("repeated 95% bound", repeated_bound)):
                if name not in fired and check(wn, wk):
                    fired.add(name)
                    tallies[name].rollbacks += 1
                    tallies[name].events_to_rollback.append(n)
            if len(fired) == len(names):
                break
    return tallies


def quantile(values: list[int], q: float) -> str:
    """The q-quantile of `values` (nearest rank), or a dash."""
    if not values:
        return "–"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]:,}"


def main(argv: list[str] | None = None) -> int:
    """Simulate, print the markdown table, and fail when flagpilot misses a target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1_000)
    args = parser.parse_args(argv)
    products = {
        "flagpilot": ProductRule(SequentialTest()),
        "SPRT a=.05 H1=1.6": ProductRule(SequentialTest(alpha=0.05, ratio=1.6)),
    }
    started = time.perf_counter()
    results = {rate: simulate(rate, args.runs, products) for rate in RATES}
    elapsed = time.perf_counter() - started
    runs = args.runs

    def share(count: int) -> str:
        return f"{100.0 * count / runs:.1f}%"

    print(
        f"{runs:,} rollouts per true rate; threshold 5%, {PER_MINUTE} events/min, "
        "checked every minute for up to 48 h\n"
    )
    print(
        "| rule | false rollbacks at 2% | at 4% | pauses at 2% / 4% | detected at 8% | median events "
        "| p95 events | within 1,000 | detected at 15% | median events | p95 events |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in results[RATES[0]]:
        low, mid, bad, worst = (results[rate][name] for rate in RATES)
        pauses = f"{share(low.pauses)} / {share(mid.pauses)}" if name in products else "–"
        within = sum(events <= TARGET_DETECT_8_WITHIN for events in bad.events_to_rollback)
        print(
            f"| {name} | {share(low.rollbacks)} | {share(mid.rollbacks)} | {pauses} | {share(bad.rollbacks)} "
            f"| {quantile(bad.events_to_rollback, 0.5)} | {quantile(bad.events_to_rollback, 0.95)} "
            f"| {share(within)} | {share(worst.rollbacks)} | {quantile(worst.events_to_rollback, 0.5)} "
            f"| {quantile(worst.events_to_rollback, 0.95)} |"
        )
    ours_false = results[0.04]["flagpilot"].rollbacks / runs
    ours_within = (
        sum(e <= TARGET_DETECT_8_WITHIN for e in results[0.08]["flagpilot"].events_to_rollback) / runs
    )
    ok = ours_false <= TARGET_FALSE_AT_4 and ours_within >= TARGET_DETECT_8_SHARE
    print(
        f"\nflagpilot: {100 * ours_false:.1f}% false rollbacks at 4% (target <= 1%), "
        f"{100 * ours_within:.1f}% of 8% runs detected within 1,000 events (target >= 95%): "
        f"{'met' if ok else 'MISSED'} — {elapsed:.0f} s"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
