"""Read models of the flag services: a flag with its state in every environment, override pages."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from flagpilot.core import FlagType, FlagValue, text_problem
from flagpilot.services.errors import InvalidInput
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.services.stored_records import FlagRecord, FlagSetting, OverrideRecord


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


SubjectValues = Mapping[str, FlagValue]
"""Subject id (customer or organization) → override value."""
