"""Reading and verifying the audit trail.

`verify()` first seals the rows database triggers wrote (so hand-written SQL joins the chain),
then walks the whole chain in id order, page by page, recomputing every hash. Any edit,
deletion or reordering of a sealed row shows up as the first broken link, named by id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flagpilot.services.audit_chain import ChainChecker
from flagpilot.services.errors import InvalidInput
from flagpilot.services.ports import UnitOfWorkFactory
from flagpilot.services.stored_records import AuditQuery, AuditRecord

AUDITOR = "auditor"
MAX_LIMIT = 1000


def _state(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


TOKEN_ACTOR = "token:"
"""Changes made over the API are recorded as `token:<token id>`."""


def audit_record_dict(record: AuditRecord, token_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An audit row as JSON, with its before/after states parsed, and for a change made with a
    token the token's name beside its id (`actorName`; null for other actors)."""
    actor_name = None
    if token_names is not None and record.actor.startswith(TOKEN_ACTOR):
        actor_name = token_names.get(record.actor[len(TOKEN_ACTOR) :])
    return {
        "id": record.id,
        "changedAt": record.changed_at.isoformat(),
        "actor": record.actor,
        "actorName": actor_name,
        "action": record.action,
        "scope": record.scope,
        "flag": record.feature_name,
        "environment": record.environment,
        "subjectId": record.subject_id,
        "before": _state(record.before_value),
        "after": _state(record.after_value),
        "reason": record.reason,
        "hash": record.hash,
    }


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of `AuditLog.verify`.

    Attributes:
        ok: every row checked holds.
        checked: rows checked (up to and including the first broken one).
        sealed: rows written by triggers that this run sealed into the chain.
        broken_id: the id of the first broken row, if any.
        problem: what is wrong with it.
    """

    ok: bool
    checked: int
    sealed: int = 0
    broken_id: int | None = None
    problem: str | None = None


class AuditLog:
    """Queries and verifies the audit trail.

    Args:
        uow_factory: opens units of work (the trail is read as the service role).
    """

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    def query(
        self,
        *,
        feature_name: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Audit rows, newest first, filtered by flag, actor and time range.

        Page by passing the last id of one page as `before_id` of the next.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit: must be between 1 and {MAX_LIMIT}, not {limit}")
        if since is not None and until is not None and until <= since:
            raise InvalidInput("until: must be after since")
        query = AuditQuery(
            feature_name=feature_name, actor=actor, since=since, until=until, before_id=before_id, limit=limit
        )
        with self._uow_factory(AUDITOR, read_only=True) as uow:
            return uow.audit.query(query)

    def seal(self) -> int:
        """Chain the rows database triggers wrote; return how many."""
        with self._uow_factory(AUDITOR) as uow:
            sealed = uow.audit.seal()
            if sealed:
                uow.commit()
        return sealed

    def verify(self, *, seal: bool = True, page: int = 1000) -> ChainReport:
        """Check every link of the chain; report the first broken one.

        Args:
            seal: seal trigger-written rows first, so they are checked too.
            page: rows read per query (memory stays bounded however long the trail).
        """
        sealed = self.seal() if seal else 0
        checker = ChainChecker()
        after = 0
        with self._uow_factory(AUDITOR, read_only=True) as uow:
            while checker.broken is None and (rows := uow.audit.chain(after_id=after, limit=page)):
                checker.check(rows)
                after = rows[-1].id
        broken = checker.broken
        if broken is None:
            return ChainReport(ok=True, checked=checker.checked, sealed=sealed)
        return ChainReport(
            ok=False,
            checked=checker.checked,
            sealed=sealed,
            broken_id=broken.record.id,
            problem=broken.problem,
        )
