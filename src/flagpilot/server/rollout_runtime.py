"""The rollouts' moving parts in a server process: outcome counting, the checker, webhook delivery.

Every replica
  - counts `POST /api/events` in an `OutcomeAggregator` and flushes it to `rollout_metrics`
    every second (additive upserts: the replicas' counts sum), and once more on shutdown;
  - keeps the aggregator's view of the serving rollouts current: at the end of every refresh of
    the snapshot cache it compares the version the cache now serves with the one it last read
    the rollouts at, and re-reads them when it moved. An admin write returns only after that
    refresh (`SnapshotCache.written`), so a rollout started through this replica counts the
    next event posted to it; the cache learns of every other change (another replica's, even
    hand-written SQL) from the database, so a rollback made anywhere stops counting toward the
    old tier in the same refresh that serves it, within the propagation bound.

The one replica holding the leader lock (see `leader`)
  - runs the automatic-rollback checker every `FLAGPILOT_ROLLBACK_CHECK_SECONDS` (default 5);
  - delivers alert webhooks to `FLAGPILOT_ALERT_WEBHOOK_URL` every second, retrying with backoff;
    only to public addresses, checked at connect time, unless `FLAGPILOT_ALERT_WEBHOOK_ALLOW`
    lists the host or network (comma-separated, e.g. `127.0.0.1,10.0.0.0/8`).

Two daemon threads do the rest; `stop()` ends them promptly (they wait on an event, never sleep) and
flushes the last counts. Settings (environment variables):

    FLAGPILOT_ROLLBACK_CHECK_SECONDS     checker interval, seconds (default 5)
    FLAGPILOT_OUTCOME_FLUSH_SECONDS      flush interval, seconds (default 1)
    FLAGPILOT_ALERT_WEBHOOK_URL          where alerts are POSTed (none: in-app list and metrics only)
    FLAGPILOT_ALERT_WEBHOOK_SECRET       HMAC-SHA256 key for `X-Flagpilot-Signature`
    FLAGPILOT_ROLLBACK_ALPHA, ...        the rollback rule's settings (`rule_settings`)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from fastapi import APIRouter
from prometheus_client.registry import Collector

from flagpilot.api.admin.alerts import alerts_router
from flagpilot.api.admin.rollouts import rollouts_router
from flagpilot.api.events import events_router
from flagpilot.server.container import Container
from flagpilot.server.rollout_metrics import AutoRollbackCounter, RolloutCollector
from flagpilot.services.auth import Authenticator
from flagpilot.services.clock import Clock, utc_now
from flagpilot.services.errors import ServiceError
from flagpilot.services.rollouts import (
    AlertFanout,
    AlertSink,
    InMemoryAlerts,
    OutcomeAggregator,
    RollbackChecker,
    WebhookNotifier,
)
from flagpilot.settings import RolloutRuntimeSettings, Settings
from flagpilot.storage.leader import Leadership, leadership
from flagpilot.storage.query_metrics import query_timer
from flagpilot.storage.repositories.rollout_metrics import SqlMetricSink
from flagpilot.storage.webhook_http import Allowance, HttpxPoster

DELIVERY_SECONDS = 1.0
JOIN_SECONDS = 5.0


log = logging.getLogger(__name__)


@dataclass(slots=True)
class RolloutRuntime:
    """The rollout services of one server process and the threads that drive them.

    Build it with `build_rollout_runtime`; hand `routers()` and `collectors()` to the API and
    call `start()` / `stop()` from the application's lifespan.
    """

    container: Container
    settings: RolloutRuntimeSettings
    aggregator: OutcomeAggregator
    alerts: InMemoryAlerts
    rollbacks: AutoRollbackCounter
    checker: RollbackChecker
    leader: Leadership
    notifier: WebhookNotifier | None = None
    poster: HttpxPoster | None = None
    clock: Clock = utc_now
    _seen_version: int | None = None
    _environments: set[str] = field(default_factory=set)
    _reading: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def routers(self, authenticator: Authenticator, default_environment: str) -> list[APIRouter]:
        """The rollout, event and alert routes."""
        container = self.container
        return [
            rollouts_router(container.rollout_manager, authenticator, default_environment, self.clock),
            events_router(
                self.aggregator, authenticator, container.snapshots, default_environment, self.clock
            ),
            alerts_router(self.alerts, authenticator),
        ]

    def collectors(self) -> list[Collector]:
        """The rollout metrics and the database query-time histogram, for `/metrics`."""
        return [
            RolloutCollector(self.container.rollout_manager, self.rollbacks, self.clock),
            query_timer(self.container.engine),
        ]

    # ------------------------------------------------------------------ one step each

    def refresh_rollouts(self) -> bool:
        """Re-read the serving rollouts if the snapshots' version moved; whether it re-read them.

        The snapshot cache is the process's one change detector (listener, version poll, its
        own writes); the aggregator follows the version it serves instead of polling again.
        The rollouts are read after the snapshots, so they are at least as new as the version
        noted (a write in between is read twice, never missed).
        """
        with self._reading:
            version = self.container.snapshots.current_version()
            if version == self._seen_version:
                return False
            records = self.container.rollout_manager.list_rollouts()
            environments = {record.environment for record in records} | set(self._environments)
            for environment in environments:
                self.aggregator.set_rollouts(environment, records)
            self._environments.update(environments)
            self._seen_version = version
            return True

    def flush(self) -> int:
        """Store the counts gathered since the last flush; the rows written."""
        return self.aggregator.flush(self.clock())

    def lead(self, *, check: bool) -> bool:
        """If this replica leads: deliver due webhooks and, when `check`, run the checker."""
        if not self.leader.held():
            return False
        now = self.clock()
        if check:
            for result in self.checker.check_all(now):
                if result.action != "none":
                    log.warning(
                        "automatic %s of %s in %s: %s",
                        result.action,
                        result.feature_name,
                        result.environment,
                        result.decision.reason,
                    )
        if self.notifier is not None:
            for attempt in self.notifier.deliver_due(self.clock()):
                if not attempt.delivered:
                    log.warning("alert webhook attempt %d failed: %s", attempt.attempt, attempt.error)
        return True

    # ------------------------------------------------------------------ threads

    def start(self) -> None:
        """Follow the snapshot cache's refreshes, read the serving rollouts, then start flushing
        and (when leading) checking and delivering.

        Reads the database: call it before serving, off any event loop. Following comes first,
        so no refresh falls between the first read and the next one that re-reads.
        """
        self.container.snapshots.add_refresh_listener(self._follow_snapshots)
        self.refresh_rollouts()
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._count_loop, name="flagpilot-outcomes", daemon=True),
            threading.Thread(target=self._lead_loop, name="flagpilot-leader", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop the threads, flush the last counts, give up leadership, close the webhook client."""
        self.container.snapshots.remove_refresh_listener(self._follow_snapshots)
        self._stopping.set()
        for thread in self._threads:
            thread.join(JOIN_SECONDS)
        self._threads = []
        try:
            self.flush()
        except ServiceError as exc:
            log.error("could not flush the last outcome counts on shutdown: %s", exc.detail)
        self.leader.release()
        if self.poster is not None:
            self.poster.close()

    def _follow_snapshots(self) -> None:
        self._guarded("refresh the serving rollouts", self.refresh_rollouts)

    def _count_loop(self) -> None:
        while not self._stopping.wait(self.settings.flush_seconds):
            self._guarded("flush outcome counts", self.flush)

    def _lead_loop(self) -> None:
        tick = min(DELIVERY_SECONDS, self.settings.check_seconds)
        since_check = self.settings.check_seconds  # check on the first tick
        while not self._stopping.wait(tick):
            since_check += tick
            due = since_check >= self.settings.check_seconds
            if due:
                since_check = 0.0
            self._guarded("run the rollback checker", partial(self.lead, check=due))

    def _guarded(self, what: str, step: Callable[[], object]) -> None:
        try:
            step()
        except ServiceError as exc:
            log.warning("could not %s: %s", what, exc.detail)
        except Exception:  # a background thread must survive a bug in one step and say so
            log.exception("could not %s", what)


def build_rollout_runtime(container: Container, settings: Settings, clock: Clock = utc_now) -> RolloutRuntime:
    """Wire the rollout runtime over `container` (nothing starts until `start()`)."""
    runtime_settings = settings.rollouts
    alerts = InMemoryAlerts()
    rollbacks = AutoRollbackCounter()
    sinks: list[AlertSink] = [alerts, rollbacks]
    poster = notifier = None
    if runtime_settings.webhook_url is not None:
        poster = HttpxPoster(Allowance.parse(runtime_settings.webhook_allow))
        notifier = WebhookNotifier(
            poster, runtime_settings.webhook_url, secret=runtime_settings.webhook_secret
        )
        sinks.append(notifier)
    checker = RollbackChecker(
        container.rollout_manager, AlertFanout(sinks), rule=runtime_settings.rule
    )
    return RolloutRuntime(
        container=container,
        settings=runtime_settings,
        aggregator=OutcomeAggregator(SqlMetricSink(container.engine)),
        alerts=alerts,
        rollbacks=rollbacks,
        checker=checker,
        leader=leadership(container.engine),
        notifier=notifier,
        poster=poster,
        clock=clock,
    )
