"""Shared set-up for the rollout tests: a clock value, a store, and metric rows on demand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flagpilot.core import Tier
from flagpilot.services.rollouts import (
    Cohort,
    MetricRow,
    RolloutConfig,
    RolloutManager,
    RolloutRecord,
)
from tests.fakes.rollouts import InMemoryRolloutStore

NOW = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
FLAG = "phase2_enhanced_storage"
ENV = "production"
ACTOR = "alice@example.com"
DAY = timedelta(days=1)


def manager_with_store() -> tuple[RolloutManager, InMemoryRolloutStore]:
    """A manager over a fresh in-memory store."""
    store = InMemoryRolloutStore()
    return RolloutManager(store), store


def created(manager: RolloutManager, config: RolloutConfig | None = None, flag: str = FLAG) -> RolloutRecord:
    """A planned rollout of `flag` in production."""
    return manager.create(flag, ENV, config, actor=ACTOR, now=NOW)


def started(manager: RolloutManager, config: RolloutConfig | None = None) -> RolloutRecord:
    """An active rollout at tier 1 that started at NOW."""
    created(manager, config)
    return manager.start(FLAG, ENV, actor=ACTOR, now=NOW)


def add_outcomes(
    store: InMemoryRolloutStore,
    record: RolloutRecord,
    *,
    at: datetime,
    successes: int,
    errors: int,
    cohort: Cohort = Cohort.TREATMENT,
    tier: Tier | None = None,
) -> None:
    """Store one minute of outcome counts for `record` (as a flush would)."""
    assert record.id is not None
    minute = at.replace(second=0, microsecond=0)
    store.add_metrics([MetricRow(record.id, minute, tier or record.current_tier, cohort, successes, errors)])
