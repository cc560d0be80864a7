"""Evaluations served, by flag and reason, counted one answer at a time.

A widget or bulk answer evaluates every flag it shows. Counting each flag's (flag, reason) pair
as it is served cost more than evaluating the flags; the tally counts the answer's pattern
instead — its keys and their reasons, two tuples, one dictionary increment — and spreads the
patterns into per-flag counts when they are read. Patterns are few, as a flag has few outcomes;
when more than `MAX_PATTERNS` pile up between reads they are folded into the totals on the spot.

Only the event loop's thread counts; `/metrics` reads from a worker thread. Counting changes the
current patterns in place, and a fold publishes new totals with new, empty patterns in a single
assignment, so a read always sees one consistent state and no count ever goes back.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter

from flagpilot.core import EvaluationResult, Reason

MAX_PATTERNS = 4096
"""Patterns kept before they are folded: a bound on memory whatever the flags' outcomes."""

FlagAndReason = tuple[str, Reason]
Pattern = tuple[tuple[str, ...], tuple[Reason, ...]]

_reason = attrgetter("reason")


def _spread(totals: dict[FlagAndReason, int], patterns: Iterable[tuple[Pattern, int]]) -> None:
    """Add each pattern's count to the count of every (flag, reason) pair in it."""
    for (keys, reasons), count in patterns:
        for pair in zip(keys, reasons, strict=True):
            totals[pair] = totals.get(pair, 0) + count


class EvaluationTally:
    """Evaluation counts by flag and reason, for one app's `/metrics`."""

    def __init__(self) -> None:
        self._state: tuple[dict[FlagAndReason, int], dict[Pattern, int]] = ({}, {})
        """The folded totals, and the patterns counted since the last fold."""

    def count(self, keys: tuple[str, ...], results: Iterable[EvaluationResult]) -> None:
        """Count one answer: `results` are the evaluations of `keys`, in that order."""
        self._count_pattern((keys, tuple(map(_reason, results))))

    def count_one(self, key: str, reason: Reason) -> None:
        """Count one evaluation of one flag."""
        self._count_pattern(((key,), (reason,)))

    def _count_pattern(self, pattern: Pattern) -> None:
        patterns = self._state[1]
        patterns[pattern] = patterns.get(pattern, 0) + 1
        if len(patterns) > MAX_PATTERNS:
            self._fold()

    def totals(self) -> dict[FlagAndReason, int]:
        """Every (flag, reason) pair counted so far, and its count."""
        folded, patterns = self._state
        totals = dict(folded)
        _spread(totals, list(patterns.items()))
        return totals

    def _fold(self) -> None:
        self._state = (self.totals(), {})
