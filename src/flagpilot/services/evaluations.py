"""When each flag was last evaluated in each environment: what "stale" means on the flags page.

A flag nobody evaluates any more is a candidate for removal (LaunchDarkly's flag insights,
Unleash's "potentially stale"). The serving routes count evaluations in memory, per environment
and answer (`EvaluationCounter.count`: one dictionary increment, no I/O on the request path);
`EvaluationLog` flushes the counts every `interval` seconds to an `EvaluationStore` (the
database: every replica adds its own, and the last-evaluated time is the latest flush that
counted the flag), and reads them back for the pages.

Counting is approximate by design: an evaluation counted while a flush swaps the counts may be
lost, and the time recorded is the flush's, not the request's. Both are far finer than the days
that make a flag stale.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Protocol

from flagpilot.services.clock import utc_now
from flagpilot.services.errors import ServiceError

log = logging.getLogger(__name__)

DEFAULT_FLUSH_SECONDS = 60.0

FlagInEnvironment = tuple[str, str]
"""(flag key, environment)."""


class EvaluationStore(Protocol):
    """Where the counts of every replica add up."""

    def add(self, counts: Mapping[FlagInEnvironment, int], at: datetime) -> None:
        """Add `counts` and record `at` as the moment each of those flags was last evaluated."""
        ...

    def last_evaluated(self) -> dict[FlagInEnvironment, datetime]:
        """When each flag was last evaluated in each environment (never: absent)."""
        ...


class EvaluationCounter:
    """Evaluations counted since the last flush, per environment and answer.

    An answer (a widget document, a bulk evaluation) evaluates a tuple of flags; it is counted
    as one increment of that tuple, and the tuples are spread into per-flag counts when the
    counts are read, once a flush interval rather than once a request.
    """

    def __init__(self) -> None:
        self._pending: dict[str, dict[tuple[str, ...], int]] = {}

    def count(self, environment: str, keys: Iterable[str]) -> None:
        """Count one evaluation of each of `keys` in `environment` (called on the request path)."""
        if type(keys) is not tuple:
            keys = tuple(keys)
        counts = self._pending.get(environment)
        if counts is None:
            counts = self._pending.setdefault(environment, {})
        counts[keys] = counts.get(keys, 0) + 1

    def pending(self) -> set[FlagInEnvironment]:
        """The flags counted since the last flush."""
        return {
            (key, environment)
            for environment, counts in list(self._pending.items())
            for keys in list(counts)
            for key in keys
        }

    def restore(self, counts: Mapping[FlagInEnvironment, int]) -> None:
        """Add back counts a flush could not write."""
        for (key, environment), n in counts.items():
            environment_counts = self._pending.setdefault(environment, {})
            environment_counts[key,] = environment_counts.get((key,), 0) + n

    def drain(self) -> dict[FlagInEnvironment, int]:
        """The counts since the last call, which start again from zero."""
        pending, self._pending = self._pending, {}
        drained: dict[FlagInEnvironment, int] = {}
        for environment, counts in list(pending.items()):
            # A copy taken in one step: the event loop may still be counting into the old dict.
            for keys, n in list(counts.items()):
                for key in keys:
                    drained[key, environment] = drained.get((key, environment), 0) + n
        return drained


class EvaluationLog:
    """Counts evaluations in memory and flushes them periodically to an `EvaluationStore`.

    Args:
        store: where the counts are kept.
        interval: seconds between flushes (the background thread runs between `start` and `close`).
        clock: the current time (UTC).
    """

    def __init__(
        self,
        store: EvaluationStore,
        *,
        interval: float = DEFAULT_FLUSH_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.counter = EvaluationCounter()
        self._store = store
        self._interval = interval
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._flushing = threading.Lock()

    def flush(self) -> int:
        """Write what was counted since the last flush; how many (flag, environment) pairs.

        A failed write keeps the counts for the next flush (the database may be back by then).
        """
        with self._flushing:
            counts = self.counter.drain()
            if not counts:
                return 0
            try:
                self._store.add(counts, self._clock())
            except ServiceError:
                self.counter.restore(counts)
                raise
            return len(counts)

    def last_evaluated(self) -> dict[FlagInEnvironment, datetime]:
        """When each flag was last evaluated per environment, counting what is not flushed yet."""
        found = self._store.last_evaluated()
        now = self._clock()
        for pair in self.counter.pending():
            found[pair] = now
        return found

    def start(self) -> None:
        """Flush every `interval` seconds in a background thread, until `close`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="flagpilot-evaluations", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and flush once more."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        try:
            self.flush()
        except ServiceError as exc:
            log.warning("evaluation counts not flushed on close: %s", exc)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except ServiceError as exc:
                log.warning("evaluation counts not flushed, kept for the next flush: %s", exc)
