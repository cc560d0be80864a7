"""Read models of the flag services: a flag with its state in every environment, override pages."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flagpilot.core import FlagType, FlagValue, text_problem
from flagpilot.services.errors import InvalidInput
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.services.stored_records import FlagRecord, FlagSetting, OverrideRecord, iso


def definition_dict(record: FlagRecord) -> dict[str, Any]:
    """A flag's definition as JSON (also its before/after state in the audit trail)."""
    definition = record.definition
    return {
        "key": definition.key,
        "type": definition.type.value,
        "defaultValue": definition.default,
        "phase": definition.phase,
        "description": definition.description,
        "prerequisites": list(definition.prerequisites),
        "archived": record.archived,
    }


def setting_dict(setting: FlagSetting | None) -> dict[str, Any]:
    """A flag's settings in one environment as JSON (absent value: no `value` key)."""
    if setting is None:
        return {"killed": False}
    data: dict[str, Any] = {"killed": setting.killed}
    if setting.has_value:
        data["value"] = setting.value
    return data


@dataclass(frozen=True, slots=True)
class EnvironmentState:
    """A flag in one environment: kill switch, value, rollout and how many overrides it has."""

    environment: str
    setting: FlagSetting | None = None
    rollout: RolloutRecord | None = None
    customer_overrides: int = 0
    organization_overrides: int = 0

    @property
    def killed(self) -> bool:
        """Whether the kill switch is on."""
        return self.setting is not None and self.setting.killed

    def to_dict(self) -> dict[str, Any]:
        """JSON for the admin API."""
        return {
            **setting_dict(self.setting),
            "rollout": None if self.rollout is None else self.rollout.to_dict(),
            "customerOverrides": self.customer_overrides,
            "organizationOverrides": self.organization_overrides,
        }


@dataclass(frozen=True, slots=True)
class FlagView:
    """A flag with its state in every environment, as the admin API lists and shows it."""

    record: FlagRecord
    environments: Mapping[str, EnvironmentState] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The flag key."""
        return self.record.key

    @property
    def version(self) -> int:
        """The version to send back with the next change (optimistic concurrency)."""
        return self.record.version

    def enabled(self, environment: str) -> bool | None:
        """Whether the flag is on in `environment` for a customer with no override and outside
        any rollout (killed or archived: off); None for a flag that is not boolean."""
        definition = self.record.definition
        if definition.type is not FlagType.BOOL:
            return None
        state = self.environments.get(environment)
        if self.record.archived or (state is not None and state.killed):
            return False
        setting = None if state is None else state.setting
        return bool(setting.value if setting is not None and setting.has_value else definition.default)

    def to_dict(self) -> dict[str, Any]:
        """JSON for the admin API."""
        return {
            **definition_dict(self.record),
            "version": self.record.version,
            "createdAt": iso(self.record.created_at),
            "updatedAt": iso(self.record.updated_at),
            "environments": {name: state.to_dict() for name, state in self.environments.items()},
        }


def override_dict(record: OverrideRecord) -> dict[str, Any]:
    """An override as JSON."""
    return {
        "flag": record.flag_key,
        "environment": record.environment,
        "scope": record.scope.value,
        "subjectId": record.subject_id,
        "value": record.value,
        "organizationId": record.organization_id,
        "reason": record.reason,
        "createdBy": record.created_by,
        "updatedAt": iso(record.updated_at),
    }


def encode_cursor(record: OverrideRecord) -> str:
    """An opaque cursor pointing just after `record`."""
    raw = json.dumps([record.flag_key, record.environment, record.subject_id]).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_cursor(cursor: str) -> tuple[str, str, str]:
    """The position a cursor from `encode_cursor` points after; `InvalidInput` if it is not one."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise InvalidInput(f"cursor {cursor!r} is not a cursor this service issued") from exc
    if not (
        isinstance(parts, list)
        and len(parts) == 3
        and all(isinstance(p, str) and text_problem(p) is None for p in parts)
    ):
        raise InvalidInput(f"cursor {cursor!r} is not a cursor this service issued")
    return parts[0], parts[1], parts[2]


@dataclass(frozen=True, slots=True)
class OverridePage:
    """One page of overrides and the cursor of the next page (None on the last one)."""

    items: tuple[OverrideRecord, ...]
    next_cursor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON for the admin API."""
        return {"items": [override_dict(item) for item in self.items], "nextCursor": self.next_cursor}


SubjectValues = Mapping[str, FlagValue]
"""Subject id (customer or organization) → override value."""
