"""The export document: writing it from records, and reading it back with every problem named.

    {
      "formatVersion": 1, "kind": "flagpilot-export",
      "environments": [{"name": "production", "description": ""}],
      "flags": [{"key": ..., "type": ..., "defaultValue": ..., "phase": ..., "description": ...,
                 "prerequisites": [...], "archived": false,
                 "environments": {"production": {"killed": false, "value": true}}}],
      "customerOverrides": [{"flag", "environment", "subjectId", "value", "organizationId",
                             "reason", "createdBy"}],
      "organizationOverrides": [... the same ...],
      "rollouts": [{"featureName", "environment", "currentTier", "percentage", "status",
                    "whitelistedCustomers", "rollbackThreshold": {"errorRate", "timeWindow"},
                    "minDwellSeconds", "minEvents", "tierStartedAt", "rollbackReason", "createdBy"}]
    }

Everything a database holds about flags is in it except versions and timestamps, so exporting,
importing into an empty database and exporting again gives the same document. Reading collects
every problem (naming the flag or item and the field) before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flagpilot.core import (
    UNSET,
    FlagDefinition,
    FlagType,
    Problem,
    RolloutStatus,
    Tier,
    check_definition,
    check_value,
)
from flagpilot.services.rollouts.rollout_records import (
    DEFAULT_ERROR_RATE_THRESHOLD,
    DEFAULT_MIN_DWELL_SECONDS,
    DEFAULT_MIN_EVENTS,
    DEFAULT_TIME_WINDOW_MS,
    RolloutRecord,
)
from flagpilot.services.stored_records import (
    EnvironmentRecord,
    FlagRecord,
    FlagSetting,
    OverrideRecord,
    OverrideScope,
    iso,
)
from flagpilot.services.transfer.grid import rounding_problems

FORMAT_VERSION = 1
KIND = "flagpilot-export"
OVERRIDE_KEYS = {
    OverrideScope.CUSTOMER: "customerOverrides",
    OverrideScope.ORGANIZATION: "organizationOverrides",
}


@dataclass(slots=True)
class Contents:
    """Everything an export holds, as records."""

    environments: list[EnvironmentRecord] = field(default_factory=list)
    flags: list[FlagRecord] = field(default_factory=list)
    settings: list[FlagSetting] = field(default_factory=list)
    overrides: list[OverrideRecord] = field(default_factory=list)
    rollouts: list[RolloutRecord] = field(default_factory=list)


def _flag_entry(record: FlagRecord) -> dict[str, Any]:
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


def _setting_entry(setting: FlagSetting) -> dict[str, Any]:
    entry: dict[str, Any] = {"killed": setting.killed}
    if setting.has_value:
        entry["value"] = setting.value
    return entry


def _rollout_entry(record: RolloutRecord) -> dict[str, Any]:
    return {
        "featureName": record.feature_name,
        "environment": record.environment,
        "currentTier": record.current_tier.value,
        "percentage": record.percentage,
        "status": record.status.value,
        "whitelistedCustomers": list(record.whitelisted_customers),
        "rollbackThreshold": {"errorRate": record.error_rate_threshold, "timeWindow": record.time_window_ms},
        "minDwellSeconds": record.min_dwell_seconds,
        "minEvents": record.min_events,
        "tierStartedAt": iso(record.tier_started_at),
        "rollbackReason": record.rollback_reason,
        "createdBy": record.created_by,
    }


def write_document(contents: Contents) -> dict[str, Any]:
    """The export document of `contents`.

    The document's shape is its own (`_flag_entry`, `_setting_entry`, `_rollout_entry` and the
    override entries below), not the HTTP API's or the audit trail's: renaming a field of either
    cannot change what an export contains, nor what an older export reads as.
    """
    settings: dict[str, dict[str, Any]] = {}
    for setting in contents.settings:
        settings.setdefault(setting.flag_key, {})[setting.environment] = _setting_entry(setting)
    flags = []
    for record in contents.flags:
        data = _flag_entry(record)
        data["environments"] = dict(sorted(settings.get(record.key, {}).items()))
        flags.append(data)
    document: dict[str, Any] = {
        "formatVersion": FORMAT_VERSION,
        "kind": KIND,
        "environments": [{"name": e.name, "description": e.description} for e in contents.environments],
        "flags": flags,
    }
    for scope, key in OVERRIDE_KEYS.items():
        document[key] = [
            {
                "flag": o.flag_key,
                "environment": o.environment,
                "subjectId": o.subject_id,
                "value": o.value,
                "organizationId": o.organization_id,
                "reason": o.reason,
                "createdBy": o.created_by,
            }
            for o in contents.overrides
            if o.scope is scope
        ]
    document["rollouts"] = [_rollout_entry(rollout) for rollout in contents.rollouts]
    return document


class _Reader:
    """Reads typed fields, recording a `Problem` (item, field, message) for each bad one."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, item: str, name: str, message: str) -> None:
        self.problems.append(Problem(item, name, message))

    def items(self, document: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
        value = document.get(name, [])
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            self.problem("(document)", name, "must be a list of objects")
            return []
        return value

    def text(self, item: str, data: Mapping[str, Any], name: str, default: str | None = None) -> Any:
        value = data.get(name, default)
        if value is None and default is None and name not in data:
            self.problem(item, name, "is missing")
            return ""
        if value is not None and not isinstance(value, str):
            self.problem(item, name, f"{value!r} must be a string")
            return default or ""
        return value

    def number(self, item: str, data: Mapping[str, Any], name: str, default: float) -> Any:
        value = data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(item, name, f"{value!r} must be a number")
            return default
        return value

    def enum(self, item: str, data: Mapping[str, Any], name: str, kind: type[Any], default: Any) -> Any:
        try:
            return kind(data.get(name, default.value))
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            self.problem(item, name, f"{data.get(name)!r} is not one of {allowed}")
            return default


def _definition(reader: _Reader, data: Mapping[str, Any], index: int) -> tuple[FlagRecord, list[FlagSetting]]:
    key = reader.text(f"flags[{index}]", data, "key")
    prerequisites = data.get("prerequisites", [])
    if not isinstance(prerequisites, list) or not all(isinstance(p, str) for p in prerequisites):
        reader.problem(key, "prerequisites", "must be a list of flag keys")
        prerequisites = []
    phase = data.get("phase")
    if phase is not None and (isinstance(phase, bool) or not isinstance(phase, int)):
        reader.problem(key, "phase", f"{phase!r} must be 1, 2, 3 or null")
        phase = None
    definition = FlagDefinition(
        key=key,
        type=reader.enum(key, data, "type", FlagType, FlagType.BOOL),
        default=data.get("defaultValue", False),
        phase=phase,
        description=reader.text(key, data, "description", ""),
        prerequisites=tuple(prerequisites),
    )
    reader.problems += check_definition(definition)
    archived = data.get("archived", False)
    if not isinstance(archived, bool):
        reader.problem(key, "archived", "must be true or false")
    settings = []
    environments = data.get("environments", {})
    if not isinstance(environments, Mapping):
        reader.problem(key, "environments", "must be an object of environment → settings")
        environments = {}
    for environment, body in environments.items():
        if not isinstance(body, Mapping) or not isinstance(body.get("killed", False), bool):
            reader.problem(key, f"environments.{environment}", 'must be {"killed": bool, "value"?: value}')
            continue
        value = body.get("value", UNSET)
        if "value" in body:
            reader.problems += check_value(definition, f"environments.{environment}.value", value)
        settings.append(FlagSetting(key, str(environment), bool(body.get("killed", False)), value))
    return FlagRecord(definition=definition, archived=bool(archived)), settings


def _override(reader: _Reader, scope: OverrideScope, data: Mapping[str, Any], index: int) -> OverrideRecord:
    item = f"{OVERRIDE_KEYS[scope]}[{index}]"
    if "value" not in data:
        reader.problem(item, "value", "is missing")
    return OverrideRecord(
        scope=scope,
        flag_key=reader.text(item, data, "flag"),
        environment=reader.text(item, data, "environment"),
        subject_id=reader.text(item, data, "subjectId"),
        value=data.get("value"),
        organization_id=reader.text(item, data, "organizationId", None)
        if data.get("organizationId")
        else None,
        reason=reader.text(item, data, "reason", ""),
        created_by=reader.text(item, data, "createdBy", ""),
    )


def _rollout(reader: _Reader, data: Mapping[str, Any], index: int) -> RolloutRecord:
    item = f"rollouts[{index}]"
    threshold = data.get("rollbackThreshold", {})
    if not isinstance(threshold, Mapping):
        reader.problem(item, "rollbackThreshold", "must be an object")
        threshold = {}
    whitelist = data.get("whitelistedCustomers", [])
    if not isinstance(whitelist, list) or not all(isinstance(c, str) for c in whitelist):
        reader.problem(item, "whitelistedCustomers", "must be a list of customer ids")
        whitelist = []
    percentage = reader.number(item, data, "percentage", 0.0)
    if not 0 <= percentage <= 100:
        reader.problem(item, "percentage", f"{percentage!r} is outside 0–100")
    started = data.get("tierStartedAt")
    tier_started_at = None
    if started is not None:
        try:
            tier_started_at = datetime.fromisoformat(str(started))
        except ValueError:
            reader.problem(item, "tierStartedAt", f"{started!r} is not an ISO 8601 time")
    return RolloutRecord(
        feature_name=reader.text(item, data, "featureName"),
        environment=reader.text(item, data, "environment"),
        current_tier=reader.enum(item, data, "currentTier", Tier, Tier.TIER_0_DISABLED),
        percentage=float(percentage),
        status=reader.enum(item, data, "status", RolloutStatus, RolloutStatus.PLANNED),
        whitelisted_customers=tuple(whitelist),
        error_rate_threshold=float(reader.number(item, threshold, "errorRate", DEFAULT_ERROR_RATE_THRESHOLD)),
        time_window_ms=int(reader.number(item, threshold, "timeWindow", DEFAULT_TIME_WINDOW_MS)),
        min_dwell_seconds=int(reader.number(item, data, "minDwellSeconds", DEFAULT_MIN_DWELL_SECONDS)),
        min_events=int(reader.number(item, data, "minEvents", DEFAULT_MIN_EVENTS)),
        tier_started_at=tier_started_at,
        rollback_reason=reader.text(item, data, "rollbackReason", None)
        if data.get("rollbackReason")
        else None,
        created_by=reader.text(item, data, "createdBy", ""),
    )


def read_document(document: Any) -> tuple[Contents, list[Problem]]:
    """The contents of an export document, and every problem found in it (structure and values).

    References between parts (an override of a flag the document does not define) are checked
    by the importer, which also knows what the database already holds.
    """
    reader = _Reader()
    contents = Contents()
    if not isinstance(document, Mapping):
        return contents, [Problem("(document)", "(root)", "must be a JSON object")]
    if document.get("formatVersion") != FORMAT_VERSION:
        reader.problem("(document)", "formatVersion", f"must be {FORMAT_VERSION}")
    for index, data in enumerate(reader.items(document, "environments")):
        contents.environments.append(
            EnvironmentRecord(
                reader.text(f"environments[{index}]", data, "name"),
                reader.text(f"environments[{index}]", data, "description", ""),
            )
        )
    for index, data in enumerate(reader.items(document, "flags")):
        record, settings = _definition(reader, data, index)
        contents.flags.append(record)
        contents.settings += settings
    for scope, key in OVERRIDE_KEYS.items():
        for index, data in enumerate(reader.items(document, key)):
            contents.overrides.append(_override(reader, scope, data, index))
    for index, data in enumerate(reader.items(document, "rollouts")):
        contents.rollouts.append(_rollout(reader, data, index))
    return contents, reader.problems + rounding_problems(document)
