"""Reconnection delays: exponential from 1 s to 30 s with jitter, reset after a healthy minute.

Jitter keeps a fleet of clients that lost the same server from reconnecting in lock step.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

# The one source of randomness the project uses (also for jitter, where it costs nothing extra).
_SYSTEM_RANDOM = secrets.SystemRandom()


class Backoff:
    """The delay before each reconnection attempt.

    Args:
        initial: the first delay, in seconds.
        maximum: the largest delay.
        reset_after: a connection that stayed healthy this long starts the series over.
        rand: a source of numbers in [0, 1), for tests.
    """

    def __init__(
        self,
        initial: float = 1.0,
        maximum: float = 30.0,
        reset_after: float = 60.0,
        rand: Callable[[], float] = _SYSTEM_RANDOM.random,
    ) -> None:
        self.initial, self.maximum, self.reset_after = initial, maximum, reset_after
        self._rand = rand
        self._attempt = 0

    def next_delay(self, healthy_for: float = 0.0) -> float:
        """The delay after a failure; `healthy_for` is how long the lost connection had worked."""
        if healthy_for >= self.reset_after:
            self._attempt = 0
        ceiling = min(self.maximum, self.initial * 2.0**self._attempt)
        self._attempt = min(self._attempt + 1, 32)
        return ceiling / 2 + self._rand() * ceiling / 2  # "equal jitter": never below half

    def reset(self) -> None:
        """Start over at the initial delay."""
        self._attempt = 0
