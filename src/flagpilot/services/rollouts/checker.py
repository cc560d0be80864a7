"""The automatic-rollback checker: judges every monitored rollout and acts on the verdict.

`check_all(now)` runs once a minute in the one replica holding the leader lock. Active and
paused rollouts are judged (a paused tier still serves customers); a rollback verdict rolls the
rollout back, a pause verdict pauses an active one, both through `RolloutManager` as actor
`flagpilot-autorollback`, audited with the evidence, and both raise an alert. Each change is
made against the version the verdict was computed on, so two checkers racing (or an operator
acting meanwhile) can never apply one verdict twice: the loser gets `VersionConflict` and skips.

A change the database aborts to break a deadlock or a serialization conflict is run again by
`RolloutManager`, as every write is (`services.contention`); if every attempt is aborted, that
rollout is left `contended` — unchanged, no alert — and the others are still judged and acted
on: the next check finds the same evidence and tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flagpilot.core import RolloutStatus
from flagpilot.services.audit_payloads import evidence_payload
from flagpilot.services.errors import Conflict, WriteContention
from flagpilot.services.rollouts.alerts import Alert, AlertSink, Severity
from flagpilot.services.rollouts.decision import Decision, RollbackRule, Verdict, decide
from flagpilot.services.rollouts.detectors import FoldMemo
from flagpilot.services.rollouts.manager import RolloutManager
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.services.rollouts.statistics import RolloutStatistics

AUTO_ACTOR = "flagpilot-autorollback"
MemoKey = tuple[int | None, datetime | None, float]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What the checker found for one rollout and what it did.

    Attributes:
        feature_name: the flag key.
        environment: the environment.
        decision: the verdict with its reason and evidence.
        action: `rolled_back`, `paused`, `none`, `skipped` (another writer changed it first), or
            `contended` (the database aborted every attempt; the next check tries again).
    """

    feature_name: str
    environment: str
    decision: Decision
    action: str


class RollbackChecker:
    """Applies the automatic-rollback rule to every monitored rollout."""

    def __init__(
        self,
        manager: RolloutManager,
        alerts: AlertSink,
        *,
        rule: RollbackRule | None = None,
    ) -> None:
        self._manager = manager
        self._alerts = alerts
        self._rule = rule or RollbackRule()
        self._memos: dict[MemoKey, FoldMemo] = {}

    def check_all(self, now: datetime) -> list[CheckResult]:
        """Judge every active or paused rollout at `now`, act, and report what was done."""
        monitored = self._manager.monitored_statistics(now)  # also what /metrics serves next
        judged = [(record, self.judge(record, stats)) for record, stats in monitored]
        watched = {_memo_key(record) for record, _ in judged}
        self._memos = {key: memo for key, memo in self._memos.items() if key in watched}
        return [self.apply(record, decision, now) for record, decision in judged]

    def judge(self, record: RolloutRecord, stats: RolloutStatistics) -> Decision:
        """The verdict for `record` from its statistics (computed at `stats.window_end`)."""
        memo = self._memos.setdefault(_memo_key(record), FoldMemo())
        return decide(
            stats.tier_series,
            tier_started=stats.tier_started or stats.window_start,
            threshold=record.error_rate_threshold,
            min_events=record.min_events,
            window=stats.window,
            window_start=stats.window_start,
            window_end=stats.window_end,
            rule=self._rule,
            memo=memo,
        )

    def apply(self, record: RolloutRecord, decision: Decision, now: datetime) -> CheckResult:
        """Act on `decision`, reached for `record` at its version; `skipped` if it moved since."""
        verdict = decision.verdict
        if verdict is Verdict.HEALTHY or (
            verdict is Verdict.PAUSE and record.status is not RolloutStatus.ACTIVE
        ):
            return CheckResult(record.feature_name, record.environment, decision, "none")
        evidence = evidence_payload(decision.evidence)
        rolled = verdict is Verdict.ROLLBACK
        act = self._manager.rollback if rolled else self._manager.pause
        try:
            changed = act(
                record.feature_name,
                record.environment,
                actor=AUTO_ACTOR,
                now=now,
                reason=f"automatic {'rollback' if rolled else 'pause'}: {decision.reason}",
                evidence=evidence,
                expected_version=record.version,
            )
        except Conflict:
            return CheckResult(record.feature_name, record.environment, decision, "skipped")
        except WriteContention as exc:
            log.warning(
                "the automatic %s of %s in %s is left for the next check: %s",
                "rollback" if rolled else "pause",
                record.feature_name,
                record.environment,
                exc.detail,
            )
            return CheckResult(record.feature_name, record.environment, decision, "contended")
        self._alerts.emit(
            Alert(
                kind="rollout.auto_rollback" if rolled else "rollout.auto_pause",
                severity=Severity.CRITICAL if rolled else Severity.WARNING,
                feature_name=record.feature_name,
                environment=record.environment,
                message=f"{record.feature_name} in {record.environment} "
                f"{'rolled back' if rolled else 'paused'} at {record.current_tier}: {decision.reason}",
                created_at=now,
                version=changed.version,
                details=evidence,
            )
        )
        return CheckResult(
            record.feature_name, record.environment, decision, "rolled_back" if rolled else "paused"
        )


def _memo_key(record: RolloutRecord) -> MemoKey:
    """What a tier's fold depends on besides its rows: the rollout, the tier's start, the threshold."""
    return (record.id, record.tier_started_at, record.error_rate_threshold)
