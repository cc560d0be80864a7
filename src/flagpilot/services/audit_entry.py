"""The audit record every change writes, and the port that writes it inside a unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flagpilot.services.errors import InvalidInput

MAX_REASON_LENGTH = 2_000
"""The longest reason a change may give, whichever caller (API, CLI, admin UI) it comes from."""

MAX_ACTOR_LENGTH = 128


def require_actor(actor: str) -> str:
    """The actor, stripped; `InvalidInput` if blank (every change must say who made it)."""
    stripped = actor.strip()
    if not stripped:
        raise InvalidInput("actor: every change needs an actor (who makes it)")
    return stripped[:MAX_ACTOR_LENGTH]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change, as recorded in `feature_flag_changes` in the same transaction as the change.

    Attributes:
        action: what happened, e.g. `flag.create`, `environment.kill`, `override.set`,
            `rollout.advance`, `rollout.auto_rollback`, `token.create`.
        scope: what kind of thing changed: flag, environment, organization, customer, rollout,
            token.
        feature_name: the flag key, when the change concerns one flag.
        environment: the environment, when the change concerns one.
        subject_id: the customer, organization or token id, when there is one.
        before: JSON-serialisable state before the change (None for a creation).
        after: JSON-serialisable state after the change (None for a deletion).
        reason: why, in the actor's words (or the evidence of an automatic change).
    """

    action: str
    scope: str
    feature_name: str | None = None
    environment: str | None = None
    subject_id: str | None = None
    before: Any = None
    after: Any = None
    reason: str = ""


class AuditWriter(Protocol):
    """Appends audit rows within the caller's unit of work; the actor is the unit of work's."""

    def record(self, entry: AuditEntry) -> None:
        """Append `entry` to the trail (committed or rolled back with the change)."""
        ...
