"""The snapshot cache serves compiled snapshots and keeps them current: locally at once, across
processes within a second, after a lost notification within the TTL, and through an outage
with the last good snapshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from flagpilot.core import EvaluationContext, Reason, RolloutStatus, Tier
from flagpilot.services.errors import EnvironmentNotFound
from flagpilot.services.flags import FlagManager
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.services.snapshot_cache import SnapshotCache
from flagpilot.services.stored_records import OverrideScope
from flagpilot.storage import SqlUnitOfWorkFactory, build_engine
from flagpilot.storage.snapshot_store import SqlSnapshotStore
from flagpilot.storage.watchers import PostgresChangeListener, change_watcher
from tests.databases import drop_database, migrate_url

ANYONE = EvaluationContext(customer_id="c-1", organization_id="o-1")


@pytest.fixture
def cache(uow_factory: SqlUnitOfWorkFactory, manager: FlagManager) -> Iterator[SnapshotCache]:
    """A cache over the test database, told of this process's writes, not yet started."""
    built = SnapshotCache(SqlSnapshotStore(uow_factory.engine), watcher=change_watcher(uow_factory.engine))
    uow_factory.add_commit_listener(built.invalidate)
    yield built
    built.close()


def _wait_for(predicate: object, seconds: float) -> float:
    """Poll `predicate` until true; return the seconds it took (or fail after `seconds`)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - start
        time.sleep(0.01)
    pytest.fail(f"not within {seconds} s")


def test_get__twice__builds_once_then_answers_from_memory(cache: SnapshotCache) -> None:
    first = cache.get("production")
    second = cache.get("production")

    assert first is second
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.stale) == (1, 1, False)
    assert stats.version == first.version > 0


def test_get__unknown_environment__raises_environment_not_found(cache: SnapshotCache) -> None:
    with pytest.raises(EnvironmentNotFound):
        cache.get("moon")


def test_local_write__is_served_by_the_next_get(cache: SnapshotCache, manager: FlagManager) -> None:
    # Given
    before = cache.get("production")

    # When
    manager.kill("checkout", "production", actor="oncall")

    # Then
    after = cache.get("production")
    assert after.version > before.version
    assert after.evaluate("checkout", ANYONE).reason is Reason.DISABLED


def test_snapshot__carries_values_overrides_and_rollouts(
    cache: SnapshotCache, manager: FlagManager, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given
    manager.set_value("banner", "production", "prod", actor="a")
    manager.set_override("banner", "production", OverrideScope.ORGANIZATION, "o-1", "org", actor="a")
    manager.set_override("banner", "production", OverrideScope.CUSTOMER, "c-2", "cust", actor="a")
    with uow_factory(actor="a") as uow:
        uow.rollouts.put(
            RolloutRecord(
                feature_name="checkout",
                environment="production",
                current_tier=Tier.TIER_4_FULL,
                percentage=100.0,
                status=RolloutStatus.ACTIVE,
            )
        )
        uow.commit()

    # When
    snapshot = cache.get("production")

    # Then
    assert snapshot.evaluate("banner", EvaluationContext(customer_id="c-9")).value == "prod"
    assert snapshot.evaluate("banner", ANYONE).value == "org"
    assert (
        snapshot.evaluate("banner", EvaluationContext(customer_id="c-2", organization_id="o-1")).value
        == "cust"
    )
    rolled = snapshot.evaluate("checkout", ANYONE)
    assert (rolled.value, rolled.reason, rolled.tier) == (True, Reason.SPLIT, Tier.TIER_4_FULL)


def test_snapshot__a_customer_override_recorded_in_an_organization_applies_only_there(
    cache: SnapshotCache, manager: FlagManager
) -> None:
    # Given an override of customer c-2 recorded in organization o-2, and one recorded in none
    manager.set_override(
        "banner", "production", OverrideScope.CUSTOMER, "c-2", "theirs", actor="a", organization_id="o-2"
    )
    manager.set_override("banner", "production", OverrideScope.CUSTOMER, "c-3", "everyone's", actor="a")

    # When
    snapshot = cache.get("production")

    # Then c-2's override is served in o-2 or without an organization, never in another
    def served(customer: str, organization: str | None) -> object:
        return snapshot.evaluate("banner", EvaluationContext(customer, organization)).value

    assert served("c-2", "o-2") == served("c-2", None) == "theirs"
    assert served("c-2", "o-1") == served("c-9", "o-1")
    assert served("c-3", "o-1") == served("c-3", None) == "everyone's"
    assert snapshot.states["banner"].config.customer_organizations == {"c-2": "o-2"}


def test_master_switch_off__serves_built_in_defaults(
    uow_factory: SqlUnitOfWorkFactory, manager: FlagManager
) -> None:
    manager.set_value("banner", "production", "prod", actor="a")
    cache = SnapshotCache(SqlSnapshotStore(uow_factory.engine), flags_enabled=False)

    result = cache.get("production").evaluate("banner", ANYONE)

    assert (result.value, result.reason) == ("hello", Reason.DEFAULT)


def test_lost_notification__the_ttl_bounds_staleness(
    uow_factory: SqlUnitOfWorkFactory, manager: FlagManager
) -> None:
    # Given: no watcher, a short TTL
    cache = SnapshotCache(SqlSnapshotStore(uow_factory.engine), ttl_seconds=0.3)
    cache.start()
    old = cache.get("production")

    # When: a change the cache is not told about
    with uow_factory.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO flag_environments (flag_key, environment, killed, has_value) "
                "VALUES ('checkout', 'production', true, false)"
            )
        )

    # Then: get() notices the TTL ran out, the background refresh swaps in the new snapshot
    try:
        _wait_for(lambda: cache.get("production").version > old.version, 3.0)
    finally:
        cache.close()
    assert cache.get("production").evaluate("checkout", ANYONE).reason is Reason.DISABLED


CHANGE_IN_ANOTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from flagpilot.services.flags import FlagManager
    from flagpilot.storage import SqlUnitOfWorkFactory, build_engine

    engine = build_engine(sys.argv[1])
    FlagManager(SqlUnitOfWorkFactory(engine)).kill("checkout", "production", actor="other-process")
    print("committed", flush=True)
    engine.dispose()
    """
)


