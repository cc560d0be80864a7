"""One statistics cache: what the checker read a moment ago is what `/metrics` serves next."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flagpilot.services.rollouts import InMemoryAlerts, RollbackChecker, RolloutManager
from tests.fakes.rollouts import InMemoryRolloutStore
from tests.unit.services.rollouts.helpers import ACTOR, ENV, FLAG, NOW, add_outcomes

LATER = NOW + timedelta(minutes=5)


class CountingStore(InMemoryRolloutStore):
    """The in-memory store, counting the units of work opened (each read of statistics opens one)."""

    def __init__(self) -> None:
        super().__init__()
        self.units = 0

    def __call__(
        self, actor: str, organization_id: str | None = None, *, read_only: bool = False
    ) -> Any:
        self.units += 1
        return super().__call__(actor, organization_id, read_only=read_only)


class Seconds:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _started() -> tuple[RolloutManager, CountingStore, Seconds]:
    store, seconds = CountingStore(), Seconds()
    manager = RolloutManager(store, monotonic=seconds)
    manager.create(FLAG, ENV, actor=ACTOR, now=NOW)
    record = manager.start(FLAG, ENV, actor=ACTOR, now=NOW)
    add_outcomes(store, record, at=NOW + timedelta(minutes=1), successes=90, errors=1)
    store.units = 0
    return manager, store, seconds


def test_a_check__is_the_read_the_next_recent_request_gets__without_a_query() -> None:
    manager, store, seconds = _started()
    checker = RollbackChecker(manager, InMemoryAlerts())

    checker.check_all(LATER)
    seconds.now += 4.9
    recent = manager.recent_monitored_statistics(LATER, max_age_seconds=5.0)

    assert store.units == 1
    assert [(r.feature_name, stats.window.treatment.exposures) for r, stats in recent] == [(FLAG, 91)]


def test_an_old_read__is_read_again() -> None:
    manager, store, seconds = _started()
    manager.monitored_statistics(LATER)

    seconds.now += 5.0
    manager.recent_monitored_statistics(LATER, max_age_seconds=5.0)
    manager.recent_monitored_statistics(LATER, max_age_seconds=5.0)

    assert store.units == 2
