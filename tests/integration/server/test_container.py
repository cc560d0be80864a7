"""The container wires settings to working services, and start/close manage its threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from flagpilot.core import EvaluationContext, FlagDefinition, Reason
from flagpilot.server import build_container
from flagpilot.settings import Settings

WATCHER_THREADS = {"flagpilot-snapshots", "flagpilot-listen", "flagpilot-poll"}


def _watcher_threads() -> set[str]:
    return {thread.name for thread in threading.enumerate()} & WATCHER_THREADS


def test_container__a_write_through_its_manager__is_served_by_its_snapshots(database_url: str) -> None:
    # Given
    with build_container(Settings(database_url=database_url, flags_enabled=True)) as container:
        container.flag_manager.create_environment("production", actor="setup")
        container.flag_manager.create_flag(FlagDefinition(key="checkout", default=True), actor="setup")
        before = container.snapshots.get("production").version

        # When
        container.flag_manager.kill("checkout", "production", actor="oncall")

        # Then
        snapshot = container.snapshots.get("production")
        assert snapshot.version > before
        assert snapshot.evaluate("checkout", EvaluationContext(customer_id="c")).reason is Reason.DISABLED
        assert container.audit_log.verify().ok
        rollout = container.rollout_manager.create("checkout", "production", actor="a", now=datetime.now(UTC))
        assert container.snapshots.get("production").states["checkout"].config.rollout is not None
        assert rollout.id is not None


def test_container__start_and_close__start_and_stop_the_background_threads(database_url: str) -> None:
    container = build_container(Settings(database_url=database_url))
    assert _watcher_threads() == set()

    container.start()
    started = _watcher_threads()
    container.close()

    assert "flagpilot-snapshots" in started
    assert started & {"flagpilot-listen", "flagpilot-poll"}
    assert _watcher_threads() == set()
