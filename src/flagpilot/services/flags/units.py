"""How the flag services open their units of work and record what they change."""

from __future__ import annotations

from typing import Any

from flagpilot.services.audit_entry import AuditEntry, require_actor
from flagpilot.services.ports import UnitOfWork, UnitOfWorkFactory

READER = "reader"
"""The actor of read-only units of work (they record nothing)."""


class FlagUnits:
    """Opens the flag services' units of work: writes as a named actor, reads as `READER`.

    Args:
        uow_factory: opens units of work (`flagpilot.storage.SqlUnitOfWorkFactory`).
    """

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    def write(self, actor: str, organization_id: str | None = None) -> UnitOfWork:
        """A unit of work that writes as `actor` (`InvalidInput` if it is blank)."""
        return self._uow_factory(require_actor(actor), organization_id)

    def read(self, organization_id: str | None = None) -> UnitOfWork:
        """A read-only unit of work."""
        return self._uow_factory(READER, organization_id, read_only=True)


def audit_change(uow: UnitOfWork, action: str, scope: str, **fields: Any) -> None:
    """Append the audit row of a change through the unit of work that makes it."""
    uow.audit.record(AuditEntry(action=action, scope=scope, **fields))
