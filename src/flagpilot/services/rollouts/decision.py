"""The automatic-rollback rule: pure, from a tier's per-minute counts to a verdict with evidence.

Two e-detectors (`sequential.Detector`) are folded over the tier's minutes at every check:

absolute     treatment's error rate is above the threshold (all treatment customers)
attribution  the feature causes the errors: they land in the bucketed treatment more often than
             its share of the minute's events (whitelisted customers are chosen, not drawn, so
             they are left out); needs control to report

Both pause-or-rollback findings on absolute evidence also need the treatment's error rate over
the rollout's time window to be above the threshold now: evidence of an excess that is over
(the window back within the threshold) is watched, not acted on.

rollback   absolute evidence, at least `min_events` treatment events, and attribution evidence
           too once control and the bucketed treatment have `min_events` events each: at most
           alpha false rollbacks per tier at any true rate within the threshold, and at most the
           attribution's alpha when the feature does nothing, whatever control suffers
pause      absolute evidence without attribution ("control fails as much": an incident the
           feature may not cause) or on too few events; or attribution without absolute evidence
           (the feature raises errors but stays under the threshold): progression stops and a
           human is warned; the paused tier keeps serving
healthy    no evidence either way: nothing happens (no pause without evidence)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flagpilot.services.rollouts.detectors import (
    FoldMemo,
    MinuteCounts,
    fold_tier,
    minute_counts,
    minute_index,
    summed,
)
from flagpilot.services.rollouts.sequential import Detector, DetectorState
from flagpilot.services.rollouts.statistics import CohortPair, MinutePoint

LARGEST_LOG = 700.0  # exp() of more overflows a float

DEFAULT_ABSOLUTE = Detector(alpha=0.10, tier_ratio=1.4, change_ratios=(1.6, 3.0), tier_weight=0.99)
DEFAULT_UNATTRIBUTED_ALPHA = 0.05
DEFAULT_ATTRIBUTION = Detector(alpha=0.005, tier_ratio=2.0, change_ratios=(2.0, 4.0), tier_weight=0.5)


class Verdict(StrEnum):
    """What the checker should do with a rollout."""

    HEALTHY = "healthy"
    PAUSE = "pause"
    ROLLBACK = "rollback"


class Finding(StrEnum):
    """Which evidence a verdict rests on, for the audit row, the alert and the webhook."""

    NONE = "no_evidence"
    REGRESSION = "regression"
    FEW_EVENTS = "too_few_events"
    CONTROL_FAILS_TOO = "control_fails_too"
    ATTRIBUTED_UNDER_THRESHOLD = "attributed_under_threshold"


@dataclass(frozen=True, slots=True)
class RollbackRule:
    """The rule's settings: one detector per question (defaults chosen by the simulation)."""

    absolute: Detector = DEFAULT_ABSOLUTE
    attribution: Detector = DEFAULT_ATTRIBUTION
    unattributed_alpha: float = DEFAULT_UNATTRIBUTED_ALPHA
    """A pause for absolute evidence that attribution does not back needs e >= 1 / this: a
    stricter bound than a rollback's, since such an excess is most often one control shares
    and a pause pages a human (at most the absolute alpha to mean anything)."""

    def __post_init__(self) -> None:
        if not 0.0 < self.unattributed_alpha < 1.0:
            raise ValueError("unattributed alpha must be between 0 and 1")

    @property
    def unattributed_bound(self) -> float:
        """The absolute e-value that pauses without attribution."""
        return 1.0 / self.unattributed_alpha


@dataclass(frozen=True, slots=True)
class ProcessEvidence:
    """Where one e-detector stands: its e-value against its bound, and since when.

    Attributes:
        detector: its settings.
        log_e_value: log of the e-value (the e-value itself overflows for long incidents).
        likely_change: the minute the change most likely began (None before any evidence).
        since_change: the counts from that minute on.
    """

    detector: Detector
    log_e_value: float
    likely_change: datetime | None
    since_change: CohortPair

    @property
    def conclusive(self) -> bool:
        """Whether the e-value has reached 1 / alpha."""
        return self.log_e_value >= math.log(self.detector.bound)

    @property
    def e_value(self) -> float:
        """The e-value itself; infinite once it no longer fits a float."""
        return math.exp(self.log_e_value) if self.log_e_value < LARGEST_LOG else math.inf


