"""Request bodies of the admin API: camelCase on the wire, unknown fields refused by name.

Each model only checks shape (types, lengths); what a value means — the flag's type, its
prerequisites, the 0.01 % grid — is checked by the services and named in the 422 answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from flagpilot.api.schemas import Camel
from flagpilot.core import FlagType
from flagpilot.services.audit_entry import MAX_REASON_LENGTH
from flagpilot.services.stored_records import OverrideScope

ID = 128
"""Flag keys and organization/customer ids: the width of their database columns."""
REASON = MAX_REASON_LENGTH
MAX_BULK = 10_000

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=ID)]
"""A flag key or subject id in a list or as an object key."""

Version = Field(default=None, ge=1, le=2**53, description="The flag version the change is based on.")
ReasonField = Field(default="", max_length=REASON, description="Why, for the audit trail.")


class Body(Camel):
    """A request body: camelCase fields, unknown ones refused."""

    model_config = ConfigDict(extra="forbid")


class SetFeature(Body):
    """The seed's `POST /api/admin/feature-flags`: a value at one scope.

    `customerId` sets a customer override (in `organizationId`, if given), `organizationId`
    alone an organization override, neither the environment's value. Give `enabled` (a
    boolean flag) or `value` (any type), not both.
    """

    feature_name: str = Field(min_length=1, max_length=ID)
    environment: str | None = Field(default=None, min_length=1, max_length=64)
    organization_id: str | None = Field(default=None, min_length=1, max_length=ID)
    customer_id: str | None = Field(default=None, min_length=1, max_length=ID)
    enabled: bool | None = None
    value: Any = None
    reason: str = ReasonField
    version: int | None = Version


class NewFlag(Body):
    """A flag to create."""

    key: str = Field(min_length=1, max_length=ID)
    type: FlagType = FlagType.BOOL
    default_value: Any = False
    phase: int | None = Field(default=None, ge=1, le=3)
    description: str = Field(default="", max_length=2000)
    prerequisites: list[Identifier] = Field(default_factory=list, max_length=50)
    reason: str = ReasonField


class FlagChanges(Body):
    """Fields of a flag definition to change; the ones left out stay as they are."""

    description: str | None = Field(default=None, max_length=2000)
    default_value: Any = None
    phase: int | None = Field(default=None, ge=1, le=3)
    prerequisites: list[Identifier] | None = Field(default=None, max_length=50)
    reason: str = ReasonField
    version: int | None = Version


class Change(Body):
    """A change that needs nothing but a reason (archive, restore)."""

    reason: str = ReasonField
    version: int | None = Version


class Switch(Body):
    """The kill switch in one environment: an emergency, so the reason is required."""

    environment: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=REASON, description="Why, for the audit trail.")
    version: int | None = Version


class OverrideValues(Body):
    """Many overrides of one flag at once: subject id → value."""

    environment: str | None = Field(default=None, min_length=1, max_length=64)
    scope: OverrideScope = OverrideScope.CUSTOMER
    values: dict[Identifier, Any] = Field(min_length=1, max_length=MAX_BULK)
    reason: str = ReasonField


class ClearOverrides(Body):
    """Overrides to remove: the listed subjects, or every one of the flag (`subjectIds` null)."""

    environment: str | None = Field(default=None, min_length=1, max_length=64)
    scope: OverrideScope = OverrideScope.CUSTOMER
    subject_ids: list[Identifier] | None = Field(default=None, min_length=1, max_length=MAX_BULK)
    reason: str = ReasonField
