"""The server's rollout runtime on a real database: refresh, flush, checker, leader election."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import text

from flagpilot.core import RolloutStatus
from flagpilot.server import Container
from flagpilot.server.rollout_runtime import RolloutRuntime, build_rollout_runtime
from flagpilot.services.rollouts import RolloutConfig
from flagpilot.settings import RolloutRuntimeSettings, Settings
from flagpilot.storage import build_engine
from flagpilot.storage.leader import leadership
from tests.integration.rollouts.conftest import FLAG

STAFF = "staff-1"
RUNTIME_THREADS = {"flagpilot-outcomes", "flagpilot-leader"}


def _runtime(container: Container, **environ: str) -> RolloutRuntime:
    settings = Settings(database_url="unused", rollouts=RolloutRuntimeSettings.from_env(environ))
    return build_rollout_runtime(container, settings)


def _started(container: Container, min_events: int = 30) -> None:
    now = datetime.now(UTC)
    config = RolloutConfig(whitelisted_customers=(STAFF,), min_events=min_events)
    container.rollout_manager.create(FLAG, "production", config, actor="a", now=now)
    container.rollout_manager.start(FLAG, "production", actor="a", now=now)


def _errors(count: int) -> list[dict[str, object]]:
    return [{"featureName": FLAG, "customerId": STAFF, "outcome": "error", "count": count}]


def _eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_refresh__rereads_rollouts_only_when_the_state_version_moved(container: Container) -> None:
    runtime = _runtime(container)
    _started(container)

    first, unchanged = runtime.refresh_rollouts(), runtime.refresh_rollouts()
    counted = runtime.aggregator.record(_errors(1), environment="production", now=datetime.now(UTC))

    assert (first, unchanged) == (True, False)
    assert counted.accepted == 1


def test_started_rollout__in_a_serving_process__counts_the_first_event_once_the_write_returns(
    container: Container,
) -> None:
    # Given: a serving process whose runtime would not re-read its rollouts by itself for minutes
    container.start()
    runtime = _runtime(
        container, FLAGPILOT_OUTCOME_FLUSH_SECONDS="600", FLAGPILOT_ROLLBACK_CHECK_SECONDS="600"
    )
    runtime.start()
    try:
        # When: a rollout is started, and an event reported the moment the write returns
        _started(container)
        counted = runtime.aggregator.record(_errors(1), environment="production", now=datetime.now(UTC))
    finally:
        runtime.stop()

    # Then
    assert (counted.accepted, counted.ignored) == (1, 0)


def test_refresh__after_the_checklists_emergency_sql__stops_counting_toward_the_old_tier(
    container: Container,
) -> None:
    # Given
    runtime = _runtime(container)
    _started(container)
    runtime.refresh_rollouts()

    # When: an operator runs the checklist's emergency statement by hand
    with container.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE feature_rollouts SET current_tier = 'tier_0_disabled', percentage = 0, "
                "status = 'rolled_back' WHERE feature_name = :flag"
            ),
            {"flag": FLAG},
        )
    container.snapshots.refresh()  # the snapshot cache's version poll sees it
    refreshed = runtime.refresh_rollouts()

    # Then
    assert refreshed
    assert runtime.aggregator.record(_errors(1), environment="production", now=datetime.now(UTC)).ignored == 1


def test_lead__with_a_burst_of_errors__rolls_back_alerts_and_counts_the_rollback(
    container: Container,
) -> None:
    # Given
    runtime = _runtime(container)
    _started(container)
    runtime.refresh_rollouts()
    runtime.aggregator.record(_errors(200), environment="production", now=datetime.now(UTC))
    runtime.flush()

    # When
    led = runtime.lead(check=True)

    # Then
    assert led
    assert container.rollout_manager.get(FLAG, "production").status is RolloutStatus.ROLLED_BACK
    assert [alert.kind for alert in runtime.alerts.recent()] == ["rollout.auto_rollback"]
    assert runtime.rollbacks.counts() == {(FLAG, "production"): 1}
    runtime.leader.release()


def test_start_and_stop__flush_the_last_counts_and_leave_no_thread(container: Container) -> None:
    # Given: a slow flush interval, so only stop() can have flushed
    runtime = _runtime(
        container, FLAGPILOT_OUTCOME_FLUSH_SECONDS="600", FLAGPILOT_ROLLBACK_CHECK_SECONDS="600"
    )
    _started(container)
    runtime.refresh_rollouts()
    runtime.start()
    runtime.aggregator.record(_errors(3), environment="production", now=datetime.now(UTC))

    # When
    started = time.monotonic()
    runtime.stop()

    # Then
    assert time.monotonic() - started < 2
    assert not {thread.name for thread in threading.enumerate()} & RUNTIME_THREADS
    window = container.rollout_manager.statistics(FLAG, "production", now=datetime.now(UTC)).window
    assert window.treatment.errors == 3


def test_running_runtime__rolls_back_by_itself_within_its_check_interval(container: Container) -> None:
    runtime = _runtime(
        container, FLAGPILOT_ROLLBACK_CHECK_SECONDS="0.2", FLAGPILOT_OUTCOME_FLUSH_SECONDS="0.1"
    )
    _started(container)
    runtime.refresh_rollouts()
    runtime.start()
    try:
        runtime.aggregator.record(_errors(200), environment="production", now=datetime.now(UTC))

        rolled = _eventually(
            lambda: container.rollout_manager.get(FLAG, "production").status is RolloutStatus.ROLLED_BACK
        )
    finally:
        runtime.stop()

    assert rolled


def test_leadership__of_two_processes_on_one_database__is_held_by_one_until_released(
    database_url: str,
) -> None:
    engines = [build_engine(database_url), build_engine(database_url)]
    first, second = (leadership(engine) for engine in engines)
    try:
        held = [first.held(), second.held(), first.held()]
        first.release()
        taken_over = second.held()
    finally:
        first.release()
        second.release()
        for engine in engines:
            engine.dispose()

    assert held == [True, False, True]
    assert taken_over
