"""What the admin UI is built from: the same services the API and the CLI call.

The UI implements no rule of its own: every change goes through the flag manager, the rollout
manager, the token service or the user service, which check input, versions and transitions
and write the audit rows. The UI adds only what a browser needs: sessions, CSRF tokens,
confirmations and pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flagpilot.services.alert_acknowledgements import AcknowledgementStore, MemoryAcknowledgements
from flagpilot.services.audit import AuditLog
from flagpilot.services.clock import utc_now
from flagpilot.services.evaluations import EvaluationLog
from flagpilot.services.flags import FlagManager
from flagpilot.services.rollouts import InMemoryAlerts, RollbackChecker, RolloutManager
from flagpilot.services.snapshots import SnapshotProvider
from flagpilot.services.tokens import TokenService
from flagpilot.services.users import UserService
from flagpilot.ui.rollout_memory import RolloutMemory

STALE_AFTER = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class UiServices:
    """Everything the admin pages call.

    Attributes:
        flags: flags, environment values, kill switch, overrides.
        rollouts: the rollout lifecycle and its statistics.
        audit: the audit trail's queries and verification.
        tokens: API tokens (the tokens page).
        users: who may sign in, and their sessions.
        snapshots: the serving snapshots: the explain box, and the pages shown while the
            database is unreachable.
        alerts: the rollout alerts of this process (None: the alerts page is empty).
        checker: the automatic-rollback rule, to show its verdict on a rollout's numbers.
        clock: the current time (UTC).
        guarded_environments: environments where every toggle needs a confirmation and a reason.
        acknowledgements: who has seen which alert (kept in this process when not given).
        evaluations: when each flag was last evaluated, for the stale mark (None: never stale).
        stale_after: how long without an evaluation makes a flag stale.
        state_version: the database's flag-state version (bumped by every change to flags,
            settings, overrides and rollouts), so the flags page can reuse its last read while
            nothing changed; None reads every time.
        rollout_memory: the rollouts as the pages last read them, shown while the database is
            unreachable (the serving snapshots do not carry rollouts).
    """

    flags: FlagManager
    rollouts: RolloutManager
    audit: AuditLog
    tokens: TokenService
    users: UserService
    snapshots: SnapshotProvider
    alerts: InMemoryAlerts | None = None
    checker: RollbackChecker | None = None
    clock: Callable[[], datetime] = utc_now
    guarded_environments: Sequence[str] = field(default=("production",))
    acknowledgements: AcknowledgementStore = field(default_factory=MemoryAcknowledgements)
    evaluations: EvaluationLog | None = None
    stale_after: timedelta = STALE_AFTER
    state_version: Callable[[], int] | None = None
    rollout_memory: RolloutMemory = field(default_factory=RolloutMemory)

    def database_down(self) -> bool:
        """Whether the server knows the database is unreachable: its snapshots are being served
        from the last good read because the last refresh could not reach it."""
        return self.snapshots.stats().stale
