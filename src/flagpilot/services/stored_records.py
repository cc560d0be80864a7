"""What the services read from and hand to storage: plain, immutable records.

These are the data of the ports in `flagpilot.services.ports`; storage builds them from rows, so
nothing above storage ever sees a database row or an ORM object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flagpilot.core import UNSET, FlagDefinition, FlagState, FlagValue


def iso(moment: datetime | None) -> str | None:
    """`moment` as ISO 8601 for a JSON view, or None: the one way times are written out."""
    return None if moment is None else moment.isoformat()


class OverrideScope(StrEnum):
    """Who an override is for: one customer or a whole organization."""

    CUSTOMER = "customer"
    ORGANIZATION = "organization"


@dataclass(frozen=True, slots=True)
class FlagRecord:
    """A stored flag definition with its bookkeeping.

    Attributes:
        definition: what the flag is.
        archived: archived flags stay in the database but are not served.
        version: grows with every change to the flag or its environment settings; writes that
            name an older version are refused (optimistic concurrency).
    """

    definition: FlagDefinition
    archived: bool = False
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def key(self) -> str:
        """The flag key."""
        return self.definition.key


@dataclass(frozen=True, slots=True)
class EnvironmentRecord:
    """A deployment environment."""

    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class FlagSetting:
    """A flag's kill switch and environment value in one environment (`UNSET`: no value)."""

    flag_key: str
    environment: str
    killed: bool = False
    value: FlagValue = UNSET

    @property
    def has_value(self) -> bool:
        """Whether an environment value is set."""
        return self.value is not UNSET


@dataclass(frozen=True, slots=True)
class OverrideRecord:
    """One customer or organization override of a flag in an environment.

    Attributes:
        subject_id: the customer id or the organization id, after `scope`.
        organization_id: the organization the row belongs to (row-level security); for an
            organization override, the subject itself.
    """

    scope: OverrideScope
    flag_key: str
    environment: str
    subject_id: str
    value: FlagValue
    organization_id: str | None = None
    reason: str = ""
    created_by: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One stored row of the audit trail, as sealed (or not yet sealed) in the hash chain.

    Attributes:
        before_value: the state before the change, as the JSON text that was hashed.
        after_value: the state after the change, as the JSON text that was hashed.
        prev_hash: the previous row's hash; None until sealed.
        hash: sha256 over this row and `prev_hash`; None until sealed (rows written by
            database triggers are sealed by the application afterwards).
    """

    id: int
    changed_at: datetime
    actor: str
    action: str
    scope: str
    feature_name: str | None = None
    environment: str | None = None
    subject_id: str | None = None
    before_value: str | None = None
    after_value: str | None = None
    reason: str = ""
    prev_hash: str | None = None
    hash: str | None = None


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which audit rows to return, newest first.

    Attributes:
        feature_name: only rows about this flag.
        actor: only rows by this actor.
        since: only rows at or after this moment.
        until: only rows before this moment.
        before_id: paging: only rows older than this id (the last id of the previous page).
        limit: at most this many rows.
    """

    feature_name: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class StoredState:
    """Everything a snapshot of one environment is built from, read in one transaction."""

    environment: str
    version: int
    states: tuple[FlagState, ...]
