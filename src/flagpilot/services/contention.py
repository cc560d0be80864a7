"""Run a write again when the database aborted it to break a deadlock or a serialization conflict.

PostgreSQL resolves a deadlock (SQLSTATE 40P01) or a serialization failure (40001) by aborting
one transaction: nothing of it was written, and running the same work again usually succeeds
once the other transaction is done. The application's writers queue on one lock and cannot
deadlock each other, but a hand-written SQL writer, or a second product sharing the tables, can
take the same locks in the other order. A service method marked `@retry_on_contention` is run
again, a few times with a random pause, before the client hears of it; if the attempts run out
the client gets a 503 `write-contention` problem, never a 500.

A retry must never repeat something already committed. Units of work report each commit here
(`note_commit`); once one committed during an attempt, a later abort is passed on, not retried.
A marked method called from another runs inside the outer one's attempts, not attempts of its own.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

from flagpilot.services.errors import WriteContention

ATTEMPTS = 4
"""Attempts in all, the first included."""

PAUSE_SECONDS = 0.05
"""The mean pause before the second attempt; each further one doubles it (with full jitter)."""

P = ParamSpec("P")
T = TypeVar("T")

_random = secrets.SystemRandom()
_inside: ContextVar[bool] = ContextVar("flagpilot_contention_inside", default=False)
_committed: ContextVar[bool] = ContextVar("flagpilot_contention_committed", default=False)


def note_commit() -> None:
    """Tell a running retry that a transaction committed, so it will not run the work again."""
    _committed.set(True)


def retry_on_contention(method: Callable[P, T]) -> Callable[P, T]:
    """`method`, run again (up to `ATTEMPTS` in all) when it fails with `WriteContention` and
    nothing of it was committed; the pauses are random, so two victims do not collide again."""

    @wraps(method)
    def retried(*args: P.args, **kwargs: P.kwargs) -> T:
        if _inside.get():
            return method(*args, **kwargs)
        inside = _inside.set(True)
        try:
            for attempt in range(1, ATTEMPTS + 1):
                committed = _committed.set(False)
                try:
                    return method(*args, **kwargs)
                except WriteContention:
                    if _committed.get() or attempt == ATTEMPTS:
                        raise
                finally:
                    _committed.reset(committed)
                time.sleep(_random.uniform(0, 2 * PAUSE_SECONDS * 2 ** (attempt - 1)))
            raise AssertionError("unreachable: the last attempt returns or raises")
        finally:
            _inside.reset(inside)

    return retried