@dataclass(frozen=True, slots=True)
class Evidence:
    """The numbers a verdict rests on, kept with the audit row, the event, the alert, the webhook
    (in the shape `services.audit_payloads.evidence_payload` gives them)."""

    threshold: float
    min_events: int
    finding: Finding
    absolute: ProcessEvidence
    attribution: ProcessEvidence
    control_reports: bool
    unattributed_bound: float
    above_now: bool
    window_start: datetime
    window_end: datetime
    window: CohortPair
    tier_total: CohortPair
    tier_started: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict, a sentence saying why, and the evidence."""

    verdict: Verdict
    reason: str
    evidence: Evidence


def decide(
    minutes: Sequence[MinutePoint],
    *,
    tier_started: datetime,
    threshold: float,
    min_events: int,
    window: CohortPair,
    window_start: datetime,
    window_end: datetime,
    rule: RollbackRule | None = None,
    memo: FoldMemo | None = None,
) -> Decision:
    """Judge one rollout's current tier from its per-minute counts since the tier began.

    Args:
        minutes: the tier's per-minute counts, oldest first (the current minute as it stands).
        tier_started: the minute the tier began (minute 0 of the detectors).
        threshold: the rollout's error-rate threshold.
        min_events: treatment events the tier needs before a rollback; once control and the
            bucketed treatment both have as many, a rollback needs attribution evidence too.
        window: the counts in the rollout's time window, for the evidence and the reason.
        window_start: start of the window, for the evidence.
        window_end: end of the window (the check's `now`), for the evidence.
        rule: the detectors' settings.
        memo: the last check's fold of this tier, to resume from (the result is the same).
    """
    rule = rule or RollbackRule()
    counts = minute_counts(minutes, tier_started)
    tier_total = summed(counts)
    states = fold_tier(
        rule.absolute,
        rule.attribution,
        counts,
        threshold=threshold,
        now_index=minute_index(window_end, tier_started),
        memo=memo,
    )
    absolute = _evidence(rule.absolute, states.absolute, counts, tier_started)
    attribution = _evidence(rule.attribution, states.attribution, counts, tier_started)
    control_reports = min(tier_total.control.exposures, tier_total.bucketed.exposures) >= min_events
    unattributed = absolute.log_e_value >= math.log(rule.unattributed_bound)
    recent = window.treatment
    above_now = recent.exposures > 0 and recent.error_rate > threshold
    finding, verdict = _judge(
        absolute, attribution, control_reports, unattributed, above_now, tier_total, min_events
    )
    evidence = Evidence(
        threshold=threshold,
        min_events=min_events,
        finding=finding,
        absolute=absolute,
        attribution=attribution,
        control_reports=control_reports,
        unattributed_bound=rule.unattributed_bound,
        above_now=above_now,
        window_start=window_start,
        window_end=window_end,
        window=window,
        tier_total=tier_total,
        tier_started=tier_started,
    )
    return Decision(verdict, _reason(evidence), evidence)


def _judge(
    absolute: ProcessEvidence,
    attribution: ProcessEvidence,
    control_reports: bool,
    unattributed: bool,
    above_now: bool,
    tier_total: CohortPair,
    min_events: int,
) -> tuple[Finding, Verdict]:
    if absolute.conclusive and above_now:
        if tier_total.treatment.exposures < min_events:
            return Finding.FEW_EVENTS, Verdict.PAUSE
        if not control_reports or attribution.conclusive:
            return Finding.REGRESSION, Verdict.ROLLBACK
        if unattributed:
            return Finding.CONTROL_FAILS_TOO, Verdict.PAUSE
    if attribution.conclusive:
        return Finding.ATTRIBUTED_UNDER_THRESHOLD, Verdict.PAUSE
    return Finding.NONE, Verdict.HEALTHY


def _evidence(
    detector: Detector, state: DetectorState, counts: Sequence[MinuteCounts], tier_started: datetime
) -> ProcessEvidence:
    """Where `detector` stands after its fold, with the counts since the likeliest change."""
    start = detector.likely_change(state)
    if start is None:
        return ProcessEvidence(detector, detector.log_e_value(state), None, CohortPair())
    changed = tier_started + timedelta(minutes=start)
    return ProcessEvidence(detector, detector.log_e_value(state), changed, summed(counts, start))


def _reason(evidence: Evidence) -> str:
    """One sentence an operator can act on, with the numbers."""
    treated = evidence.tier_total.treatment
    absolute, attribution = evidence.absolute, evidence.attribution
    rate = (
        f"treatment error rate {_pct(treated.error_rate)} ({treated.errors}/{treated.exposures}) "
        f"over the tier, threshold {_pct(evidence.threshold)}"
    )
    above = f"evidence above the threshold e = {_e(absolute)} (bound {absolute.detector.bound:g})"
    above += _since(absolute)
    blamed = f"evidence the feature causes the errors e = {_e(attribution)}"
    blamed += f" (bound {attribution.detector.bound:g})"
    control = evidence.tier_total.control
    match evidence.finding:
        case Finding.REGRESSION:
            versus = f"; {blamed}, control at {_pct(control.error_rate)}" if evidence.control_reports else ""
            return f"{rate}: {above}{versus}"
        case Finding.FEW_EVENTS:
            return (
                f"{rate}: {above}, but on only {treated.exposures} of the {evidence.min_events} "
                "events a rollback needs: paused for a human to judge (the tier keeps serving)"
            )
        case Finding.CONTROL_FAILS_TOO:
            return (
                f"{rate}: {above}, but control fails as much ({_pct(control.error_rate)}; {blamed}): "
                "the feature may not be the cause; paused for a human to judge (the tier keeps serving)"
            )
        case Finding.ATTRIBUTED_UNDER_THRESHOLD:
            bucketed = evidence.tier_total.bucketed
            return (
                f"the feature raises errors ({_pct(bucketed.error_rate)} in treatment against "
                f"{_pct(control.error_rate)} in control; {blamed}) but no evidence yet that the rate is "
                f"above the {_pct(evidence.threshold)} threshold: progression paused, the tier keeps serving"
            )
    if absolute.conclusive and not evidence.above_now:
        recent = evidence.window.treatment
        return (
            f"{rate}: {above}, but over the window the rate is {_pct(recent.error_rate)} "
            f"({recent.errors}/{recent.exposures}), within the threshold: watched"
        )
    if absolute.conclusive:
        return (
            f"{rate}: {above}, but control fails about as much ({_pct(control.error_rate)}; {blamed}): "
            f"watched, and paused if it reaches {evidence.unattributed_bound:g}"
        )
    return f"{rate}: no evidence of a regression (e = {_e(absolute)}, attribution e = {_e(attribution)})"


def _since(process: ProcessEvidence) -> str:
    if process.likely_change is None:
        return ""
    counts = process.since_change.treatment
    return (
        f", most likely since {process.likely_change.strftime('%Y-%m-%d %H:%M')} UTC "
        f"({counts.errors}/{counts.exposures} errors since)"
    )


def _e(process: ProcessEvidence) -> str:
    value = process.log_e_value
    if value >= LARGEST_LOG:
        return f"exp({value:.0f})"
    return f"{math.exp(value):.3g}"


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}%"
