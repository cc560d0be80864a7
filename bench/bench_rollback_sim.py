"""Replayed tiers: the automatic-rollback rule before and after, on the same seeded streams.

Every case of `rollback_cases.py` (steady rates at 1, 20 and 2,000 events a minute, late onsets,
bursts early and late in one or both cohorts, control as bad as treatment, a relative-only
excess) is replayed 1,000 times (5,000 for a true 4%), threshold 5%, for 48 hours per tier,
checked every 5 s as the server does: outcome events arrive in 5-s slots (Poisson counts,
binomial errors), each check sees the stored per-minute rows with the current minute's row
as it stands.

The rules run in NumPy, vectorised over runs (`rollback_legacy.py`: the rule before;
`rollback_rules.py`: the shipped one). `--validate` replays sample runs of every case through
the product's own checker (`rollout_statistics()` over the per-minute `MetricRow`s, then
`RollbackChecker.judge()`) at the checks where a verdict changes and at random checks, and
fails on any disagreement, so the figures are the shipped rule's.

Run with `.venv/bin/python bench/bench_rollback_sim.py [--runs-scale 0.1] [--validate]`.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from rollback_cases import CONTROL_SHARE, Case, all_cases
from rollback_legacy import LegacyRule
from rollback_rules import PAUSE, ROLLBACK, SLOTS, Counts, SimulatedRule
from rollback_validate import validate_run

THRESHOLD = 0.05
MIN_EVENTS = 100
SAMPLES = 2
COLUMNS = (
    "case",
    "rule",
    "rolled back",
    "paused",
    "events to rollback (median / p95)",
    "time to rollback (median / p95)",
    "goal",
)


@dataclass
class Outcome:
    """One rule's results on one case."""

    runs: int
    rolled: int = 0
    paused: int = 0
    events: list[int] = field(default_factory=list)
    minutes: list[float] = field(default_factory=list)
    met: int = 0


@dataclass
class Sample:
    """A sample run's stream and each rule's verdicts and statistics, for validation."""

    counts: list[NDArray[np.int64]] = field(default_factory=list)  # per minute: (4, SLOTS)
    verdicts: dict[str, list[NDArray[np.int8]]] = field(default_factory=dict)
    stats: dict[str, list[dict[str, NDArray[np.float64]]]] = field(default_factory=dict)


def replay(
    case: Case, rules: Sequence[SimulatedRule], runs: int, seed: int
) -> tuple[dict[str, Outcome], list[Sample]]:
    """Replay `runs` tiers of `case` under every rule on the same streams."""
    rng = np.random.default_rng(seed)
    treated_rate, control_rate = case.rates()
    per_slot = case.per_minute / SLOTS
    control_slot = per_slot * CONTROL_SHARE
    for rule in rules:
        rule.begin(runs)
    outcomes = {rule.name: Outcome(runs) for rule in rules}
    done = {rule.name: np.zeros(runs, dtype=bool) for rule in rules}
    paused = {rule.name: np.zeros(runs, dtype=bool) for rule in rules}
    samples = [Sample() for _ in range(min(SAMPLES, runs))]
    events_before = np.zeros(runs, dtype=np.int64)
    at_onset = np.zeros(runs, dtype=np.int64)
    zeros = np.zeros((runs, SLOTS), dtype=np.int64)
    for m in range(case.minutes):
        if m == case.onset:
            at_onset = events_before.copy()
        n_t = rng.poisson(per_slot, size=(runs, SLOTS))
        e_t = rng.binomial(n_t, treated_rate[m])
        if control_rate is None:
            n_c = e_c = zeros
        else:
            n_c = rng.poisson(control_slot, size=(runs, SLOTS))
            e_c = rng.binomial(n_c, control_rate[m])
        counts: Counts = (n_t.cumsum(1), e_t.cumsum(1), n_c.cumsum(1), e_c.cumsum(1))
        for index, sample in enumerate(samples):
            sample.counts.append(np.stack([c[index] for c in counts]))
        for rule in rules:
            verdicts, stats = rule.minute(m, counts)
            for index, sample in enumerate(samples):
                sample.verdicts.setdefault(rule.name, []).append(verdicts[index].copy())
                sample.stats.setdefault(rule.name, []).append({k: v[index].copy() for k, v in stats.items()})
            _tally(
                case,
                m,
                verdicts,
                counts[0],
                events_before,
                at_onset,
                done[rule.name],
                paused[rule.name],
                outcomes[rule.name],
            )
        events_before += counts[0][:, -1]
        if all(flags.all() for flags in done.values()):
            break
    for rule in rules:
        outcomes[rule.name].paused = int(paused[rule.name].sum())
    return outcomes, samples