def test_change_in_another_process__reaches_a_started_cache_within_a_second(
    cache: SnapshotCache, database_url: str, backend: str
) -> None:
    # Given
    cache.start()
    old = cache.get("production")
    if backend == "postgresql":
        assert isinstance(cache._watcher, PostgresChangeListener)
        assert cache._watcher.connected.wait(5)
    with subprocess.Popen(
        [sys.executable, "-c", CHANGE_IN_ANOTHER_PROCESS, database_url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ) as process:
        # When
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "committed"

        # Then
        elapsed = _wait_for(lambda: cache.get("production").version > old.version, 1.0)
        process.wait(timeout=10)
    assert cache.get("production").evaluate("checkout", ANYONE).reason is Reason.DISABLED
    assert elapsed < 1.0
    assert cache.stats().misses == 0  # the refresher built it, not a request


def test_database_unreachable__serves_the_last_good_snapshot_and_reports_stale(
    empty_database_url: str, backend: str, tmp_path: Path, postgres_server_url_if_used: str | None
) -> None:
    # Given: a cache that served a snapshot from a database that then goes away
    migrate_url(empty_database_url)
    engine = build_engine(empty_database_url)
    manager = FlagManager(SqlUnitOfWorkFactory(engine))
    manager.create_environment("production", actor="a")
    cache = SnapshotCache(SqlSnapshotStore(engine))
    served = cache.get("production")
    if backend == "sqlite":
        path = Path(str(engine.url.database))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.mkdir()
    else:
        assert postgres_server_url_if_used is not None
        drop_database(postgres_server_url_if_used, str(engine.url.database))
    engine.dispose()

    # When
    answered = cache.refresh()
    cache.invalidate()
    still = cache.get("production")

    # Then
    stats = cache.stats()
    assert answered is False
    assert still is served
    assert stats.stale
    assert stats.last_error
    if backend == "sqlite":
        shutil.rmtree(path)


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_listener__after_its_connection_is_killed__reconnects_and_still_propagates(
    cache: SnapshotCache, uow_factory: SqlUnitOfWorkFactory
) -> None:
    # Given: a started cache whose LISTEN connection the server terminates
    cache.start()
    old = cache.get("production")
    listener = cache._watcher
    assert isinstance(listener, PostgresChangeListener)
    assert listener.connected.wait(5)
    with uow_factory.engine.begin() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'flagpilot-listen'"
            )
        ).scalar()
    assert killed == 1
    _wait_for(lambda: not listener.connected.is_set(), 5.0)
    assert listener.connected.wait(5)

    # When: a change by hand-written SQL after the reconnection
    with uow_factory.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO flag_environments (flag_key, environment, killed, has_value) "
                "VALUES ('checkout', 'production', true, false)"
            )
        )

    # Then
    _wait_for(lambda: cache.get("production").version > old.version, 1.0)
    assert cache.get("production").evaluate("checkout", ANYONE).reason is Reason.DISABLED
