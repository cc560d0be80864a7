"""Replay a simulated run through the product's checker and compare it with the NumPy rule.

The sample's stream becomes the per-minute `MetricRow`s the server stores (the current minute's
row as it stands at each 5-s check); `rollout_statistics()` reads them and
`RollbackChecker.judge()` decides, exactly as `check_all()` does. The checks compared are every
one where the NumPy verdict changes, the one before each, and random others up to the rollback.
"""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's tests package (fakes)

from tests.fakes.rollouts import InMemoryRolloutStore

from flagpilot.core import RolloutStatus, Tier
from flagpilot.services.rollouts import (
    Cohort,
    InMemoryAlerts,
    MetricRow,
    RollbackChecker,
    RolloutManager,
    RolloutRecord,
    rollout_statistics,
)
from rollback_rules import SLOTS

if TYPE_CHECKING:
    from bench_rollback_sim import Sample
    from rollback_cases import Case

TIER_START = datetime(2026, 1, 5, tzinfo=UTC)
RANDOM_CHECKS = 20
TOLERANCE = 1e-6
VERDICT_NAMES = {0: "healthy", 1: "pause", 2: "rollback"}


def validate_run(
    case: Case, sample: Sample, rule: str, threshold: float, min_events: int, seed: int
) -> tuple[int, int]:
    """(disagreements, checks compared) between `rule`'s NumPy verdicts and the checker's."""
    verdicts = np.concatenate(sample.verdicts[rule])
    ends = np.flatnonzero(verdicts == 2)
    last = int(ends[0]) if ends.size else verdicts.size - 1
    changes = np.flatnonzero(np.diff(verdicts[: last + 1]) != 0) + 1
    rng = np.random.default_rng(seed)
    picked = {
        0,
        last,
        *changes.tolist(),
        *(changes - 1).tolist(),
        *rng.integers(0, last + 1, RANDOM_CHECKS).tolist(),
    }
    record = RolloutRecord(
        feature_name="simulated",
        environment="production",
        current_tier=Tier.TIER_2_EARLY_ADOPTERS,
        percentage=10.0,
        status=RolloutStatus.ACTIVE,
        error_rate_threshold=threshold,
        min_events=min_events,
        tier_started_at=TIER_START,
        id=1,
    )
    store = InMemoryRolloutStore()
    checker = RollbackChecker(RolloutManager(store), InMemoryAlerts())
    complete: list[MetricRow] = []
    built = 0
    disagreements = 0
    for check in sorted(picked):
        minute, slot = divmod(check, SLOTS)
        for m in range(built, minute):
            complete += _rows(sample.counts[m][:, -1], TIER_START + timedelta(minutes=m))
        built = max(built, minute)
        rows = complete + _rows(sample.counts[minute][:, slot], TIER_START + timedelta(minutes=minute))
        now = TIER_START + timedelta(minutes=minute, seconds=5 * (slot + 1))
        decision = checker.judge(record, rollout_statistics(record, rows, now=now))
        expected = VERDICT_NAMES[int(verdicts[check])]
        wrong = decision.verdict.value != expected or not _same_numbers(
            sample.stats[rule][minute], slot, decision
        )
        if wrong:
            disagreements += 1
            print(
                f"  ✗ {case.name} minute {minute} check {slot}: "
                f"checker {decision.verdict.value}, NumPy {expected}"
            )
            print(f"    {decision.reason}")
    return disagreements, len(picked)


def _rows(counts: Any, minute: datetime) -> list[MetricRow]:
    n_t, e_t, n_c, e_c = (int(c) for c in counts)
    rows = []
    if n_t:
        rows.append(MetricRow(1, minute, Tier.TIER_2_EARLY_ADOPTERS, Cohort.TREATMENT, n_t - e_t, e_t))
    if n_c:
        rows.append(MetricRow(1, minute, Tier.TIER_2_EARLY_ADOPTERS, Cohort.CONTROL, n_c - e_c, e_c))
    return rows


def _same_numbers(numbers: dict[str, Any], slot: int, decision: Any) -> bool:
    """Whether the NumPy statistics equal the checker's evidence (as log e-values)."""
    if not numbers:
        return True
    from rollback_rules import checker_numbers  # type: ignore[attr-defined]

    theirs = checker_numbers(decision)
    for key, values in numbers.items():
        mine, other = float(values[slot]), theirs.get(key)
        if other is None:
            return False
        if math.isinf(mine) or math.isinf(other):
            if mine != other:
                return False
        elif abs(mine - other) > TOLERANCE * max(1.0, abs(mine)):
            print(f"    {key}: NumPy {mine!r}, checker {other!r}")
            return False
    return True