def _tally(
    case: Case,
    m: int,
    verdicts: NDArray[np.int8],
    treated: NDArray[np.int64],
    events_before: NDArray[np.int64],
    at_onset: NDArray[np.int64],
    done: NDArray[np.bool_],
    paused: NDArray[np.bool_],
    outcome: Outcome,
) -> None:
    """Record first pauses and rollbacks at this minute's checks for runs still serving."""
    rolled = (verdicts == ROLLBACK) & ~done[:, None]
    first = np.where(rolled.any(1), rolled.argmax(1), SLOTS)
    before_rollback = np.arange(SLOTS)[None, :] < first[:, None]
    paused |= ((verdicts == PAUSE) & before_rollback & ~done[:, None]).any(1)
    for run in np.flatnonzero(first < SLOTS):
        slot = int(first[run])
        events = int(events_before[run] + treated[run, slot] - (at_onset[run] if m >= case.onset else 0))
        minutes = m + (slot + 1) / SLOTS - case.onset
        outcome.rolled += 1
        outcome.events.append(events)
        outcome.minutes.append(minutes)
        if (case.within_events is None or events <= case.within_events) and (
            case.within_minutes is None or minutes <= case.within_minutes
        ):
            outcome.met += 1
        done[run] = True


def quantile(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank), None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def goal(case: Case, outcome: Outcome) -> tuple[str, bool]:
    """The case's goal and whether this outcome meets it."""
    runs = outcome.runs
    if case.expect == "rollback":
        share = outcome.met / runs
        bound = (
            f"≤ {case.within_events:,} events"
            if case.within_events
            else f"≤ {case.within_minutes} min"
            if case.within_minutes
            else "in the tier"
        )
        return f"rolled back {bound}: {share:.1%} (≥ {case.goal_share:.0%})", share >= case.goal_share
    if case.expect == "quiet":
        share = outcome.paused / runs
        return f"paused {share:.1%} (≤ {case.goal_share:.0%})", share <= case.goal_share
    share = outcome.rolled / runs
    return f"rolled back {share:.1%} (≤ {case.goal_share:.1%})", share <= case.goal_share


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "h":
        return f"{value / 60:.2f} h" if value >= 60 else f"{value:.1f} min"
    return f"{value:,.0f}"


def row(case: Case, name: str, outcome: Outcome) -> str:
    """One markdown row."""
    text, ok = goal(case, outcome)
    return (
        f"| {case.name} | {name} | {outcome.rolled / outcome.runs:.1%} | {outcome.paused / outcome.runs:.1%} "
        f"| {_fmt(quantile(outcome.events, 0.5), 'n')} / {_fmt(quantile(outcome.events, 0.95), 'n')} "
        f"| {_fmt(quantile(outcome.minutes, 0.5), 'h')} / {_fmt(quantile(outcome.minutes, 0.95), 'h')} "
        f"| {text} {'✓' if ok else '✗'} |"
    )


def shipped_rule() -> SimulatedRule | None:
    """The shipped rule in NumPy, when this checkout has one."""
    try:
        from rollback_rules import ShippedRule  # type: ignore[attr-defined]
    except ImportError:
        return None
    return ShippedRule(THRESHOLD, MIN_EVENTS)  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    """Replay every case, print the table, validate samples; non-zero when a goal is missed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs-scale", type=float, default=1.0, help="fraction of each case's runs")
    parser.add_argument("--validate", action="store_true", help="replay samples through the checker")
    parser.add_argument("--only", default="", help="replay only cases whose name contains this")
    parser.add_argument("--legacy-only", action="store_true", help="replay only the rule before")
    args = parser.parse_args(argv)
    rules: list[SimulatedRule] = [LegacyRule(THRESHOLD, MIN_EVENTS)]
    shipped = None if args.legacy_only else shipped_rule()
    if shipped is not None:
        rules.append(shipped)
    validated = rules[-1]
    started = time.perf_counter()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|---|---|---:|---:|---:|---:|---|")
    missed = mismatches = checked = 0
    for seed, case in enumerate(all_cases()):
        if args.only not in case.name:
            continue
        runs = max(SAMPLES, round(case.runs * args.runs_scale))
        outcomes, samples = replay(case, rules, runs, seed)
        for rule in rules:
            print(row(case, rule.name, outcomes[rule.name]), flush=True)
        missed += not goal(case, outcomes[validated.name])[1]
        if args.validate:
            for index, sample in enumerate(samples):
                found, looked = validate_run(
                    case, sample, validated.name, THRESHOLD, MIN_EVENTS, seed * 100 + index
                )
                mismatches += found
                checked += looked
    elapsed = time.perf_counter() - started
    print(f"\n{validated.name}: {missed} goal(s) missed; {elapsed:.0f} s")
    if args.validate:
        print(f"validation: {checked} checks replayed through the checker, {mismatches} disagreements")
    return 1 if missed or mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
