"""The shapes the simulated rules share: one minute of counts in, twelve 5-s verdicts out."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

SLOTS = 12  # the server checks every 5 s; a minute's row grows over its 12 checks
HEALTHY, PAUSE, ROLLBACK = 0, 1, 2

IntArray = NDArray[np.int64]
Counts = tuple[IntArray, IntArray, IntArray, IntArray]
"""Treatment events, treatment errors, control events, control errors: each (runs, SLOTS), the
minute's counts so far at each of its checks (cumulative over the minute)."""
Verdicts = tuple[NDArray[np.int8], dict[str, NDArray[np.float64]]]
"""Each check's verdict (runs, SLOTS), and statistics worth comparing with the checker's."""


class SimulatedRule(Protocol):
    """A rule the simulation drives minute by minute."""

    name: str

    def begin(self, runs: int) -> None:
        """Reset for `runs` fresh tiers."""

    def minute(self, m: int, counts: Counts) -> Verdicts:
        """The verdicts at minute `m`'s checks; then fold the complete minute in."""
