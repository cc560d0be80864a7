"""What every part of the flag manager shares: the unit-of-work factory and how changes are recorded."""

from __future__ import annotations

import re
from typing import Any

from flagpilot.services.audit_entry import AuditEntry
from flagpilot.services.errors import InvalidInput
from flagpilot.services.ports import UnitOfWork, UnitOfWorkFactory

READER = "reader"
"""The actor of read-only units of work (they record nothing)."""

ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
SUBJECT_ID_MAX = 128


def require_actor(actor: str) -> str:
    """The actor, stripped; `InvalidInput` if blank (every change must say who made it)."""
    stripped = actor.strip()
    if not stripped:
        raise InvalidInput("actor: every change needs an actor (who makes it)")
    return stripped[:128]


class ManagerBase:
    """Holds the unit-of-work factory the flag manager's parts open their transactions with."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    def _write(self, actor: str, organization_id: str | None = None) -> UnitOfWork:
        return self._uow_factory(require_actor(actor), organization_id)

    def _read(self, organization_id: str | None = None) -> UnitOfWork:
        return self._uow_factory(READER, organization_id, read_only=True)

    @staticmethod
    def _record(uow: UnitOfWork, action: str, scope: str, **fields: Any) -> None:
        uow.audit.record(AuditEntry(action=action, scope=scope, **fields))
