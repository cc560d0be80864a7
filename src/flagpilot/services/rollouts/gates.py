"""The gates an advance must pass: the tier's dwell time, its evidence, and its health.

    min_dwell    the tier has been served for at least `min_dwell_seconds`
    min_events   the tier has at least `min_events` treatment outcome events
    error_rate   the treatment's error rate in the window is within the threshold

Each closed gate says when it opens, so an operator (or the UI) knows what to wait for. A forced
advance skips them, but only with a reason, and the skipped gates are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flagpilot.services.errors import GateClosed
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.services.rollouts.statistics import RolloutStatistics

MIN_DWELL = "min_dwell"
MIN_EVENTS = "min_events"
ERROR_RATE = "error_rate"


@dataclass(frozen=True, slots=True)
class ClosedGate:
    """A gate that refuses the advance: which, why, and when it opens (if that is known)."""

    gate: str
    detail: str
    opens_at: str | None

    def error(self) -> GateClosed:
        """The refusal as the service raises it."""
        return GateClosed(self.detail, gate=self.gate, opens_at=self.opens_at)


def closed_gates(record: RolloutRecord, stats: RolloutStatistics, *, now: datetime) -> list[ClosedGate]:
    """Every gate that refuses advancing `record` at `now`, in the order above (empty: all open)."""
    closed = []
    if record.tier_started_at is not None:
        opens = record.tier_started_at + timedelta(seconds=record.min_dwell_seconds)
        if now < opens:
            closed.append(
                ClosedGate(
                    MIN_DWELL,
                    f"{record.current_tier} must be held until {opens.isoformat()} "
                    f"(minimum dwell {record.min_dwell_seconds} s)",
                    opens.isoformat(),
                )
            )
    seen = stats.tier_total.treatment.exposures
    if seen < record.min_events:
        missing = record.min_events - seen
        closed.append(
            ClosedGate(
                MIN_EVENTS,
                f"{record.current_tier} has {seen} of the {record.min_events} outcome events it needs",
                f"after {missing} more events",
            )
        )
    recent = stats.window.treatment
    if recent.exposures and recent.error_rate > record.error_rate_threshold:
        closed.append(
            ClosedGate(
                ERROR_RATE,
                f"treatment error rate {recent.error_rate * 100:.2f}% ({recent.errors}/"
                f"{recent.exposures}) in the window is above the "
                f"{record.error_rate_threshold * 100:.2f}% threshold",
                None,
            )
        )
    return closed
